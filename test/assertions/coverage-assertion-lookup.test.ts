import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildProcedure, buildTecartusOrder, buildTecartusServiceRequest, cpt } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp, postHook } from '../support/test-app.js';

const ORDER = 'MedicationRequest/tecartus-order-1';

async function lookUp(app: Parameters<typeof request>[0], id: string) {
  const res = await request(app).get(`/coverage-assertions/${encodeURIComponent(id)}`);
  if (res.status !== 200) assertAnswerConforms(res, 'lookup', {});
  return res;
}

describe('GET /coverage-assertions/{id}: the look-up DTR, PAS and claims processing use', () => {
  it('answers the assertion for an id the service gave: order, decision, reasons, policy version, date', async () => {
    const { app } = createTestApp();
    const hook = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ id: 'p-1', code: cpt('38228') })] }) }));
    const info = coverageInformationFor(hook.body, ORDER)!;
    const res = await lookUp(app, info.assertionId);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.coverageAssertionId, info.assertionId);
    assert.equal(res.body.coverage, 'Coverage/cov-1');
    assert.equal(res.body.patientId, 'pat-1');
    assert.equal(res.body.hook, 'order-sign');
    assert.match(res.body.firstAsserted, /^\d{4}-\d{2}-\d{2}T/);
    const [order] = res.body.orders;
    assert.equal(order.order, ORDER);
    assert.deepEqual(order.policy, { id: 'carepartners-ct-tecartus', version: '2025-09-01' });
    assert.equal(order.determination, 'not-covered');
    assert.equal(order.covered, 'not-covered');
    assert.deepEqual(
      order.reasons.map((r: { code: string }) => r.code),
      info.reasons,
    );
    assert.equal(order.date, info.raw.extension!.find((e) => e.url === 'date')!.valueDate);
    assert.deepEqual(order.findings, [{ code: 'prior-car-t', determination: 'not-covered', evidence: ['Procedure/p-1'] }]);
    assert.ok(order.criteria.some((c: { criterion: string; status: string }) => c.criterion === 'no-prior-car-t' && c.status === 'not-met'));
  });

  it('one id covers all Tecartus orders on one Coverage in a call: the look-up returns each order', async () => {
    const { app } = createTestApp();
    const hook = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [buildTecartusOrder(), buildTecartusServiceRequest()] }));
    const id = coverageInformationFor(hook.body, ORDER)!.assertionId;
    assert.equal(coverageInformationFor(hook.body, 'ServiceRequest/tecartus-sr-1')?.assertionId, id);
    const res = await lookUp(app, id);
    assert.deepEqual(
      res.body.orders.map((o: { order: string }) => o.order).sort(),
      [ORDER, 'ServiceRequest/tecartus-sr-1'],
    );
  });

  it('answers 404 with an OperationOutcome for an id it never gave', async () => {
    const { app } = createTestApp();
    const res = await lookUp(app, 'f'.repeat(64));
    assert.equal(res.status, 404);
    assert.equal(res.body.issue[0].code, 'not-found');
  });

  it('answers 503 when the store cannot be read', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    const { app } = createTestApp({}, { store });
    await store.close();
    const res = await lookUp(app, 'f'.repeat(64));
    assert.equal(res.status, 503);
    assert.equal(res.body.issue[0].code, 'transient');
  });
});
