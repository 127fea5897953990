import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { isOperationOutcome } from '../support/cds-conformance.js';
import { jwksOf, makeSigner, PUBLIC_BASE_URL, writeClientsFile } from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres.js';
import { createTestApp, testPolicy } from '../support/test-app.js';

/** A TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('GET /healthz: the process is up', () => {
  it('answers 200 with status up, not cached', async () => {
    const { app } = createTestApp();
    const res = await request(app).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'up' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('answers 200 even when the decision store is unreachable (liveness is not readiness)', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    await store.close();
    const res = await request(createTestApp({}, { store }).app).get('/healthz');
    assert.equal(res.status, 200);
  });
});

describe('GET /readyz: the store is reachable and the policy loaded', () => {
  it('answers 200 naming the store and the policy version when the SQLite store answers', async () => {
    const { app, store } = createTestApp();
    const res = await request(app).get('/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ready', store: 'sqlite', policy: { id: testPolicy().definition.id, version: testPolicy().definition.version } });
    assert.equal(res.headers['cache-control'], 'no-store');
    await store.close();
  });

  it('answers 503 with an OperationOutcome and Retry-After when the SQLite store is closed', async () => {
    const { app, store, logs } = createTestApp();
    await store.close();
    const res = await request(app).get('/readyz');
    assert.equal(res.status, 503);
    assert.ok(isOperationOutcome(res.body));
    assert.equal(res.body.issue[0].code, 'transient');
    assert.match(res.body.issue[0].details.text, /decision store is unavailable/);
    assert.equal(res.headers['retry-after'], '5');
    assert.ok(logs.some((l) => l.includes('"event":"store-unavailable"') && l.includes('"operation":"readiness"')));
  });

  describe('with PostgreSQL', () => {
    const schema = uniqueSchema('readyz');
    const stores: PostgresDecisionStore[] = [];
    after(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    });

    it('answers 200 when PostgreSQL answers', async () => {
      const store = new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 });
      stores.push(store);
      const res = await request(createTestApp({}, { store }).app).get('/readyz');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.store, 'postgres');
    });

    it('answers 503 with an OperationOutcome when PostgreSQL cannot be reached (nothing listens on its port)', async () => {
      const store = new PostgresDecisionStore({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, schema, poolMax: 2 });
      stores.push(store);
      const res = await request(createTestApp({}, { store }).app).get('/readyz');
      assert.equal(res.status, 503);
      assert.ok(isOperationOutcome(res.body));
      assert.equal(res.headers['retry-after'], '5');
    });

    it('answers 503 once the PostgreSQL store is closed', async () => {
      const store = new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 });
      const { app } = createTestApp({}, { store });
      assert.equal((await request(app).get('/readyz')).status, 200);
      await store.close();
      assert.equal((await request(app).get('/readyz')).status, 503);
    });
  });
});

describe('Probes and metrics stay outside JWT authentication', () => {
  let clientsFile: { path: string; remove: () => void };
  before(async () => {
    const signer = await makeSigner('ES384', 'https://ehr-probe.example.org');
    clientsFile = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
  });
  after(() => clientsFile.remove());

  it('GET /healthz, /readyz and /metrics answer 200 without a token while a hook call without one gets 401', async () => {
    const { app, store } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL });
    for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await request(app).get(path)).status, 200, path);
    assert.equal((await request(app).post(`/cds-services/${ORDER_SIGN}`).send(buildHookRequest())).status, 401);
    await store.close();
  });
});
