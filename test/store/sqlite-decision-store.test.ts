import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { decisionStoreContract } from './decision-store-contract.js';

decisionStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tecartus-store-'));
  const path = join(dir, 'nested', 'decisions.sqlite');
  return {
    open: () => new SqliteDecisionStore({ path, synchronous: 'NORMAL' }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

/** The store's own better-sqlite3 connection (pragmas are per connection). */
const connectionOf = (store: SqliteDecisionStore) => (store as unknown as { db: { connection: Database.Database } }).db.connection;

describe('SQLite settings', () => {
  const pragmas = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return { journal: db.pragma('journal_mode', { simple: true }) };
    } finally {
      db.close();
    }
  };

  it('uses the WAL journal, creating the folder of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-store-'));
    try {
      const path = join(dir, 'data', 'x.sqlite');
      const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
      await store.close();
      assert.equal(pragmas(path).journal, 'wal');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs with synchronous=FULL when asked (survives power loss, at an fsync per commit)', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'FULL' });
    assert.equal(connectionOf(store).pragma('synchronous', { simple: true }), 2);
    await store.close();
    const normal = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    assert.equal(connectionOf(normal).pragma('synchronous', { simple: true }), 1);
    await normal.close();
  });
});
