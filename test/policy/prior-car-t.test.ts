import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCondition,
  buildHistoricalMedicationRequest,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildProcedure,
  buildTecartusOrder,
  cpt,
  hcpcs,
  icd10cm,
  icd10pcs,
  ndc,
  rxnorm,
  snomed,
  textOnly,
  verificationStatus,
} from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { eligibleMantleCellRecord, type TestRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();
const ORDER = 'MedicationRequest/tecartus-order-1';

async function judge(record: TestRecord) {
  const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord(record) }));
  assert.equal(res.status, 200);
  const info = coverageInformationFor(res.body, ORDER);
  assert.ok(info, 'coverage information for the Tecartus order');
  return { info, cards: cardsOf(res.body) };
}

describe('Limitation: members who have had prior CAR T-cell therapy will not be approved', () => {
  it('a completed CAR-T administration (CPT 38228) makes Tecartus not covered, with the procedure as evidence', async () => {
    const { info, cards } = await judge({ procedures: [buildProcedure({ id: 'p-38228', code: cpt('38228'), performedDateTime: '2025-03-02' })] });
    assert.equal(info.covered, 'not-covered');
    assert.equal(info.paNeeded, undefined, 'CRD q2: no pa-needed when not covered');
    assert.deepEqual(info.docNeeded, []);
    assert.ok(info.reasons.includes('prior-car-t'));
    const card = cards.find((c) => c.summary.startsWith('Prior CAR-T therapy'));
    assert.ok(card);
    assert.equal(card.indicator, 'warning');
    assert.match(card.detail, /Procedure 38228, CAR-T administration, 2025-03-02/);
  });

  it('a completed administration under the deleted Category III code 0540T counts', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: cpt('0540T'), performedDateTime: '2023-11-20' })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('an ICD-10-PCS CAR-T infusion code (XW033H7) counts', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: icd10pcs('XW033H7') })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('SNOMED CT 1156961008 (CAR-T immunotherapy) counts', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: snomed('1156961008') })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('a CAR-T product (HCPCS Q2041, Yescarta) given by a completed MedicationAdministration counts', async () => {
    const { info, cards } = await judge({ medicationAdministrations: [buildMedicationAdministration({ medicationCodeableConcept: hcpcs('Q2041') })] });
    assert.equal(info.covered, 'not-covered');
    assert.match(cards[0]!.detail, /MedicationAdministration Q2041, CAR-T product/);
  });

  it('an earlier Tecartus infusion under its pre-2021 code C9073 counts', async () => {
    const { info } = await judge({ medicationAdministrations: [buildMedicationAdministration({ medicationCodeableConcept: hcpcs('C9073'), effectiveDateTime: '2021-02-01' })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('a MedicationStatement of a CAR-T product by RxNorm counts', async () => {
    const { info } = await judge({ medicationStatements: [buildMedicationStatement({ medicationCodeableConcept: rxnorm('1987402') })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('a CAR-T product by NDC counts, in the 11-digit form without dashes', async () => {
    const { info } = await judge({ medicationStatements: [buildMedicationStatement({ medicationCodeableConcept: ndc('00078084619') })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('a clinical-trial CAR-T product with no code is found by its text, and text alone asks for review (never a hard not-covered)', async () => {
    const { info, cards } = await judge({ medicationStatements: [buildMedicationStatement({ medicationCodeableConcept: textOnly('Investigational anti-CD22 CAR-T cells (trial NCT0000000)') })] });
    assert.equal(info.covered, 'conditional');
    assert.ok(info.reasons.includes('possible-prior-car-t'));
    assert.match(cards[0]!.detail, /CAR-T named in free text/);
    assert.match(cards[0]!.detail, /Investigational anti-CD22 CAR-T cells/, 'the card quotes the record');
  });

  it('"chimeric antigen receptor T cells" in a procedure text is a possible prior CAR-T', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: textOnly('Infusion of chimeric antigen receptor T cells, trial product') })] });
    assert.equal(info.covered, 'conditional');
    assert.ok(info.reasons.includes('possible-prior-car-t'));
  });

  it('a completed CAR-T MedicationRequest counts', async () => {
    const { info } = await judge({ medicationRequests: [buildHistoricalMedicationRequest({ status: 'completed', medicationCodeableConcept: hcpcs('Q2054') })] });
    assert.equal(info.covered, 'not-covered');
  });

  it('ICD-10-CM Z92.850, personal history of CAR-T therapy, counts (with or without the dot)', async () => {
    for (const code of ['Z92.850', 'Z92850']) {
      const { info } = await judge({ conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm(code), clinicalStatus: undefined })] });
      assert.equal(info.covered, 'not-covered', code);
    }
  });

  it('a MedicationStatement marked not-taken or intended is not evidence', async () => {
    for (const status of ['not-taken', 'intended'] as const) {
      const { info } = await judge({ medicationStatements: [buildMedicationStatement({ status })] });
      assert.equal(info.covered, 'covered', status);
    }
  });

  it('records entered in error, refuted, not done or cancelled are not evidence', async () => {
    const { info } = await judge({
      procedures: [buildProcedure({ status: 'entered-in-error' }), buildProcedure({ status: 'not-done' })],
      medicationAdministrations: [buildMedicationAdministration({ status: 'entered-in-error' }), buildMedicationAdministration({ status: 'not-done' })],
      medicationRequests: [buildHistoricalMedicationRequest({ status: 'cancelled' }), buildHistoricalMedicationRequest({ status: 'stopped' })],
      conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm('Z92.850'), verificationStatus: verificationStatus('refuted') })],
    });
    assert.equal(info.covered, 'covered');
  });

  it('the order being judged is not prior therapy, even when the EHR lists it in the order history', async () => {
    const order = buildTecartusOrder({ status: 'active' });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [order], record: eligibleMantleCellRecord({ medicationRequests: [order] }) }));
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('therapy recorded after the call is not prior', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ performedDateTime: '2026-07-01' })] });
    assert.equal(info.covered, 'covered');
  });

  it("therapy recorded after the draft's authoredOn but before the signature is prior", async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [buildTecartusOrder({ authoredOn: '2026-05-20' })], record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228'), performedDateTime: '2026-06-01' })] }) }));
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'not-covered');
  });

  it('TIL therapy (lifileucel, ICD-10-PCS XW033L7) is not CAR-T', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: icd10pcs('XW033L7') })] });
    assert.equal(info.covered, 'covered');
  });
});

