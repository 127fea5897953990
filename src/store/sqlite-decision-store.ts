import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqlDecisionStore } from './sql-decision-store.js';
import { decodeRows, type Dialect, encodeParameter, insertParameters, insertStatement, type Query, type SqlDatabase, type SqlSession } from './sql-database.js';
import type { InsertRowOf, Table } from './sql-table.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` (tests). */
  readonly path: string;
  /**
   * NORMAL (default): in WAL mode a committed transaction survives a crash or
   * kill of the process; only an OS crash or power loss can lose the last
   * ones. FULL: an fsync per commit, which survives power loss too.
   */
  readonly synchronous: 'NORMAL' | 'FULL';
}

/**
 * The embedded store (better-sqlite3 12; 13 needs Node 22): one file, WAL
 * journal, nothing to install. Writes are committed before the hook answer
 * is sent. One process per file: a fleet uses PostgreSQL.
 */
export class SqliteDecisionStore extends SqlDecisionStore {
  declare readonly kind: 'sqlite';

  constructor(options: SqliteStoreOptions) {
    super(new SqliteDatabase(options));
  }
}

/** SQLite has no date, JSON or boolean type: moments are ISO 8601 UTC text (sorting as time does), JSON is text, booleans 0 and 1. */
const SQLITE: Dialect = {
  kind: 'sqlite',
  types: { text: 'TEXT', uuid: 'TEXT', integer: 'INTEGER', boolean: 'INTEGER', timestamp: 'TEXT', json: 'TEXT' },
  serialPrimaryKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  encode(type, value) {
    if (type === 'timestamp') return (value as Date).toISOString();
    if (type === 'json') return JSON.stringify(value);
    if (type === 'boolean') return value ? 1 : 0;
    return value;
  },
  decode(type, value) {
    if (type === 'timestamp') return new Date(value as string);
    if (type === 'json') return JSON.parse(value as string) as unknown;
    if (type === 'boolean') return value === 1;
    return value;
  },
  placeholders: (sql) => sql,
};

/** A transaction waiting for the next group commit. */
interface GroupedTransaction {
  readonly work: (session: SqlSession) => Promise<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One better-sqlite3 connection. Its statements run synchronously, one
 * operation at a time (a transaction's statements never interleave with
 * another operation's), and each statement is compiled once per connection:
 * the statements are the store's fixed SQL, so there are a few dozen.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = SQLITE;
  readonly connection: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Insert statements by table and conflict target. */
  private readonly inserts = new Map<string, Database.Statement>();
  private readonly session: SqlSession;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  /** The operation that runs last: the next one waits for it. */
  private tail: Promise<unknown> = Promise.resolve();
  private grouped: GroupedTransaction[] = [];

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    this.connection = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    // The report and purge commands may open the same file while the service runs.
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    // IMMEDIATE: a transaction takes the write lock at its start, so it never fails halfway on a lock.
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.session = {
      select: async (q, params = []) => decodeRows(q, this.statement(q.sql).all(...params.map((p) => encodeParameter(SQLITE, p))) as Record<string, unknown>[], SQLITE),
      execute: async (sql, params = []) => this.statement(sql).run(...params.map((p) => encodeParameter(SQLITE, p))).changes,
      insert: async (t, rows, onConflictIgnore) => {
        const statement = this.insertStatement(t, onConflictIgnore);
        let inserted = 0;
        for (const row of rows) inserted += statement.run(...insertParameters(t, [row], SQLITE)).changes;
        return inserted;
      },
      ddl: async (statement) => {
        db.exec(statement);
      },
    };
    if (options.path !== ':memory:') {
      // Checkpoints run in a worker thread, off the request path (sqlite-checkpointer.ts).
      db.pragma('wal_autocheckpoint = 0');
      db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new SqliteCheckpointer(options.path, () => {
        if (db.open) db.pragma('wal_autocheckpoint = 1000');
      });
    }
  }

  select<R>(q: Query<R>, params?: readonly unknown[]): Promise<R[]> {
    return this.serially(() => this.session.select(q, params));
  }

  execute(sql: string, params?: readonly unknown[]): Promise<number> {
    return this.serially(() => this.session.execute(sql, params));
  }

  insert<T extends Table>(t: T, rows: readonly InsertRowOf<T>[], onConflictIgnore?: readonly (keyof T['columns'] & string)[]): Promise<number> {
    return this.serially(() => this.session.insert(t, rows, onConflictIgnore));
  }

  ddl(statement: string): Promise<void> {
    return this.serially(() => this.session.ddl(statement));
  }

  /**
   * Group commit: the grouped transactions begun in one turn of the event
   * loop (the hook calls answered in it) commit in one transaction, and each
   * caller's promise settles when it has committed (a decision is still
   * recorded before its answer is sent). Under load this saves a
   * transaction (lock, WAL append) per call. Each stays all or nothing and
   * fails alone: if the group fails, its transactions run again one by one,
   * unless the database itself cannot be written (closed, or locked past the
   * busy timeout), which would fail each of them alike.
   */
  transaction<T>(work: (session: SqlSession) => Promise<T>, options?: { readonly group?: boolean }): Promise<T> {
    if (!options?.group) return this.serially(() => this.inTransaction(work));
    return new Promise<T>((resolve, reject) => {
      const entry: GroupedTransaction = { work, resolve: resolve as (result: unknown) => void, reject };
      if (this.grouped.push(entry) === 1) setImmediate(() => void this.serially(() => this.commitGroup()));
    });
  }

  /** BEGIN IMMEDIATE holds the file's write lock: no other process migrates at the same time. */
  exclusiveTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.connection.open) this.connection.close();
  }

  private async commitGroup(): Promise<void> {
    const group = this.grouped;
    this.grouped = [];
    let results: unknown[];
    try {
      results = await this.inTransaction(async (session) => {
        const each: unknown[] = [];
        for (const g of group) each.push(await g.work(session));
        return each;
      });
    } catch (error) {
      if (group.length === 1 || !this.connection.open || (error as { code?: unknown }).code === 'SQLITE_BUSY') {
        for (const g of group) g.reject(error);
        return;
      }
      for (const g of group) {
        try {
          g.resolve(await this.inTransaction(g.work));
        } catch (oneError) {
          g.reject(oneError);
        }
      }
      return;
    }
    group.forEach((g, i) => g.resolve(results[i]));
  }

  private async inTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    this.begin.run();
    try {
      const result = await work(this.session);
      this.commit.run();
      return result;
    } catch (error) {
      // SQLite may have rolled back already (e.g. on a full disk).
      if (this.connection.inTransaction) this.rollback.run();
      throw error;
    }
  }

  /** Runs `operation` once the operations before it have finished. */
  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A one-row insert into `t` (SQLite runs it per row: no round trips to save). */
  private insertStatement(t: Table, onConflictIgnore: readonly string[] | undefined): Database.Statement {
    const key = `${t.name} ${onConflictIgnore?.join(',') ?? ''}`;
    let statement = this.inserts.get(key);
    if (!statement) {
      statement = this.connection.prepare(insertStatement(t, 1, onConflictIgnore));
      this.inserts.set(key, statement);
    }
    return statement;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
