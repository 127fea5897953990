import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { loadPolicy } from '../policy/load-policy.js';
import { createDecisionStore, describeDatabase } from '../store/create-decision-store.js';
import { formatReport, summarizeReport } from '../store/report.js';
import { formatPaReport, summarizePaRequests } from '../pas/pa-report.js';

/**
 * `npm run report -- --days 30`: decisions by outcome and reason code and
 * feedback by override reason, per day, and the prior authorization figures (PAS), from the store DATABASE_URL names
 * (the same setting the service uses). Days are in the policy's time zone
 * unless --time-zone says otherwise.
 */
const USAGE = 'usage: npm run report -- [--days N] [--time-zone America/New_York]';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { days: { type: 'string', default: '30' }, 'time-zone': { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1) throw new Error(`--days must be a whole number of 1 or more\n${USAGE}`);
  const config = loadConfig();
  const timeZone = values['time-zone'] ?? loadPolicy(config.policyDir).definition.timeZone;
  new Intl.DateTimeFormat('en-US', { timeZone });
  const store = createDecisionStore(config.database);
  try {
    await store.ready();
    const rows = await store.reportRows(new Date(Date.now() - days * 86_400_000));
    const where = describeDatabase(config.database);
    const label = where['store'] === 'sqlite' ? `sqlite ${where['path']}` : `postgres ${where['host'] ?? ''}/${where['database'] ?? ''} schema ${where['schema']}`;
    process.stdout.write(formatReport(summarizeReport(rows, timeZone), { days, timeZone, store: label }));
    const requests = await store.paRequests().receivedSince(new Date(Date.now() - days * 86_400_000));
    process.stdout.write(`\n${formatPaReport(summarizePaRequests(requests, new Date()))}`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`report: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
