import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';

/** The project's PostgreSQL and Redis (scripts/prepare-test-machine.sh starts them). Tests isolate themselves by schema or key prefix. */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A unique name for this test run (schema, key prefix). */
export const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

/** Creates a schema of its own for one test file; `drop()` removes it and everything in it. */
export async function testSchema(prefix: string): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(name)}`);
  await client.end();
  return {
    name,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
      await c.end();
    },
  };
}

/** Deletes every Redis key under a test's prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: TEST_REDIS_URL });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}
