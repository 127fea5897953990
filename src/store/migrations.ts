import { accessTokens, cards, feedback, hookCalls, orderDecisions, questionnaireErrors, paRequests, paRequestEvents, pasNotifications, pasSubscriptions, reviewerSessions, schemaMigrations } from './schema.js';
import { addColumnStatements, createTableStatements, type Dialect, query, type SqlDatabase } from './sql-database.js';
import type { ColumnsOf, Table } from './sql-table.js';

/** One step of a migration: the statements it runs, spelled for a database, at the migration's version. */
export type MigrationStep = (dialect: Dialect, version: number) => string[];

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly steps: readonly MigrationStep[];
}

/** Creates a table (schema.ts) with its indexes, as it was at the migration's version. */
export const createTable =
  (t: Table): MigrationStep =>
  (dialect, version) =>
    createTableStatements(t, dialect, version);

/** Adds the columns and indexes of a released table marked `.since(version)` / `addedIn: version`. */
export const addColumns =
  (t: Table): MigrationStep =>
  (dialect, version) =>
    addColumnStatements(t, dialect, version);

/**
 * The schema's history, one list for both databases, applied in order on
 * start. A migration once released is never edited or removed: add a new
 * one. Each database records the versions applied in `schema_migrations`, so
 * applying the list again does nothing; versions it does not know (a newer
 * instance's) are left alone.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'hook calls, order decisions, cards, feedback',
    steps: [createTable(hookCalls), createTable(orderDecisions), createTable(cards), createTable(feedback)],
  },
  {
    version: 2,
    name: 'DTR questionnaire errors',
    steps: [createTable(questionnaireErrors)],
  },
  {
    version: 3,
    name: 'SMART access tokens',
    steps: [createTable(accessTokens)],
  },
  {
    version: 4,
    name: 'PAS prior authorization requests and their events',
    steps: [createTable(paRequests), createTable(paRequestEvents)],
  },
  {
    version: 5,
    name: 'PAS subscriptions and their notification outbox',
    steps: [createTable(pasSubscriptions), createTable(pasNotifications)],
  },
  {
    version: 6,
    name: "sessions of the reviewer's page",
    steps: [createTable(reviewerSessions)],
  },
];

const APPLIED = query<ColumnsOf<typeof schemaMigrations, 'version'>>('SELECT version FROM schema_migrations', schemaMigrations);

/**
 * Applies the migrations not yet recorded, each with its record, in one
 * transaction that no other instance runs at the same time (a fleet starting
 * together migrates once).
 */
export async function migrate(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  migrations.forEach((m, i) => {
    if (i > 0 && m.version <= migrations[i - 1]!.version) throw new Error(`migration ${m.version} is out of order`);
  });
  await db.exclusiveTransaction(async (session) => {
    for (const statement of createTableStatements(schemaMigrations, db.dialect, Infinity, { ifNotExists: true })) await session.ddl(statement);
    const applied = new Set((await session.select(APPLIED)).map((r) => r.version));
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      for (const step of m.steps) for (const statement of step(db.dialect, m.version)) await session.ddl(statement);
      await session.insert(schemaMigrations, [{ version: m.version, name: m.name, applied_at: new Date() }]);
    }
  });
}
