import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MedicationRequest } from 'fhir/r4.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import {
  buildMedication,
  buildOtherOrder,
  buildTecartusOrder,
  buildTecartusServiceRequest,
  coding,
  concept,
  hcpcs,
  ndc,
  rxnorm,
  searchset,
  SYSTEMS,
  withBillingOptions,
} from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN, type HookRequestOptions } from '../support/hook-requests.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();
const ORDER = 'MedicationRequest/tecartus-order-1';
type Json = Record<string, unknown>;

async function signed(options: HookRequestOptions) {
  const res = await postHook(app, ORDER_SIGN, buildHookRequest(options));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Json;
}

/** The order was recognised as Tecartus: it gets coverage information and the PA cards name it. */
async function assertTecartus(options: HookRequestOptions, reference = ORDER) {
  const body = await signed(options);
  const info = coverageInformationFor(body, reference);
  assert.ok(info, `coverage information for ${reference}`);
  assert.deepEqual(info.billingCodes, ['Q2053']);
  const cards = body['cards'] as Json[];
  assert.ok(cards.length > 0, 'cards for the Tecartus order');
  for (const card of cards) assert.deepEqual((card['extension'] as Json)['davinci-crd.associated-resource'], [{ reference }]);
}

async function assertNotTecartus(options: HookRequestOptions) {
  assert.deepEqual(await signed(options), { cards: [], systemActions: [] });
}

const orderWith = (medicationCodeableConcept: MedicationRequest['medicationCodeableConcept']) => buildTecartusOrder({ medicationCodeableConcept });

