import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createDecisionStore } from '../store/create-decision-store.js';
import { purgeExpiredRecords, retentionCutoff } from '../store/retention.js';

/**
 * `npm run purge [-- --days N]`: deletes hook calls, decisions, cards and
 * feedback older than RETENTION_DAYS (or --days) from the store DATABASE_URL
 * names. The service also purges on start and daily.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { days: { type: 'string' } } });
  const config = loadConfig();
  const days = values.days === undefined ? config.retentionDays : Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new Error('--days must be a whole number of 1 or more');
  const store = createDecisionStore(config.database);
  try {
    await store.ready();
    const now = new Date();
    const counts = await purgeExpiredRecords(store, days, now);
    process.stdout.write(`purged records from before ${retentionCutoff(now, days).toISOString()} (${days} days): ${counts.hookCalls} hook calls, ${counts.feedback} feedback items\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`purge: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
