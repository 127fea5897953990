import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresReplayStore } from '../../src/auth/postgres-replay-store.js';
import { MemoryReplayStore, replayKey, type ReplayStore } from '../../src/auth/replay-store.js';
import { openSecurityStores, type SecurityStores } from '../../src/auth/security-stores.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { deleteRedisKeys, TEST_DATABASE_URL, TEST_REDIS_URL, testSchema, uniqueName } from '../support/shared-servers.js';
import { createTestApp, postHook } from '../support/test-app.js';

const AUD = audienceFor(`/cds-services/${ORDER_SIGN}`);
const silent = createLogger('silent');
const inAMinute = () => new Date(Date.now() + 60_000);

let signer: TestSigner;
let clientsFile: { path: string; remove: () => void };

before(async () => {
  signer = await makeSigner('ES384', 'https://ehr.example.org', 'k1');
  clientsFile = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
});
after(() => clientsFile.remove());

/** Two instances of the service sharing one replay store backend: a token used on one is refused by the other. */
async function assertReplayRefusedAcrossInstances(storeA: ReplayStore, storeB: ReplayStore): Promise<void> {
  const env = { CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL };
  const one = createTestApp(env, { replayStore: storeA });
  const two = createTestApp(env, { replayStore: storeB });
  const token = await signCdsJwt(signer, AUD);
  assert.equal((await postHook(one.app, ORDER_SIGN, buildHookRequest(), bearer(token))).status, 200);
  const replay = await postHook(two.app, ORDER_SIGN, buildHookRequest(), bearer(token));
  assert.equal(replay.status, 401);
  assert.match(replay.headers['www-authenticate'] ?? '', /error_description="replayed: /);
  assert.equal((await postHook(two.app, ORDER_SIGN, buildHookRequest(), bearer(await signCdsJwt(signer, AUD)))).status, 200, 'a fresh token still passes');
}

/** The contract every store keeps. */
function storeContract(open: () => Promise<ReplayStore>) {
  it('a jti is accepted once and refused after', async () => {
    const store = await open();
    const key = replayKey('https://ehr.example.org', uniqueName('jti'));
    assert.equal(await store.firstUse(key, inAMinute()), true);
    assert.equal(await store.firstUse(key, inAMinute()), false);
  });

  it('a jti whose record has expired may be used again (its token can no longer be accepted anyway)', async () => {
    const store = await open();
    const key = replayKey('https://ehr.example.org', uniqueName('jti'));
    assert.equal(await store.firstUse(key, new Date(Date.now() + 1100)), true);
    await new Promise((r) => setTimeout(r, 1300));
    assert.equal(await store.firstUse(key, inAMinute()), true);
  });

  it('concurrent uses of one jti: exactly one is first', async () => {
    const store = await open();
    const key = replayKey('https://ehr.example.org', uniqueName('jti'));
    const results = await Promise.all(Array.from({ length: 8 }, () => store.firstUse(key, inAMinute())));
    assert.equal(results.filter(Boolean).length, 1);
  });
}

describe('A replay store that fails', () => {
  it('fails closed: 503 with Retry-After and an OperationOutcome, never an accepted token', async () => {
    const broken: ReplayStore = { kind: 'broken', firstUse: async () => Promise.reject(new Error('connection refused')), close: async () => {} };
    const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL }, { replayStore: broken });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest(), bearer(await signCdsJwt(signer, AUD)));
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.match(res.body.issue[0].details.text, /cannot check tokens for replay/);
    assert.ok(logs.some((l) => l.includes('replay store (broken) failed: connection refused')));
  });
});

describe('Replay store in memory (one instance)', () => {
  storeContract(async () => new MemoryReplayStore());

  it('the same jti from two issuers are two different tokens', () => {
    assert.notEqual(replayKey('https://a.example.org', 'n1'), replayKey('https://b.example.org', 'n1'));
  });
});

describe('Replay store in PostgreSQL (shared by instances)', () => {
  let schema: Awaited<ReturnType<typeof testSchema>>;
  const opened: ReplayStore[] = [];
  const open = async () => {
    const store = await PostgresReplayStore.open({ connectionString: TEST_DATABASE_URL, schema: schema.name, logger: silent });
    opened.push(store);
    return store;
  };
  before(async () => {
    schema = await testSchema('jwt_replay');
  });
  after(async () => {
    for (const s of opened) await s.close();
    await schema.drop();
  });

  storeContract(open);

  it('a token replayed to another instance is refused', async () => {
    await assertReplayRefusedAcrossInstances(await open(), await open());
  });

  it('creates its own table cds_jwt_replay, holding hashes and times only', async () => {
    await open();
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name', [schema.name, 'cds_jwt_replay']);
      assert.deepEqual(rows.map((r) => r.column_name), ['expires_at', 'jti_key']);
    } finally {
      await client.end();
    }
  });

  it('DATABASE_URL=postgres://… selects it (JWT_REPLAY_STORE=auto)', async () => {
    const config = loadConfig({ CDS_CLIENTS_FILE: clientsFile.path, DATABASE_URL: TEST_DATABASE_URL });
    const stores = await openSecurityStores(config, silent, { postgresSchema: schema.name });
    try {
      assert.equal(stores.replayStore.kind, 'postgres');
    } finally {
      await stores.close();
    }
  });
});

describe('Replay store in Redis (shared by instances)', () => {
  const prefix = `${uniqueName('test-jwt')}:`;
  const opened: SecurityStores[] = [];
  const open = async () => {
    const stores = await openSecurityStores(loadConfig({ CDS_CLIENTS_FILE: clientsFile.path, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }), silent);
    opened.push(stores);
    return stores.replayStore;
  };
  after(async () => {
    for (const s of opened) await s.close();
    await deleteRedisKeys(prefix);
  });

  storeContract(open);

  it('REDIS_URL selects it, even when DATABASE_URL is set too', async () => {
    const stores = await openSecurityStores(loadConfig({ CDS_CLIENTS_FILE: clientsFile.path, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, DATABASE_URL: TEST_DATABASE_URL }), silent);
    opened.push(stores);
    assert.equal(stores.replayStore.kind, 'redis');
  });

  it('a token replayed to another instance is refused', async () => {
    await assertReplayRefusedAcrossInstances(await open(), await open());
  });

  it('a Redis that cannot be reached fails start-up with a clear message', async () => {
    await assert.rejects(
      openSecurityStores(loadConfig({ CDS_CLIENTS_FILE: clientsFile.path, REDIS_URL: 'redis://127.0.0.1:9' }), silent),
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:9/,
    );
  });
});
