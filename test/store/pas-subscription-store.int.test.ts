import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema, withPostgres } from '../support/postgres.js';
import { pasSubscriptionStoreContract } from './pas-subscription-store-contract.js';

// Two stores on one schema are two instances of the service sharing PostgreSQL: each its own pool.
pasSubscriptionStoreContract('PostgreSQL', async () => {
  await withPostgres((c) => c.query('SELECT 1'));
  const schema = uniqueSchema('pas_subs');
  return {
    ownStorePerInstance: true,
    open: () => new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 5 }),
    dispose: () => dropSchema(schema),
  };
});
