import { type ColumnType, indexName, type InsertRowOf, type Table } from './sql-table.js';

/**
 * What differs between the databases, and nothing else: how a column type is
 * spelled and how its values travel through the driver. SQL text is written
 * once, with `?` placeholders, in the SQL both databases understand.
 */
export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  /** The SQL type of each column type (a serial column is the primary key: see serialPrimaryKey). */
  readonly types: Readonly<Record<Exclude<ColumnType, 'serial'>, string>>;
  /** The column clause of a key the database numbers. */
  readonly serialPrimaryKey: string;
  /** A value as the driver takes it, for a column of this type. */
  encode(type: ColumnType, value: unknown): unknown;
  /** A value as the driver returned it, as the row holds it. */
  decode(type: ColumnType, value: unknown): unknown;
  /** The statement with this database's placeholders. */
  placeholders(sql: string): string;
}

/** A query and the tables its result columns come from (they say how each column is decoded). */
export interface Query<R> {
  readonly sql: string;
  readonly tables: readonly Table[];
  /** Type-level only: the row the query returns. */
  readonly row?: R;
}

export function query<R>(sql: string, ...tables: Table[]): Query<R> {
  return { sql, tables };
}

/** The operations the store runs, the same on both databases. */
export interface SqlSession {
  /** Rows of a query, decoded. Parameters: Date for timestamps; strings and numbers as they are. */
  select<R>(q: Query<R>, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  execute(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Inserts rows, skipping those that conflict on `onConflictIgnore` when given; resolves to the number inserted. */
  insert<T extends Table>(table: T, rows: readonly InsertRowOf<T>[], onConflictIgnore?: readonly (keyof T['columns'] & string)[]): Promise<number>;
  /** A schema statement (migrations). */
  ddl(statement: string): Promise<void>;
}

/** One open database: a session outside transactions, and its transactions. */
export interface SqlDatabase extends SqlSession {
  readonly dialect: Dialect;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back
   * when it rejects. `work` uses the session it is given (the database's own
   * methods may wait for the transaction to end). With `group`, the database
   * may commit it together with other grouped transactions begun in the same
   * turn of the event loop (SQLite's group commit); each still commits or
   * fails alone.
   */
  transaction<T>(work: (session: SqlSession) => Promise<T>, options?: { readonly group?: boolean }): Promise<T>;
  /** A transaction no other process runs at the same time on this database (migrations). */
  exclusiveTransaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** CREATE TABLE and CREATE INDEX statements for a table as it was at `version`. */
export function createTableStatements(t: Table, dialect: Dialect, version: number, options: { ifNotExists?: boolean } = {}): string[] {
  const columns = Object.entries(t.columns).filter(([, c]) => (c.addedIn ?? 0) <= version);
  const inlineKey = t.primaryKey.length === 1 ? t.primaryKey[0] : undefined;
  const lines = columns.map(([name, c]) => {
    if (c.type === 'serial') return `${name} ${dialect.serialPrimaryKey}`;
    // A one-column key is declared on its column without NOT NULL, as the first release
    // declared it, so that a new database is the same as an old one (PostgreSQL implies
    // NOT NULL for a key; SQLite would take a NULL text key).
    if (name === inlineKey) return `${name} ${columnClause(c, dialect, { key: true })}`;
    return `${name} ${columnClause(c, dialect)}`;
  });
  if (!inlineKey) lines.push(`PRIMARY KEY (${t.primaryKey.join(', ')})`);
  for (const u of t.unique) lines.push(`UNIQUE (${u.join(', ')})`);
  const ifNotExists = options.ifNotExists ? 'IF NOT EXISTS ' : '';
  return [
    `CREATE TABLE ${ifNotExists}${t.name} (\n  ${lines.join(',\n  ')}\n)`,
    ...t.indexes.filter((i) => (i.addedIn ?? 0) <= version).map((i) => `CREATE INDEX ${ifNotExists}${indexName(t, i)} ON ${t.name} (${i.columns.join(', ')})`),
  ];
}

/** ALTER TABLE and CREATE INDEX statements for the columns and indexes added to a table at `version`. */
export function addColumnStatements(t: Table, dialect: Dialect, version: number): string[] {
  const columns = Object.entries(t.columns).filter(([, c]) => c.addedIn === version);
  const indexes = t.indexes.filter((i) => i.addedIn === version);
  if (columns.length === 0 && indexes.length === 0) throw new Error(`${t.name}: nothing was added at version ${version}`);
  return [
    ...columns.map(([name, c]) => `ALTER TABLE ${t.name} ADD COLUMN ${name} ${columnClause(c, dialect)}`),
    ...indexes.map((i) => `CREATE INDEX ${indexName(t, i)} ON ${t.name} (${i.columns.join(', ')})`),
  ];
}

function columnClause(c: Table['columns'][string], dialect: Dialect, options: { key?: boolean } = {}): string {
  const type = dialect.types[c.type as Exclude<ColumnType, 'serial'>];
  const constraint = options.key ? ' PRIMARY KEY' : c.isNullable ? '' : ' NOT NULL';
  const reference = c.reference ? ` REFERENCES ${c.reference.table} (${c.reference.column})` : '';
  return `${type}${constraint}${reference}`;
}

/** INSERT for `rowCount` rows of `t` (placeholders `?`), with ON CONFLICT ... DO NOTHING when asked. */
export function insertStatement(t: Table, rowCount: number, onConflictIgnore?: readonly string[]): string {
  const columns = t.insertColumns;
  const row = `(${columns.map(() => '?').join(', ')})`;
  const conflict = onConflictIgnore ? ` ON CONFLICT (${onConflictIgnore.join(', ')}) DO NOTHING` : '';
  return `INSERT INTO ${t.name} (${columns.join(', ')}) VALUES ${Array.from({ length: rowCount }, () => row).join(', ')}${conflict}`;
}

/** The parameters of an insert: each row's insertable columns in order, encoded. */
export function insertParameters(t: Table, rows: readonly object[], dialect: Dialect): unknown[] {
  const columns = t.insertColumns;
  const params: unknown[] = [];
  for (const row of rows) {
    for (const name of columns) {
      const value = (row as Record<string, unknown>)[name];
      params.push(value === undefined || value === null ? null : dialect.encode(t.columns[name]!.type, value));
    }
  }
  return params;
}

/** A query parameter as the driver takes it: a Date is a timestamp, a boolean a boolean. */
export function encodeParameter(dialect: Dialect, value: unknown): unknown {
  if (value instanceof Date) return dialect.encode('timestamp', value);
  if (typeof value === 'boolean') return dialect.encode('boolean', value);
  return value;
}

/** Decodes each column of each row by the type its table gives it; columns of no table pass as they are. */
export function decodeRows<R>(q: Query<R>, rows: readonly Record<string, unknown>[], dialect: Dialect): R[] {
  return rows.map((row) => {
    const decoded: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      const column = q.tables.find((t) => Object.hasOwn(t.columns, name))?.columns[name];
      decoded[name] = column && value !== null ? dialect.decode(column.type, value) : value;
    }
    return decoded as R;
  });
}
