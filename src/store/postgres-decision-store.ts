import pg from 'pg';
import type { Logger } from '../logger.js';
import { SqlDecisionStore } from './sql-decision-store.js';
import { decodeRows, type Dialect, encodeParameter, insertParameters, insertStatement, type Query, type SqlDatabase, type SqlSession } from './sql-database.js';
import type { InsertRowOf, Table } from './sql-table.js';

export interface PostgresStoreOptions {
  readonly url: string;
  /** The schema the tables live in (created if missing). */
  readonly schema: string;
  readonly poolMax: number;
  readonly logger?: Logger | undefined;
}

/**
 * The shared store for a fleet of instances (pg). A write is acknowledged
 * only after PostgreSQL commits it (synchronous_commit on, the server's
 * default), so an answered decision survives the loss of any instance.
 * Migrations run on start under an advisory lock, so instances starting
 * together do not race.
 */
export class PostgresDecisionStore extends SqlDecisionStore {
  declare readonly kind: 'postgres';

  constructor(options: PostgresStoreOptions) {
    super(new PostgresDatabase(options));
  }
}

/** pg returns timestamptz as Date and jsonb parsed; JSON parameters are sent as text, bigserial comes back as a string. */
const POSTGRES: Dialect = {
  kind: 'postgres',
  types: { text: 'text', uuid: 'uuid', integer: 'integer', boolean: 'boolean', timestamp: 'timestamptz', json: 'jsonb' },
  serialPrimaryKey: 'bigserial PRIMARY KEY',
  encode: (type, value) => (type === 'json' ? JSON.stringify(value) : value),
  decode: (type, value) => (type === 'serial' ? Number(value) : value),
  placeholders(sql) {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  },
};

/** The statements, on the pool (each its own transaction) or on one connection inside a transaction. */
function sessionOn(runner: pg.Pool | pg.PoolClient): SqlSession {
  const run = (sql: string, params: readonly unknown[]) => runner.query<Record<string, unknown>>(POSTGRES.placeholders(sql), params as unknown[]);
  return {
    select: async (q, params = []) => decodeRows(q, (await run(q.sql, params.map((p) => encodeParameter(POSTGRES, p)))).rows, POSTGRES),
    execute: async (sql, params = []) => (await run(sql, params.map((p) => encodeParameter(POSTGRES, p)))).rowCount ?? 0,
    // One statement for all the rows: one round trip.
    insert: async (t, rows, onConflictIgnore) =>
      rows.length === 0 ? 0 : ((await run(insertStatement(t, rows.length, onConflictIgnore), insertParameters(t, rows, POSTGRES))).rowCount ?? 0),
    ddl: async (statement) => {
      await runner.query(statement);
    },
  };
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = POSTGRES;
  private readonly pool: pg.Pool;
  private readonly session: SqlSession;
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
    assertSchemaName(options.schema);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax,
      options: `-c search_path=${options.schema}`,
      application_name: 'tecartus-cds',
      // A hook call must not hang on an unreachable database: it fails and answers 503.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
    });
    // Without a listener, a dropped idle connection would crash the process.
    this.pool.on('error', (err) => options.logger?.warn({ err: { message: err.message } }, 'PostgreSQL connection lost'));
    this.session = sessionOn(this.pool);
  }

  select<R>(q: Query<R>, params?: readonly unknown[]): Promise<R[]> {
    return this.session.select(q, params);
  }

  execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.session.execute(sql, params);
  }

  insert<T extends Table>(t: T, rows: readonly InsertRowOf<T>[], onConflictIgnore?: readonly (keyof T['columns'] & string)[]): Promise<number> {
    return this.session.insert(t, rows, onConflictIgnore);
  }

  ddl(statement: string): Promise<void> {
    return this.session.ddl(statement);
  }

  /** One transaction per call (`group` is for SQLite): the pool runs a fleet's writes side by side. */
  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost while checked out is reported here, not as an uncaught 'error' event.
    const onError = (e: Error) => {
      broken = e;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(sessionOn(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw error;
    } finally {
      // A connection that cannot roll back is discarded rather than reused.
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Under a transaction-scoped advisory lock on the schema's name; creates the schema first. */
  exclusiveTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const schema = this.options.schema;
    return this.transaction(async (session) => {
      await session.execute('SELECT pg_advisory_xact_lock(hashtext(?))', [`tecartus-cds migrations ${schema}`]);
      await session.ddl(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await session.ddl(`SET LOCAL search_path TO ${schema}`);
      return work(session);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** The schema name is put into SQL text (it cannot be a parameter), so only plain names pass. */
function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
}
