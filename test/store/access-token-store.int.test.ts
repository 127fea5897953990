import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accessTokenSha256, type AccessTokenRecord } from '../../src/store/access-token-store.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema, withPostgres } from '../support/postgres.js';

interface Database {
  /** Opens a store on the test database: each call is another instance of the service. */
  readonly open: () => DecisionStore;
  /** Every stored value of access_tokens, as text (to search for a raw token). */
  readonly rawRows: () => Promise<string>;
  readonly dispose: () => Promise<void>;
}

const minutes = (n: number) => n * 60_000;

function tokenRecord(token: string, issuedAt: Date, ttlMs = minutes(5), overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  return { tokenSha256: accessTokenSha256(token), clientIss: 'https://ehr-a.example.org', scopes: ['system/Questionnaire.rs', 'system/Claim.c'], issuedAt, expiresAt: new Date(issuedAt.getTime() + ttlMs), ...overrides };
}

const newToken = () => randomBytes(32).toString('base64url');

/** The access-token store's behaviour, the same on SQLite and PostgreSQL. */
function accessTokenStoreContract(name: string, setup: () => Promise<Database>): void {
  describe(`${name}: SMART access tokens (access_tokens, migration 3)`, () => {
    let db: Database;
    let one: DecisionStore;
    let two: DecisionStore;

    before(async () => {
      db = await setup();
      one = db.open();
      await one.ready();
      two = db.open();
      await two.ready();
    });
    after(async () => {
      await one?.close();
      await two?.close();
      await db?.dispose();
    });

    it('a token issued is found by its SHA-256, with its client, scopes, issue and expiry times', async () => {
      const token = newToken();
      const record = tokenRecord(token, new Date());
      await one.accessTokens().issue(record);
      assert.deepEqual(await one.accessTokens().find(accessTokenSha256(token)), record);
      assert.equal(await one.accessTokens().find(accessTokenSha256(newToken())), undefined);
    });

    it('only the SHA-256 is stored: the token itself is in no column', async () => {
      const token = newToken();
      await one.accessTokens().issue(tokenRecord(token, new Date()));
      const rows = await db.rawRows();
      assert.ok(rows.includes(accessTokenSha256(token)));
      assert.ok(!rows.includes(token));
    });

    it('an instance finds the tokens another instance issued (one database, several instances)', async () => {
      const token = newToken();
      await one.accessTokens().issue(tokenRecord(token, new Date()));
      assert.equal((await two.accessTokens().find(accessTokenSha256(token)))?.clientIss, 'https://ehr-a.example.org');
    });

    it('an expired token is still found (the guard says "expired") until a newer token is issued, which deletes it', async () => {
      const expired = newToken();
      const live = newToken();
      const start = new Date(Date.now() - minutes(30));
      await one.accessTokens().issue(tokenRecord(expired, start));
      await one.accessTokens().issue(tokenRecord(live, start, minutes(60)));
      assert.ok(await one.accessTokens().find(accessTokenSha256(expired)), 'kept until the next issue');
      await two.accessTokens().issue(tokenRecord(newToken(), new Date()));
      assert.equal(await one.accessTokens().find(accessTokenSha256(expired)), undefined, 'deleted once expired at a later issue');
      assert.ok(await one.accessTokens().find(accessTokenSha256(live)), 'an unexpired token is kept');
    });
  });
}

accessTokenStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tecartus-tokens-'));
  const path = join(dir, 'store.sqlite');
  return {
    open: () => new SqliteDecisionStore({ path, synchronous: 'NORMAL' }),
    rawRows: async () => {
      const { default: Sqlite } = await import('better-sqlite3');
      const raw = new Sqlite(path, { readonly: true });
      try {
        return JSON.stringify(raw.prepare('SELECT * FROM access_tokens').all());
      } finally {
        raw.close();
      }
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

accessTokenStoreContract('PostgreSQL', async () => {
  const schema = uniqueSchema('tokens');
  return {
    open: () => new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 }),
    rawRows: () => withPostgres(async (c) => JSON.stringify((await c.query(`SELECT * FROM ${schema}.access_tokens`)).rows)),
    dispose: () => dropSchema(schema),
  };
});
