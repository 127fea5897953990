import { it } from 'node:test';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema, withPostgres } from '../support/postgres.js';
import { decisionStoreContract } from './decision-store-contract.js';

// The real PostgreSQL server; if it cannot be reached, setup throws and the suite fails.
decisionStoreContract('PostgreSQL', async () => {
  await withPostgres((c) => c.query('SELECT 1'));
  const schema = uniqueSchema('store');
  return {
    open: () => new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 5 }),
    dispose: () => dropSchema(schema),
  };
});

it('PostgreSQL is reachable at TEST_DATABASE_URL (the store tests never skip it)', async () => {
  await withPostgres((c) => c.query('SELECT 1'));
});
