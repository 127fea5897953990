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
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    await store.close();
    const normal = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    assert.equal((normal as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }), 1);
    await normal.close();
  });
});
