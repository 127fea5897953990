import pg from 'pg';
import type { Logger } from '../logger.js';
import type { ReplayStore } from './replay-store.js';

export interface PostgresReplayStoreOptions {
  readonly connectionString: string;
  /** Schema holding the table; the connection's search_path when unset. Tests use a schema of their own. */
  readonly schema?: string | undefined;
  readonly logger: Logger;
}

const TABLE = 'cds_jwt_replay';

/**
 * The replay store in PostgreSQL (the records store's database), shared by
 * every instance: one row per accepted token, keyed by issuer and jti, kept
 * until the token could no longer be accepted. A small pool of its own keeps
 * it independent of the records store.
 */
export class PostgresReplayStore implements ReplayStore {
  readonly kind = 'postgres';
  private insertsSinceSweep = 0;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly table: string,
    private readonly logger: Logger,
  ) {}

  static async open(options: PostgresReplayStoreOptions): Promise<PostgresReplayStore> {
    const pool = new pg.Pool({ connectionString: options.connectionString, max: 4, connectionTimeoutMillis: 3000, idleTimeoutMillis: 10000 });
    pool.on('error', (error) => options.logger.warn({ err: { message: error.message }, store: 'postgres' }, 'replay store connection error'));
    const table = options.schema ? `${pg.escapeIdentifier(options.schema)}.${pg.escapeIdentifier(TABLE)}` : pg.escapeIdentifier(TABLE);
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (jti_key text PRIMARY KEY, expires_at timestamptz NOT NULL)`);
      await pool.query(`CREATE INDEX IF NOT EXISTS ${pg.escapeIdentifier(`${TABLE}_expires_at`)} ON ${table} (expires_at)`);
    } catch (error) {
      // Two instances starting together can race on CREATE ... IF NOT EXISTS; the loser sees 23505/42P07 and the table exists.
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P07') {
        await pool.end();
        throw new Error(`the JWT replay table could not be created in PostgreSQL: ${(error as Error).message}`);
      }
    }
    return new PostgresReplayStore(pool, table, options.logger);
  }

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    // A row whose time has passed may be reused: the token it recorded can no longer be accepted.
    const result = await this.pool.query(
      `INSERT INTO ${this.table} (jti_key, expires_at) VALUES ($1, $2)
       ON CONFLICT (jti_key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${this.table}.expires_at <= now()
       RETURNING jti_key`,
      [key, expiresAt],
    );
    if (++this.insertsSinceSweep >= 500) this.sweep();
    return result.rowCount === 1;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private sweep(): void {
    this.insertsSinceSweep = 0;
    this.pool.query(`DELETE FROM ${this.table} WHERE expires_at <= now()`).catch((error: Error) => {
      this.logger.warn({ err: { message: error.message }, store: 'postgres' }, 'could not delete expired replay records');
    });
  }
}
