import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { DecisionStore, FeedbackRecord, HookCallRecord } from '../../src/store/decision-store.js';
import { addColumns, createTable, migrate, MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { PostgresDatabase, PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { schemaMigrations } from '../../src/store/schema.js';
import { query, type SqlDatabase } from '../../src/store/sql-database.js';
import { table, text } from '../../src/store/sql-table.js';
import { SqliteDatabase, SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { buildCardRecord, buildFeedbackRecord, buildHookCallRecord } from '../support/decision-records.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema, withPostgres } from '../support/postgres.js';
import { SCHEMA_V1 } from './fixtures/schema-v1.js';

/** A fresh, empty database of one kind, reachable three ways: raw SQL (as the first release wrote), the store, and its SqlDatabase. */
interface Fresh {
  /** Runs statements directly on the database, the way the first release did. */
  readonly raw: (sql: string, params?: readonly unknown[]) => Promise<void>;
  readonly openStore: () => DecisionStore;
  readonly openDatabase: () => SqlDatabase;
  /** Tables, columns, keys, constraints and indexes, comparable between two databases. */
  readonly structure: () => Promise<unknown>;
}

interface Engine {
  readonly name: string;
  readonly firstRelease: readonly string[];
  /** The first release's values: SQLite wrote moments as ISO text, JSON as text, booleans as 0/1. */
  readonly value: (v: unknown) => unknown;
  readonly fresh: () => Promise<Fresh>;
  readonly disposeAll: () => Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'tecartus-migrations-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const sqlite: Engine = {
  name: 'SQLite',
  firstRelease: SCHEMA_V1.sqlite,
  value: (v) => (v instanceof Date ? v.toISOString() : typeof v === 'boolean' ? (v ? 1 : 0) : v),
  fresh: async () => {
    const path = join(dir, `db-${++files}.sqlite`);
    const withFile = <T>(work: (db: Database.Database) => T): T => {
      const db = new Database(path);
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    return {
      raw: async (sql, params = []) =>
        withFile((db) => {
          if (params.length === 0) db.exec(sql);
          else db.prepare(sql).run(...params);
        }),
      openStore: () => new SqliteDecisionStore({ path, synchronous: 'NORMAL' }),
      openDatabase: () => new SqliteDatabase({ path, synchronous: 'NORMAL' }),
      structure: async () =>
        withFile((db) => {
          const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name").all();
          return tables.map(({ name }) => ({
            name,
            columns: db.pragma(`table_info(${name})`),
            foreignKeys: db.pragma(`foreign_key_list(${name})`),
            indexes: (db.pragma(`index_list(${name})`) as { name: string }[])
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((i) => ({ ...i, columns: db.pragma(`index_info(${i.name})`) })),
          }));
        }),
    };
  },
  disposeAll: async () => undefined,
};

const schemas: string[] = [];
const postgres: Engine = {
  name: 'PostgreSQL',
  firstRelease: SCHEMA_V1.postgres,
  value: (v) => (Array.isArray(v) || (typeof v === 'object' && v !== null && !(v instanceof Date)) ? JSON.stringify(v) : v),
  fresh: async () => {
    const schema = uniqueSchema('migrate');
    schemas.push(schema);
    await withPostgres((c) => c.query(`CREATE SCHEMA ${schema}`));
    const options = { url: TEST_DATABASE_URL, schema, poolMax: 2 };
    return {
      raw: (sql, params = []) =>
        withPostgres(async (c) => {
          await c.query(`SET search_path TO ${schema}`);
          let n = 0;
          await c.query(
            sql.replace(/\?/g, () => `$${++n}`),
            params as unknown[],
          );
        }),
      openStore: () => new PostgresDecisionStore(options),
      openDatabase: () => new PostgresDatabase(options),
      structure: () =>
        withPostgres(async (c) => {
          const columns = await c.query(
            `SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default FROM information_schema.columns
             WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
            [schema],
          );
          const constraints = await c.query(
            `SELECT t.relname AS table_name, k.conname, pg_get_constraintdef(k.oid) AS definition FROM pg_constraint k
             JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 ORDER BY 1, 2`,
            [schema],
          );
          const indexes = await c.query('SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY 1, 2', [schema]);
          // Names are qualified with the schema in defaults and definitions; two databases differ only there.
          const unqualified = JSON.stringify({ columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows }).replaceAll(`${schema}.`, '');
          return JSON.parse(unqualified) as unknown;
        }),
    };
  },
  disposeAll: async () => {
    for (const schema of schemas) await dropSchema(schema);
  },
};

/** A hook call and its feedback written as the first release wrote them (its INSERT statements, its values). */
async function writeAsFirstRelease(engine: Engine, db: Fresh, callId: string, call: HookCallRecord, feedback: FeedbackRecord): Promise<void> {
  const v = (values: readonly unknown[]) => values.map(engine.value);
  await db.raw(
    `INSERT INTO hook_calls (call_id, hook_instance, client_iss, service_id, hook, crd_version, answered_at, patient_id, response_sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    v([callId, call.hookInstance, call.clientIss, call.serviceId, call.hook, call.crdVersion, call.answeredAt, call.patientId, call.responseSha256]),
  );
  for (const [i, o] of call.orders.entries()) {
    await db.raw(
      'INSERT INTO order_decisions (call_id, position, order_reference, determination, assertion_id, record) VALUES (?, ?, ?, ?, ?, ?)',
      v([callId, i, o.order, o.determination, o.coverageInformation?.assertionId ?? null, JSON.stringify(o)]),
    );
  }
  for (const [i, k] of call.cards.entries()) {
    await db.raw(
      'INSERT INTO cards (card_uuid, call_id, position, indicator, topic, finding, orders, override_reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      v([k.uuid, callId, i, k.indicator, k.topic ?? null, k.finding ?? null, JSON.stringify(k.orders), JSON.stringify(k.overrideReasons)]),
    );
  }
  const r = feedback.overrideReason;
  await db.raw(
    `INSERT INTO feedback (card_uuid, outcome, outcome_timestamp, service_id, client_iss, received_at, call_id, accepted_suggestions,
       override_reason_system, override_reason_code, override_reason_display, reason_offered, user_comment)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    v([
      feedback.card,
      feedback.outcome,
      feedback.outcomeTimestamp,
      feedback.serviceId,
      feedback.clientIss,
      feedback.receivedAt,
      callId,
      JSON.stringify(feedback.acceptedSuggestions),
      r?.system ?? null,
      r?.code ?? null,
      r?.display ?? null,
      true,
      feedback.userComment ?? null,
    ]),
  );
}

async function appliedMigrations(db: SqlDatabase): Promise<{ version: number; name: string }[]> {
  return db.select(query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version', schemaMigrations));
}

/** A table released in migration 1 that migration 2 gives a column and an index (test-only). */
const widgets = table('widgets', { widget_id: text(), label: text(), colour: text().nullable().since(2) }, { primaryKey: ['widget_id'], indexes: [{ columns: ['colour'], addedIn: 2 }] });
const WIDGET_V1: Migration = { version: 1, name: 'widgets', steps: [createTable(widgets)] };
const WIDGET_V2: Migration = { version: 2, name: 'widget colour', steps: [addColumns(widgets)] };

for (const engine of [sqlite, postgres]) {
  describe(`${engine.name}: one migration list, applied on start`, () => {
    after(() => engine.disposeAll());

    it('a database the first release created is opened as it is: its records read back, new ones written, nothing applied twice', async () => {
      const db = await engine.fresh();
      for (const statement of engine.firstRelease) await db.raw(statement);
      const card = buildCardRecord();
      const call = buildHookCallRecord({ cards: [card] });
      const feedback = buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss, userComment: 'kept across the upgrade' });
      const callId = '0b6f3c2e-8a51-4c1e-9d7a-5e2f1a3b4c5d';
      await writeAsFirstRelease(engine, db, callId, call, feedback);

      const store = db.openStore();
      try {
        await store.ready();
        assert.deepEqual(await store.findHookCalls(call.hookInstance), [{ callId, ...call }]);
        assert.deepEqual((await store.findAssertion(call.orders[0]!.coverageInformation!.assertionId))?.orders, call.orders);
        assert.deepEqual(JSON.parse(JSON.stringify(await store.findFeedback(card.uuid))), JSON.parse(JSON.stringify([{ ...feedback, callId, reasonOffered: true }])));
        const next = buildHookCallRecord();
        assert.equal(await store.recordHookCall(next), 'recorded');
        assert.equal((await store.findHookCalls(next.hookInstance)).length, 1);
      } finally {
        await store.close();
      }
      const database = db.openDatabase();
      try {
        await migrate(database);
        // Version 1 as the first release recorded it, each later one applied once on top.
        assert.deepEqual(
          await appliedMigrations(database),
          MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
        );
      } finally {
        await database.close();
      }
    });

    it('a new database has the tables, columns, keys and indexes of a first-release database brought up to date', async () => {
      const before = await engine.fresh();
      for (const statement of engine.firstRelease) await before.raw(statement);
      const upgraded = before.openStore();
      await upgraded.ready();
      await upgraded.close();
      const now = await engine.fresh();
      const store = now.openStore();
      await store.ready();
      await store.close();
      assert.deepEqual(await now.structure(), await before.structure());
    });

    it('records each migration once, by version and name, however often the store starts', async () => {
      const db = await engine.fresh();
      for (let start = 0; start < 2; start++) {
        const store = db.openStore();
        await store.ready();
        await store.close();
      }
      const database = db.openDatabase();
      try {
        assert.deepEqual(
          await appliedMigrations(database),
          MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
        );
      } finally {
        await database.close();
      }
    });

    it('a column added to a released table: migrated step by step with its rows kept, or at once, the table is the same', async () => {
      const stepByStep = await engine.fresh();
      const atOnce = await engine.fresh();
      const a = stepByStep.openDatabase();
      const b = atOnce.openDatabase();
      try {
        await migrate(a, [WIDGET_V1]);
        await a.execute('INSERT INTO widgets (widget_id, label) VALUES (?, ?)', ['w-1', 'first']);
        await migrate(a, [WIDGET_V1, WIDGET_V2]);
        await migrate(b, [WIDGET_V1, WIDGET_V2]);
        assert.deepEqual(await a.select(query('SELECT widget_id, label, colour FROM widgets', widgets)), [{ widget_id: 'w-1', label: 'first', colour: null }]);
        assert.deepEqual(await appliedMigrations(a), await appliedMigrations(b));
      } finally {
        await a.close();
        await b.close();
      }
      assert.deepEqual(await stepByStep.structure(), await atOnce.structure());
    });
  });
}

describe('The migration list', () => {
  it('is in ascending order of version, each version once', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    assert.deepEqual(versions, [...new Set(versions)].sort((x, y) => x - y));
  });

  it('a migration numbered below one already applied (branches merged in another order) is applied when it arrives', async () => {
    const gadgets = table('gadgets', { gadget_id: text() }, { primaryKey: ['gadget_id'] });
    const later: Migration = { version: 5, name: 'widgets', steps: [createTable(widgets)] };
    const between: Migration = { version: 3, name: 'gadgets', steps: [createTable(gadgets)] };
    const database = new SqliteDatabase({ path: ':memory:', synchronous: 'NORMAL' });
    try {
      await migrate(database, [later]);
      await migrate(database, [between, later]);
      assert.deepEqual(await appliedMigrations(database), [
        { version: 3, name: 'gadgets' },
        { version: 5, name: 'widgets' },
      ]);
      await database.execute('INSERT INTO gadgets (gadget_id) VALUES (?)', ['g-1']);
    } finally {
      await database.close();
    }
  });

  it('a list out of order is refused before anything is applied', async () => {
    const database = new SqliteDatabase({ path: ':memory:', synchronous: 'NORMAL' });
    try {
      await assert.rejects(migrate(database, [WIDGET_V2, WIDGET_V1]), /out of order/);
      await assert.rejects(database.select(query('SELECT * FROM schema_migrations')), /no such table/);
    } finally {
      await database.close();
    }
  });

  it('a column added to a released table must be nullable (ALTER TABLE cannot fill the rows there)', () => {
    assert.throws(() => table('gadgets', { gadget_id: text(), size: text().since(3) }, { primaryKey: ['gadget_id'] }), /must be nullable/);
  });
});
