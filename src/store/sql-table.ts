/**
 * Tables as data: each table of the store is defined once (schema.ts) and
 * both databases' DDL, insert statements and row decoding are derived from
 * that definition. A Dialect (sql-database.ts) only says how a column type is
 * spelled and how its values travel.
 */

/** A column's type as the store sees it; each dialect maps it to its own SQL type and values. */
export type ColumnType = 'text' | 'uuid' | 'integer' | 'serial' | 'boolean' | 'timestamp' | 'json';

/**
 * One column. `T` is its value in a row (Date for timestamps, the parsed
 * value for JSON); `Nullable` adds null; `Generated` columns (serial keys)
 * are filled by the database and left out of inserts.
 */
export class Column<T, Nullable extends boolean = false, Generated extends boolean = false> {
  /** Type-level only: the value a row holds. */
  declare readonly value: Nullable extends true ? T | null : T;
  declare readonly generated: Generated;

  constructor(
    readonly type: ColumnType,
    readonly isNullable: Nullable,
    readonly reference?: { readonly table: string; readonly column: string },
    readonly addedIn?: number,
  ) {}

  nullable(): Column<T, true, Generated> {
    return new Column(this.type, true, this.reference, this.addedIn);
  }

  references<R extends Table>(table: R, column: keyof R['columns'] & string): Column<T, Nullable, Generated> {
    return new Column(this.type, this.isNullable, { table: table.name, column }, this.addedIn);
  }

  /**
   * A column added to a released table: created by the migration of this
   * version (an `addColumns` step), not by the table's first CREATE TABLE.
   * It must be nullable (an ALTER TABLE cannot fill existing rows).
   */
  since(version: number): Column<T, Nullable, Generated> {
    return new Column(this.type, this.isNullable, this.reference, version);
  }
}

/** Text; `T` narrows it to the values the store writes (e.g. an outcome code). */
export const text = <T extends string = string>() => new Column<T>('text', false);
/** A UUID key: uuid in PostgreSQL, TEXT in SQLite. */
export const uuid = () => new Column<string>('uuid', false);
export const integer = () => new Column<number>('integer', false);
/** A key the database numbers (bigserial / INTEGER PRIMARY KEY AUTOINCREMENT); it must be the table's primary key. */
export const serial = () => new Column<number, false, true>('serial', false);
export const boolean = () => new Column<boolean>('boolean', false);
/** A moment: timestamptz in PostgreSQL, ISO 8601 UTC text in SQLite (which sorts as time does). */
export const timestamp = () => new Column<Date>('timestamp', false);
/** A JSON value: jsonb in PostgreSQL, JSON text in SQLite. */
export const json = <T>() => new Column<T>('json', false);

export type Columns = Record<string, Column<unknown, boolean, boolean>>;

export interface Index<Name extends string = string> {
  readonly columns: readonly Name[];
  /** Set when the index was added to a released table (see Column.since). */
  readonly addedIn?: number | undefined;
}

/** A table; `table()` checks that its keys and indexes name its columns. */
export interface Table<C extends Columns = Columns> {
  readonly name: string;
  readonly columns: C;
  /** The columns an insert fills, in order: all but the generated ones. */
  readonly insertColumns: readonly string[];
  readonly primaryKey: readonly string[];
  readonly unique: readonly (readonly string[])[];
  /** Named `<table>_<columns>`. */
  readonly indexes: readonly Index[];
}

export function table<C extends Columns>(
  name: string,
  columns: C,
  keys: {
    readonly primaryKey: readonly (keyof C & string)[];
    readonly unique?: readonly (readonly (keyof C & string)[])[];
    readonly indexes?: readonly Index<keyof C & string>[];
  },
): Table<C> {
  for (const [column, c] of Object.entries(columns)) {
    if (c.type === 'serial' && (keys.primaryKey.length !== 1 || keys.primaryKey[0] !== column)) throw new Error(`${name}.${column}: a serial column must be the primary key`);
    if (c.addedIn !== undefined && !c.isNullable) throw new Error(`${name}.${column}: a column added to a released table must be nullable`);
  }
  const insertColumns = Object.keys(columns).filter((column) => columns[column]!.type !== 'serial');
  return { name, columns, insertColumns, primaryKey: keys.primaryKey, unique: keys.unique ?? [], indexes: keys.indexes ?? [] };
}

/** A row as read: every column, decoded. */
export type RowOf<T extends Table> = { -readonly [K in keyof T['columns']]: T['columns'][K]['value'] };

/** A row as inserted: every column but the generated ones. */
export type InsertRowOf<T extends Table> = {
  -readonly [K in keyof T['columns'] as T['columns'][K]['generated'] extends true ? never : K]: T['columns'][K]['value'];
};

/** Some columns of a table's row (a query's result). */
export type ColumnsOf<T extends Table, K extends keyof T['columns']> = Pick<RowOf<T>, K>;

export function indexName(t: Table, index: Index): string {
  return `${t.name}_${index.columns.join('_')}`;
}
