import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SQLITE_PATH, loadConfig } from '../../src/config.js';
import { fromRoot } from '../../src/paths.js';

describe('DATABASE_URL chooses the store', () => {
  it('with nothing set, an SQLite file under ./data (npm start needs no setup), synchronous=NORMAL', () => {
    assert.deepEqual(loadConfig({}).database, { kind: 'sqlite', path: fromRoot('data', 'tecartus-cds.sqlite'), synchronous: 'NORMAL' });
    assert.equal(DEFAULT_SQLITE_PATH, fromRoot('data', 'tecartus-cds.sqlite'));
  });

  it('a postgres:// or postgresql:// URL: PostgreSQL, schema public, a pool of 10', () => {
    for (const url of ['postgres://cds@db.internal:5432/cds', 'postgresql://cds@db.internal/cds']) {
      assert.deepEqual(loadConfig({ DATABASE_URL: url }).database, { kind: 'postgres', url, schema: 'public', poolMax: 10 });
    }
  });

  it('DATABASE_SCHEMA and DATABASE_POOL_MAX set the PostgreSQL schema and pool size', () => {
    const { database } = loadConfig({ DATABASE_URL: 'postgres://cds@db/cds', DATABASE_SCHEMA: 'crd_audit', DATABASE_POOL_MAX: '25' });
    assert.deepEqual(database, { kind: 'postgres', url: 'postgres://cds@db/cds', schema: 'crd_audit', poolMax: 25 });
  });

  it('a file path, sqlite:<path> or :memory: is SQLite', () => {
    assert.equal(loadConfig({ DATABASE_URL: '/var/lib/cds/decisions.sqlite' }).database.kind, 'sqlite');
    const named = loadConfig({ DATABASE_URL: 'sqlite:/var/lib/cds/decisions.sqlite' }).database;
    assert.ok(named.kind === 'sqlite' && named.path === '/var/lib/cds/decisions.sqlite');
    const memory = loadConfig({ DATABASE_URL: ':memory:' }).database;
    assert.ok(memory.kind === 'sqlite' && memory.path === ':memory:');
  });

  it('SQLITE_SYNCHRONOUS=full asks SQLite for an fsync per commit', () => {
    const { database } = loadConfig({ SQLITE_SYNCHRONOUS: 'full' });
    assert.ok(database.kind === 'sqlite' && database.synchronous === 'FULL');
  });

  it('refuses what it cannot use, saying what is expected', () => {
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://cds@db/cds' }), /DATABASE_URL/);
    assert.throws(() => loadConfig({ DATABASE_SCHEMA: 'Robert"); DROP TABLE' }), /DATABASE_SCHEMA/);
    assert.throws(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' }), /SQLITE_SYNCHRONOUS/);
    assert.throws(() => loadConfig({ RETENTION_DAYS: '0' }), /RETENTION_DAYS/);
  });

  it('keeps records ten years unless RETENTION_DAYS says otherwise', () => {
    assert.equal(loadConfig({}).retentionDays, 3650);
    assert.equal(loadConfig({ RETENTION_DAYS: '400' }).retentionDays, 400);
  });
});
