import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The project's PostgreSQL 15 (127.0.0.1:5432, trust auth, database `test`),
 * shared with other test runs: every test run works in a schema of its own
 * and drops it at the end. An unreachable server fails the tests; they never skip.
 */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses, e.g. `t_store_mf3k2_9a1c4e`. */
export function uniqueSchema(label: string): string {
  return `t_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function withPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (start it with scripts/prepare-test-machine.sh): ${(error as Error).message}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^t_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  await withPostgres((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}
