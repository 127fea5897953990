import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FhirResource, MedicationRequest } from 'fhir/r4.js';
import request from 'supertest';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildProcedure, buildTecartusOrder, cpt } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

type Json = Record<string, unknown>;
const ORDER = 'MedicationRequest/tecartus-order-1';

/** The order as the EHR holds it after applying the answer's update system action. */
function updatedOrder(body: Json): FhirResource {
  const action = (body['systemActions'] as Json[]).find((a) => a['type'] === 'update');
  assert.ok(action, 'an update system action');
  return action['resource'] as FhirResource;
}

describe('The same order judged again with nothing changed keeps its coverage-assertion-id (CRD resp-35, resp-36)', () => {
  it('a re-sign of the order carrying our coverage information: same id, and no new update system action', async () => {
    const { app, store } = createTestApp();
    const first = await postHook(app, ORDER_SIGN, buildHookRequest());
    const firstId = coverageInformationFor(first.body, ORDER)!.assertionId;

    const resign = buildHookRequest({ orders: [updatedOrder(first.body)] });
    const second = await postHook(app, ORDER_SIGN, resign);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.systemActions, [], 'CRD resp-35: no update when the order already carries the same coverage information');
    assert.ok((second.body.cards as unknown[]).length > 0, 'the cards are still given');

    const [call] = await store.findHookCalls(resign['hookInstance'] as string);
    assert.equal(call?.orders[0]?.coverageInformation?.assertionId, firstId, 'the re-sign is recorded under the same assertion');
    assert.equal(call?.orders[0]?.coverageInformation?.sent, false);
    const lookup = await request(app).get(`/coverage-assertions/${firstId}`);
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.lastAsserted, call?.answeredAt.toISOString(), 'the look-up shows the assertion was given again');
  });

  it('the same order signed again as first written (without our extension) keeps its id', async () => {
    const { app } = createTestApp();
    const a = await postHook(app, ORDER_SIGN, buildHookRequest());
    const b = await postHook(app, ORDER_SIGN, buildHookRequest());
    assert.equal(coverageInformationFor(b.body, ORDER)!.assertionId, coverageInformationFor(a.body, ORDER)!.assertionId);
  });

  it('a changed order gets a new id and a new update', async () => {
    const { app } = createTestApp();
    const first = await postHook(app, ORDER_SIGN, buildHookRequest());
    const changed = { ...(updatedOrder(first.body) as MedicationRequest), dosageInstruction: [{ text: 'Single IV infusion, day 0 after lymphodepletion' }] };
    const second = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [changed] }));
    const info = coverageInformationFor(second.body, ORDER);
    assert.ok(info, 'an update carries the new coverage information');
    assert.notEqual(info.assertionId, coverageInformationFor(first.body, ORDER)!.assertionId);
  });

  it('a change in the record that changes the decision gets a new id', async () => {
    const { app } = createTestApp();
    const first = await postHook(app, ORDER_SIGN, buildHookRequest());
    const record = eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] });
    const second = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [updatedOrder(first.body)], record }));
    const info = coverageInformationFor(second.body, ORDER);
    assert.equal(info?.covered, 'not-covered');
    assert.notEqual(info?.assertionId, coverageInformationFor(first.body, ORDER)!.assertionId);
  });

  it('another patient with the same order gets another id', async () => {
    const { app } = createTestApp();
    const a = await postHook(app, ORDER_SIGN, buildHookRequest());
    const other = buildHookRequest({ orders: [buildTecartusOrder({ subject: { reference: 'Patient/pat-2' } })] });
    (other['context'] as Json)['patientId'] = 'pat-2';
    const b = await postHook(app, ORDER_SIGN, other);
    assert.notEqual(coverageInformationFor(b.body, ORDER)?.assertionId, coverageInformationFor(a.body, ORDER)!.assertionId);
  });
});