describe('Weaker signs of prior CAR-T ask for review (possible-prior-car-t, conditional)', () => {
  it('a CAR-T harvest (CPT 38225) more than 90 days before the order is a weaker sign', async () => {
    const { info, cards } = await judge({ procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2026-01-05' })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.infoNeeded, ['OTH']);
    assert.ok(info.reasons.includes('possible-prior-car-t'));
    assert.ok(cards.some((c) => c.topic === 'limits' && /Possible earlier CAR-T/.test(c.summary)));
  });

  it('a harvest within 90 days before the order belongs to this course and is not a sign', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: cpt('0537T'), performedDateTime: '2026-04-20' })] });
    assert.equal(info.covered, 'covered');
  });

  it('a stopped (partial) CAR-T administration is a weaker sign', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ status: 'stopped', code: cpt('38228') })] });
    assert.equal(info.covered, 'conditional');
    assert.ok(info.reasons.includes('possible-prior-car-t'));
  });

  it('a stopped CAR-T MedicationAdministration is a weaker sign', async () => {
    const { info } = await judge({ medicationAdministrations: [buildMedicationAdministration({ status: 'stopped' })] });
    assert.equal(info.covered, 'conditional');
  });

  it('Z92.858, Z92.859 and T80.82X- (immune effector cell therapy) are weaker signs', async () => {
    for (const code of ['Z92.858', 'Z92.859', 'T80.82XA', 'T8082XS']) {
      const { info } = await judge({ conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm(code) })] });
      assert.equal(info.covered, 'conditional', code);
      assert.ok(info.reasons.includes('possible-prior-car-t'), code);
    }
  });

  it('another active CAR-T order is a weaker sign', async () => {
    const { info } = await judge({ medicationRequests: [buildHistoricalMedicationRequest({ status: 'active', medicationCodeableConcept: hcpcs('Q2056') })] });
    assert.equal(info.covered, 'conditional');
    assert.ok(info.reasons.includes('possible-prior-car-t'));
  });

  it('strong evidence wins: with both, the order is not covered and only the prior CAR-T finding is shown', async () => {
    const { info } = await judge({ procedures: [buildProcedure({ code: cpt('38228') }), buildProcedure({ code: cpt('38225'), performedDateTime: '2024-01-01' })] });
    assert.equal(info.covered, 'not-covered');
    assert.ok(!info.reasons.includes('possible-prior-car-t'));
  });
});
