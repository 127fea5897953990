import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Extension, MedicationRequest } from 'fhir/r4.js';
import type { HookResult } from '../../src/hooks/handle-order-hook.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { buildCondition, buildCoverage, buildProcedure, buildTecartusOrder, cpt, icd10cm } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN, type HookRequestOptions } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const answered: HookResult[] = [];
// 03:00 UTC on 15 June is still 14 June in the plan's time zone (America/New_York).
const { app } = createTestApp({}, { now: () => new Date('2026-06-15T03:00:00Z'), onAnswered: (result) => void answered.push(result) });
const ORDER = 'MedicationRequest/tecartus-order-1';
const EXT_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
type Json = Record<string, unknown>;

async function sign(options: HookRequestOptions = {}) {
  const request = buildHookRequest(options);
  const res = await postHook(app, ORDER_SIGN, request);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { body: res.body as Json, request, result: answered.at(-1)! };
}

const actionsOf = (body: Json) => body['systemActions'] as { type: string; description: string; resource: MedicationRequest }[];
const instructionsOf = (body: Json) => cardsOf(body).find((c) => c.topic === 'coverage-info' && c.indicator === 'info')!;
const withoutExtension = ({ extension: _extension, ...rest }: MedicationRequest) => rest;

describe('Coverage information system action (CRD ext-coverage-information)', () => {
  describe('the update', () => {
    it('updates the draft order itself: same resourceType and id, nothing changed but the extension (CRD resp-37)', async () => {
      const order = buildTecartusOrder({ note: [{ text: 'Inpatient, day 0' }], meta: { versionId: '3', lastUpdated: '2026-06-15T10:00:00Z' } });
      const { body } = await sign({ orders: [order] });
      const [action] = actionsOf(body);
      assert.equal(action?.type, 'update');
      assert.equal(action.resource.resourceType, 'MedicationRequest');
      assert.equal(action.resource.id, 'tecartus-order-1');
      assert.deepEqual(withoutExtension(action.resource), withoutExtension(order));
      assert.deepEqual(
        action.resource.extension?.map((e) => e.url),
        [EXT_URL],
      );
      assert.match(action.description, /MedicationRequest\/tecartus-order-1/);
    });

    it("keeps someone else's extensions on the order, and coverage information about another Coverage", async () => {
      const vendor: Extension = { url: 'http://ehr.example.org/fhir/StructureDefinition/order-priority', valueString: 'urgent' };
      const otherPayer: Extension = {
        url: EXT_URL,
        extension: [
          { url: 'coverage', valueReference: { reference: 'Coverage/other-payer' } },
          { url: 'covered', valueCode: 'covered' },
          { url: 'pa-needed', valueCode: 'no-auth' },
          { url: 'date', valueDate: '2026-06-10' },
          { url: 'coverage-assertion-id', valueString: 'other-payer-assertion-1' },
        ],
      };
      const { body } = await sign({ orders: [buildTecartusOrder({ extension: [vendor, otherPayer] })] });
      const extensions = actionsOf(body)[0]!.resource.extension!;
      assert.deepEqual(extensions[0], vendor);
      assert.deepEqual(extensions[1], otherPayer);
      assert.equal(extensions.length, 3);
      assert.equal(extensions[2]!.url, EXT_URL);
      assert.deepEqual(extensions[2]!.extension?.find((e) => e.url === 'coverage')?.valueReference, { reference: 'Coverage/cov-1' });
    });

    it('carries billingCode HCPCS Q2053', async () => {
      const { body } = await sign();
      const [billing] = coverageInformationFor(body, ORDER)!.raw.extension!.filter((e) => e.url === 'billingCode');
      assert.equal(billing?.valueCoding?.code, 'Q2053');
      assert.equal(billing.valueCoding.system, 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets');
    });

    it('is dated the day of the call in the plan time zone', async () => {
      const { body } = await sign();
      const [date] = coverageInformationFor(body, ORDER)!.raw.extension!.filter((e) => e.url === 'date');
      assert.equal(date?.valueDate, '2026-06-14');
    });

    it('every assertion carries the reason pa-required, whatever the outcome', async () => {
      for (const [outcome, record] of [
        ['covered', eligibleMantleCellRecord()],
        ['conditional', eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.10') })] })],
        ['not-covered', eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] })],
      ] as const) {
        const info = coverageInformationFor((await sign({ record })).body, ORDER)!;
        assert.equal(info.covered, outcome);
        assert.equal(info.reasons[0], 'pa-required', outcome);
      }
    });
  });

  describe('the coverage-assertion-id and re-signing (CRD resp-35)', () => {
    it('an order that already carries our coverage information with the same content gets no new update, and the same id is computed', async () => {
      const first = await sign();
      const ours = coverageInformationFor(first.body, ORDER)!;
      const again = await sign({ orders: [buildTecartusOrder({ extension: [ours.raw] })] });
      assert.deepEqual(actionsOf(again.body), []);
      assert.ok(cardsOf(again.body).length > 0, 'the cards are still shown');
      const carried = again.result.judged[0]?.coverageInformation;
      assert.equal(carried?.sent, false);
      assert.equal(carried?.values.covered, 'covered');
      assert.equal(carried?.values.assertionId, ours.assertionId);
    });

    it('the date alone does not make it new', async () => {
      const ours = coverageInformationFor((await sign()).body, ORDER)!;
      const yesterday: Extension = { ...ours.raw, extension: ours.raw.extension!.map((e) => (e.url === 'date' ? { url: 'date', valueDate: '2026-06-13' } : e)) };
      const again = await sign({ orders: [buildTecartusOrder({ extension: [yesterday] })] });
      assert.deepEqual(actionsOf(again.body), []);
    });

    it('a changed order gets a new update with a new id, replacing our old extension', async () => {
      const ours = coverageInformationFor((await sign()).body, ORDER)!;
      const changed = buildTecartusOrder({ extension: [ours.raw], dosageInstruction: [{ text: 'Single IV infusion, premedicate with acetaminophen' }] });
      const { body } = await sign({ orders: [changed] });
      const info = coverageInformationFor(body, ORDER)!;
      assert.notEqual(info.assertionId, ours.assertionId);
      assert.equal(actionsOf(body)[0]!.resource.extension!.filter((e) => e.url === EXT_URL).length, 1, 'the old assertion is replaced, not kept next to the new one');
    });

    it('a change in the evidence gives a new id and a new update', async () => {
      const ours = coverageInformationFor((await sign()).body, ORDER)!;
      const { body } = await sign({
        orders: [buildTecartusOrder({ extension: [ours.raw] })],
        record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] }),
      });
      const info = coverageInformationFor(body, ORDER)!;
      assert.equal(info.covered, 'not-covered');
      assert.notEqual(info.assertionId, ours.assertionId);
    });

    it('the same order judged twice gets the same id', async () => {
      const a = coverageInformationFor((await sign()).body, ORDER)!;
      const b = coverageInformationFor((await sign()).body, ORDER)!;
      assert.equal(a.assertionId, b.assertionId);
    });
  });

  describe('which Coverage', () => {
    it('no Coverage in the record: 200 with the cards, no system action, and the Instructions card says no active Coverage was sent', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [] }) });
      assert.deepEqual(body['systemActions'], []);
      assert.match(instructionsOf(body).detail, /No active Coverage was sent/);
    });

    it('a null coverage prefetch (the EHR found none) is the same', async () => {
      const request = buildHookRequest();
      (request['prefetch'] as Json)['coverage'] = null;
      const res = await postHook(app, ORDER_SIGN, request);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body['systemActions'], []);
      assert.match(instructionsOf(res.body).detail, /No active Coverage was sent/);
    });

    it('a cancelled Coverage is ignored', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [buildCoverage({ id: 'old', status: 'cancelled' })] }) });
      assert.deepEqual(body['systemActions'], []);
      assert.match(instructionsOf(body).detail, /No active Coverage was sent/);
    });

    it('a cancelled Coverage next to an active one: the active one is used', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [buildCoverage({ id: 'old', status: 'cancelled' }), buildCoverage({ id: 'current', subscriberId: 'M-CURRENT' })] }) });
      assert.equal(coverageInformationFor(body, ORDER)?.coverage, 'Coverage/current');
      assert.match(instructionsOf(body).detail, /Coverage used for this assessment: CarePartners of Connecticut, member ID M-CURRENT/);
    });

    it('one active Coverage: the card names the plan and the member id, not Coverage/cov-1', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [buildCoverage({ subscriberId: '900123456' })] }) });
      assert.match(instructionsOf(body).detail, /Coverage used for this assessment: CarePartners of Connecticut, member ID 900123456/);
      assert.doesNotMatch(instructionsOf(body).detail, /Coverage\/cov-1/);
    });

    it('several active Coverages: the card says which one was used', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [buildCoverage({ id: 'cov-a', subscriberId: 'A1' }), buildCoverage({ id: 'cov-b', subscriberId: 'B2' })] }) });
      assert.equal(coverageInformationFor(body, ORDER)?.coverage, 'Coverage/cov-a');
      assert.match(instructionsOf(body).detail, /Several active coverages were sent; this assessment uses CarePartners of Connecticut, member ID A1/);
    });

    it("the Coverage named in the order's insurance is preferred", async () => {
      const { body } = await sign({
        orders: [buildTecartusOrder({ insurance: [{ reference: 'Coverage/cov-b' }] })],
        record: eligibleMantleCellRecord({ coverage: [buildCoverage({ id: 'cov-a', subscriberId: 'A1' }), buildCoverage({ id: 'cov-b', subscriberId: 'B2' })] }),
      });
      assert.equal(coverageInformationFor(body, ORDER)?.coverage, 'Coverage/cov-b');
      assert.match(instructionsOf(body).detail, /this assessment uses CarePartners of Connecticut, member ID B2/);
    });

    it("another payer's Coverage is never used, even listed first: the plan's is", async () => {
      const medicaid = buildCoverage({ id: 'medicaid', payor: [{ display: 'HUSKY Health (Connecticut Medicaid)' }] });
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [medicaid, buildCoverage({ id: 'plan' })] }) });
      assert.equal(coverageInformationFor(body, ORDER)?.coverage, 'Coverage/plan');
    });

    it("only another payer's Coverage: no coverage information, and a card says eligibility could not be confirmed", async () => {
      const medicaid = buildCoverage({ id: 'medicaid', payor: [{ display: 'HUSKY Health (Connecticut Medicaid)' }] });
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [medicaid] }) });
      assert.deepEqual(body['systemActions'], []);
      assert.ok((body['cards'] as Json[]).some((c) => /Eligibility could not be confirmed/.test(c['summary'] as string)));
    });

    it('a plan Coverage whose period ended before the date of service is not used', async () => {
      const { body } = await sign({ record: eligibleMantleCellRecord({ coverage: [buildCoverage({ period: { start: '2024-01-01', end: '2025-12-31' } })] }) });
      assert.deepEqual(body['systemActions'], []);
      assert.match(JSON.stringify(body['cards']), /does not include 2026-06-15/);
    });
  });

  describe('several Tecartus orders', () => {
    const two = () => [buildTecartusOrder(), buildTecartusOrder({ id: 'tecartus-order-2' })];

    it('two orders on one Coverage share one coverage-assertion-id (Inferno), and neither is prior therapy for the other', async () => {
      const { body } = await sign({ orders: two() });
      const a = coverageInformationFor(body, ORDER)!;
      const b = coverageInformationFor(body, 'MedicationRequest/tecartus-order-2')!;
      assert.equal(a.assertionId, b.assertionId);
      // Two Tecartus orders in one call ask for more than one infusion: repeat-dosing on each (issue 10, rule 4).
      assert.equal(a.covered, 'conditional');
      assert.deepEqual(a.reasons, ['pa-required', 'repeat-dosing']);
      assert.deepEqual(b.reasons, ['pa-required', 'repeat-dosing']);
    });

    it('the finding cards name each order', async () => {
      const { body } = await sign({ orders: two(), record: eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.10') })] }) });
      const findingCards = (body['cards'] as Json[]).filter((c) => c['indicator'] === 'warning' && /Relapsed or refractory status/.test(c['summary'] as string));
      assert.equal(findingCards.length, 2);
      const named = findingCards.map((c) => ((c['extension'] as Json)['davinci-crd.associated-resource'] as { reference: string }[]).map((r) => r.reference));
      assert.deepEqual(named.flat().sort(), [ORDER, 'MedicationRequest/tecartus-order-2']);
      for (const card of findingCards) {
        const [reference] = ((card['extension'] as Json)['davinci-crd.associated-resource'] as { reference: string }[]).map((r) => r.reference);
        assert.match(card['detail'] as string, new RegExp(`Order ${reference!.replace('/', '\\/')}`), 'detail names the order in words (CRD dev-24)');
      }
      const instructions = (body['cards'] as Json[]).find((c) => c['indicator'] === 'info' && /Prior authorization required/.test(c['summary'] as string))!;
      assert.deepEqual((instructions['extension'] as Json)['davinci-crd.associated-resource'], [{ reference: ORDER }, { reference: 'MedicationRequest/tecartus-order-2' }]);
    });

    it('orders on different Coverages get different ids (CRD resp-32)', async () => {
      const { body } = await sign({
        orders: [buildTecartusOrder({ insurance: [{ reference: 'Coverage/cov-a' }] }), buildTecartusOrder({ id: 'tecartus-order-2', insurance: [{ reference: 'Coverage/cov-b' }] })],
        record: eligibleMantleCellRecord({ coverage: [buildCoverage({ id: 'cov-a' }), buildCoverage({ id: 'cov-b' })] }),
      });
      const a = coverageInformationFor(body, ORDER)!;
      const b = coverageInformationFor(body, 'MedicationRequest/tecartus-order-2')!;
      assert.equal(a.coverage, 'Coverage/cov-a');
      assert.equal(b.coverage, 'Coverage/cov-b');
      assert.notEqual(a.assertionId, b.assertionId);
    });
  });
});
