import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { pasSubscriptionStoreContract } from './pas-subscription-store-contract.js';

pasSubscriptionStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tecartus-pas-subscriptions-'));
  const path = join(dir, 'store.sqlite');
  return {
    ownStorePerInstance: false,
    open: () => new SqliteDecisionStore({ path, synchronous: 'NORMAL' }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