describe('Which orders are Tecartus orders', () => {
  describe('HCPCS on the MedicationRequest', () => {
    for (const system of ['hcpcs', 'hcpcsHttps', 'hcpcsBlueButton'] as const) {
      it(`Q2053 under ${SYSTEMS[system]}`, async () => {
        await assertTecartus({ orders: [orderWith(concept(coding(system, 'Q2053')))] });
      });
    }

    it('C9073, Tecartus code before 2021-04', async () => {
      await assertTecartus({ orders: [orderWith(hcpcs('C9073'))] });
    });

    it('Q2053 written in lower case', async () => {
      await assertTecartus({ orders: [orderWith(hcpcs('q2053'))] });
    });

    it('another CAR-T product (Q2041, Yescarta) is not Tecartus', async () => {
      await assertNotTecartus({ orders: [orderWith(hcpcs('Q2041'))] });
    });

    it('Q2053 under a system that is not HCPCS is not Tecartus', async () => {
      await assertNotTecartus({ orders: [orderWith(concept({ system: 'http://example.org/local-codes', code: 'Q2053' }))] });
    });
  });

  describe('RxNorm', () => {
    for (const code of ['2387347', '2387352', '2572002', '2572005']) {
      it(`RxNorm ${code}`, async () => {
        await assertTecartus({ orders: [orderWith(rxnorm(code))] });
      });
    }
  });

  describe('NDC, in every layout', () => {
    for (const [layout, code] of [
      ['10-digit with dashes (5-3-2)', '71287-219-02'],
      ['11-digit with dashes (5-4-2)', '71287-0219-02'],
      ['11-digit without dashes', '71287021902'],
      ['10-digit without dashes', '7128721902'],
      ['the 68 mL bag, 10-digit with dashes', '71287-219-01'],
    ] as const) {
      it(`NDC ${layout}: ${code}`, async () => {
        await assertTecartus({ orders: [orderWith(ndc(code))] });
      });
    }

    it('the NDC of another Kite product (Yescarta, 71287-119-01) is not Tecartus', async () => {
      await assertNotTecartus({ orders: [orderWith(ndc('71287-119-01'))] });
    });
  });

  describe('CRD ext-billing-options', () => {
    it('HCPCS Q2053 in ext-billing-options on medicationCodeableConcept, next to an RxNorm code that is not ours', async () => {
      await assertTecartus({ orders: [orderWith(withBillingOptions(rxnorm('9999999'), hcpcs('Q2053')))] });
    });

    it('HCPCS Q2053 under the BlueButton URI in ext-billing-options', async () => {
      await assertTecartus({ orders: [orderWith(withBillingOptions(rxnorm('9999999'), concept(coding('hcpcsBlueButton', 'Q2053'))))] });
    });

    it('a billing option of another code is not Tecartus', async () => {
      await assertNotTecartus({ orders: [orderWith(withBillingOptions(rxnorm('9999999'), hcpcs('J9999')))] });
    });
  });

  describe('a Medication the order references', () => {
    const byReference = (reference: string, extra: Partial<MedicationRequest> = {}) => {
      const { medicationCodeableConcept: _omit, ...order } = buildTecartusOrder({ medicationReference: { reference }, ...extra });
      return order as MedicationRequest;
    };

    it('contained in the order (#id)', async () => {
      const medication = buildMedication({ id: 'tec', code: ndc('71287-219-02') });
      await assertTecartus({ orders: [byReference('#tec', { contained: [medication] })] });
    });

    it('in draftOrders', async () => {
      const medication = buildMedication({ id: 'tec-med', code: rxnorm('2387347') });
      await assertTecartus({ orders: [byReference('Medication/tec-med')], draftExtras: [medication] });
    });

    it('in prefetch, under its own key', async () => {
      const medication = buildMedication({ id: 'tec-med-2', code: hcpcs('Q2053') });
      await assertTecartus({ orders: [byReference('Medication/tec-med-2')], extraPrefetch: { medications: medication } });
    });

    it('in prefetch, inside a searchset', async () => {
      const medication = buildMedication({ id: 'tec-med-3', code: ndc('71287021902') });
      await assertTecartus({ orders: [byReference('Medication/tec-med-3')], extraPrefetch: { medications: searchset([medication]) } });
    });

    it('by an absolute reference', async () => {
      const medication = buildMedication({ id: 'tec-med-4', code: rxnorm('2387352') });
      await assertTecartus({ orders: [byReference('https://ehr.example.org/fhir/Medication/tec-med-4')], draftExtras: [medication] });
    });

    it('a referenced Medication that is not Tecartus is not Tecartus', async () => {
      const medication = buildMedication({ id: 'amox-med', code: rxnorm('617993') });
      await assertNotTecartus({ orders: [byReference('Medication/amox-med')], draftExtras: [medication] });
    });

    it('a contained Tecartus Medication the order does not reference does not make it Tecartus', async () => {
      const order = buildOtherOrder({ contained: [buildMedication({ id: 'tec', code: hcpcs('Q2053') })] });
      await assertNotTecartus({ orders: [order] });
    });
  });

  describe('ServiceRequest', () => {
    it('a ServiceRequest coded HCPCS Q2053', async () => {
      await assertTecartus({ orders: [buildTecartusServiceRequest()] }, 'ServiceRequest/tecartus-sr-1');
    });

    it('a ServiceRequest with Q2053 in ext-billing-options', async () => {
      const sr = buildTecartusServiceRequest({ code: withBillingOptions(concept({ system: SYSTEMS.snomed, code: '1156961008' }), hcpcs('Q2053')) });
      await assertTecartus({ orders: [sr] }, 'ServiceRequest/tecartus-sr-1');
    });
  });

  describe('orders that are not Tecartus', () => {
    it('order-sign answers {cards: [], systemActions: []}', async () => {
      await assertNotTecartus({ orders: [buildOtherOrder()] });
    });

    it('order-select answers {cards: []} with no systemActions key', async () => {
      const res = await postHook(app, ORDER_SELECT, buildHookRequest({ hook: 'order-select', orders: [buildOtherOrder()] }));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { cards: [] });
      assert.ok(!('systemActions' in res.body));
    });

    it('in mixed drafts, only the Tecartus order gets an update and the cards name only it', async () => {
      const body = await signed({ orders: [buildOtherOrder(), buildTecartusOrder(), buildTecartusServiceRequest({ id: 'other-sr', code: hcpcs('J9999') })] });
      const actions = body['systemActions'] as Json[];
      assert.deepEqual(
        actions.map((a) => `${(a['resource'] as Json)['resourceType']}/${(a['resource'] as Json)['id']}`),
        [ORDER],
      );
      for (const card of body['cards'] as Json[]) assert.deepEqual((card['extension'] as Json)['davinci-crd.associated-resource'], [{ reference: ORDER }]);
    });
  });

  describe('order-select: only the selected orders are judged', () => {
    it('a Tecartus order in draftOrders but not in selections gets nothing', async () => {
      const res = await postHook(
        app,
        ORDER_SELECT,
        buildHookRequest({ hook: 'order-select', orders: [buildTecartusOrder(), buildOtherOrder()], selections: ['MedicationRequest/amox-1'] }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { cards: [] });
    });

    it('a selected Tecartus order is judged and only it, next to an unselected one', async () => {
      const second = buildTecartusOrder({ id: 'tecartus-order-2' });
      const res = await postHook(
        app,
        ORDER_SELECT,
        buildHookRequest({ hook: 'order-select', orders: [buildTecartusOrder(), second], selections: ['MedicationRequest/tecartus-order-2'] }),
      );
      assert.equal(res.status, 200);
      assert.ok(coverageInformationFor(res.body, 'MedicationRequest/tecartus-order-2'));
      assert.equal(coverageInformationFor(res.body, ORDER), undefined);
      assert.equal((res.body['systemActions'] as Json[]).length, 1);
    });

    it('order-select coverage information has no doc-needed or doc-purpose (CRD hook-19)', async () => {
      const res = await postHook(app, ORDER_SELECT, buildHookRequest({ hook: 'order-select' }));
      assert.equal(res.status, 200);
      const info = coverageInformationFor(res.body, ORDER);
      assert.ok(info);
      assert.equal(info.covered, 'covered');
      assert.equal(info.paNeeded, 'auth-needed');
      assert.deepEqual(info.docNeeded, []);
      assert.deepEqual(info.docPurpose, []);
    });
  });
});
