import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/paths.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { formatReport, summarizeReport } from '../../src/store/report.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { buildCardRecord, buildFeedbackRecord, buildHookCallRecord, buildOrderDecisionRecord } from '../support/decision-records.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres.js';

const run = promisify(execFile);
const TZ = 'America/New_York';

describe('The report counts decisions by outcome and reason code, and overrides by reason, per day', () => {
  const at = (iso: string) => new Date(iso);

  it('counts each order of each call once under each of its findings, by day in the time zone', () => {
    const report = summarizeReport(
      {
        decisions: [
          { answeredAt: at('2026-06-15T14:00:00Z'), callKey: 'ehr h1', order: 'MedicationRequest/a', determination: 'not-covered', findings: ['prior-car-t', 'age-under-18'] },
          // A retry of h1 is the same decision.
          { answeredAt: at('2026-06-15T14:00:05Z'), callKey: 'ehr h1', order: 'MedicationRequest/a', determination: 'not-covered', findings: ['prior-car-t', 'age-under-18'] },
          { answeredAt: at('2026-06-15T15:00:00Z'), callKey: 'ehr h2', order: 'MedicationRequest/b', determination: 'covered', findings: [] },
          // 02:00 UTC on the 16th is still the 15th in New York.
          { answeredAt: at('2026-06-16T02:00:00Z'), callKey: 'ehr h3', order: 'MedicationRequest/c', determination: 'covered', findings: [] },
          { answeredAt: at('2026-06-16T15:00:00Z'), callKey: 'ehr h4', order: 'MedicationRequest/d', determination: 'conditional', findings: ['possible-prior-car-t'] },
        ],
        feedback: [],
      },
      TZ,
    );
    assert.deepEqual(report.decisions, [
      { day: '2026-06-15', outcome: 'not-covered', reason: 'age-under-18', orders: 1 },
      { day: '2026-06-15', outcome: 'not-covered', reason: 'prior-car-t', orders: 1 },
      { day: '2026-06-15', outcome: 'covered', reason: '-', orders: 2 },
      { day: '2026-06-16', outcome: 'conditional', reason: 'possible-prior-car-t', orders: 1 },
    ]);
  });

  it('counts feedback by outcome, the finding the card showed, and the override reason', () => {
    const report = summarizeReport(
      {
        decisions: [],
        feedback: [
          { outcomeTimestamp: at('2026-06-15T14:00:00Z'), outcome: 'overridden', reason: 'record-incorrect', finding: 'prior-car-t' },
          { outcomeTimestamp: at('2026-06-15T15:00:00Z'), outcome: 'overridden', reason: 'record-incorrect', finding: 'prior-car-t' },
          { outcomeTimestamp: at('2026-06-15T16:00:00Z'), outcome: 'overridden', finding: 'age-unknown' },
          { outcomeTimestamp: at('2026-06-15T17:00:00Z'), outcome: 'accepted' },
        ],
      },
      TZ,
    );
    assert.deepEqual(report.feedback, [
      { day: '2026-06-15', outcome: 'overridden', finding: 'age-unknown', reason: '(no reason given)', cards: 1 },
      { day: '2026-06-15', outcome: 'overridden', finding: 'prior-car-t', reason: 'record-incorrect', cards: 2 },
      { day: '2026-06-15', outcome: 'accepted', finding: '-', reason: '-', cards: 1 },
    ]);
  });

  it('prints aligned tables, and (none) when there is nothing to count', () => {
    const text = formatReport(
      { decisions: [{ day: '2026-06-15', outcome: 'not-covered', reason: 'prior-car-t', orders: 12 }], feedback: [] },
      { days: 30, timeZone: TZ, store: 'sqlite x' },
    );
    assert.match(text, /last 30 days \(days in America\/New_York; store: sqlite x\)/);
    const lines = text.split('\n');
    const header = lines.indexOf('day         outcome      reason       orders');
    assert.ok(header > 0, text);
    assert.equal(lines[header + 1], '----------  -----------  -----------  ------');
    assert.equal(lines[header + 2], '2026-06-15  not-covered  prior-car-t      12');
    assert.match(text, /Feedback: accepted and overridden cards, by override reason\n\(none\)/);
  });
});

/** Two calls (one a retry), an override with a reason and an accepted card, from today. */
async function seed(store: DecisionStore): Promise<void> {
  const now = new Date();
  const warning = buildCardRecord({ finding: 'prior-car-t' });
  const call = buildHookCallRecord({ answeredAt: now, cards: [warning] });
  await store.recordHookCall(call);
  await store.recordHookCall({ ...call, responseSha256: 'retry'.padEnd(64, '0'), cards: [] });
  await store.recordHookCall(buildHookCallRecord({ answeredAt: now, orders: [buildOrderDecisionRecord({ order: 'MedicationRequest/ok', determination: 'covered', findings: [] })], cards: [] }));
  await store.recordHookCall(buildHookCallRecord({ answeredAt: new Date(now.getTime() - 40 * 86_400_000) }));
  await store.recordFeedback([
    buildFeedbackRecord({ card: warning.uuid, clientIss: call.clientIss, outcomeTimestamp: now }),
    buildFeedbackRecord({ outcome: 'accepted', overrideReason: undefined, outcomeTimestamp: now }),
  ]);
}

function checkPrinted(stdout: string): void {
  const rows = stdout.split('\n');
  const count = (pattern: RegExp) => rows.filter((r) => pattern.test(r)).length;
  assert.match(stdout, /last 30 days/);
  assert.equal(count(/^\d{4}-\d{2}-\d{2}\s+not-covered\s+prior-car-t\s+1$/), 1, stdout);
  assert.equal(count(/^\d{4}-\d{2}-\d{2}\s+covered\s+-\s+1$/), 1, stdout);
  assert.equal(count(/^\d{4}-\d{2}-\d{2}\s+overridden\s+prior-car-t\s+record-incorrect\s+1$/), 1, stdout);
  assert.equal(count(/^\d{4}-\d{2}-\d{2}\s+accepted\s+-\s+-\s+1$/), 1, stdout);
}

describe('`npm run report -- --days 30` reads the store DATABASE_URL names', () => {
  it('from SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-report-'));
    try {
      const path = join(dir, 'decisions.sqlite');
      const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
      await seed(store);
      await store.close();
      const { stdout } = await run('npm', ['run', '--silent', 'report', '--', '--days', '30'], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: path } });
      checkPrinted(stdout);
      assert.match(stdout, /store: sqlite /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('from PostgreSQL', () => {
    const schema = uniqueSchema('report');
    after(() => dropSchema(schema));

    it('the same report', async () => {
      const store = new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 });
      await seed(store);
      await store.close();
      const { stdout } = await run('npm', ['run', '--silent', 'report', '--', '--days', '30'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema },
      });
      checkPrinted(stdout);
      assert.match(stdout, new RegExp(`store: postgres 127.0.0.1:5432/test schema ${schema}`));
    });
  });

  it('refuses a --days that is not a whole number', async () => {
    await assert.rejects(run('npm', ['run', '--silent', 'report', '--', '--days', 'many'], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: ':memory:' } }), /--days must be a whole number/);
  });
});
