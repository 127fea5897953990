import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildTecartusOrder } from '../support/fhir-factories.js';
import { buildFeedbackItem, buildFeedbackRequest } from '../support/feedback-requests.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

type Json = Record<string, unknown>;

async function post(server: ServerProcess, path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Json };
}

describe('Several service instances share one PostgreSQL (a fleet behind a load balancer)', () => {
  const schema = uniqueSchema('fleet');
  let a: ServerProcess;
  let b: ServerProcess;

  before(async () => {
    // Started together on a fresh schema: the migrations of one wait for the other's.
    const env = { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropSchema(schema);
  });

  it('each instance answers a look-up for an assertion the other one made', async () => {
    for (const [maker, reader, id] of [
      [a, b, 'fleet-a'],
      [b, a, 'fleet-b'],
    ] as const) {
      const order = `MedicationRequest/${id}`;
      const hook = await post(maker, `/cds-services/${ORDER_SIGN}`, buildHookRequest({ orders: [buildTecartusOrder({ id })] }));
      assert.equal(hook.status, 200);
      const assertionId = coverageInformationFor(hook.body, order)!.assertionId;
      const res = await fetch(`${reader.baseUrl}/coverage-assertions/${assertionId}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { coverageAssertionId: string; orders: { order: string; covered: string }[] };
      assert.equal(body.coverageAssertionId, assertionId);
      assert.deepEqual(
        body.orders.map((o) => [o.order, o.covered]),
        [[order, 'covered']],
      );
    }
  });

  it('feedback sent to one instance is linked to a decision the other made', async () => {
    const hook = await post(a, `/cds-services/${ORDER_SIGN}`, buildHookRequest({ orders: [buildTecartusOrder({ id: 'fleet-feedback' })] }));
    const card = (hook.body['cards'] as Json[])[0]!['uuid'] as string;
    const res = await post(b, `/cds-services/${ORDER_SIGN}/feedback`, buildFeedbackRequest(buildFeedbackItem({ card, outcome: 'accepted' })));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body['feedback'], [{ card, status: 'stored', linked: true }]);
  });

  it('a retry that reaches the other instance is answered normally', async () => {
    const body = buildHookRequest({ orders: [buildTecartusOrder({ id: 'fleet-retry' })] });
    const [first, retry] = await Promise.all([post(a, `/cds-services/${ORDER_SIGN}`, body), post(b, `/cds-services/${ORDER_SIGN}`, body)]);
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200);
  });
});
