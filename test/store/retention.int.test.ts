import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import pino from 'pino';
import { PROJECT_ROOT } from '../../src/paths.js';
import { purgeExpiredRecords, retentionCutoff, scheduleRetentionPurge } from '../../src/store/retention.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { buildFeedbackRecord, buildHookCallRecord } from '../support/decision-records.js';
import { startServerProcess } from '../support/server-process.js';

const DAY = 86_400_000;
const silent = pino({ level: 'silent' });

function seededStore(path: string, now: Date) {
  const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
  const old = buildHookCallRecord({ answeredAt: new Date(now.getTime() - 31 * DAY) });
  const recent = buildHookCallRecord({ answeredAt: new Date(now.getTime() - 29 * DAY) });
  const oldFeedback = buildFeedbackRecord({ card: old.cards[0]!.uuid, receivedAt: new Date(now.getTime() - 31 * DAY) });
  return { store, old, recent, oldFeedback };
}

async function seed(s: ReturnType<typeof seededStore>) {
  await s.store.recordHookCall(s.old);
  await s.store.recordHookCall(s.recent);
  await s.store.recordFeedback([s.oldFeedback]);
}

describe('Retention: records older than RETENTION_DAYS are purged', () => {
  it('the cutoff is that many whole days before now', () => {
    assert.equal(retentionCutoff(new Date('2026-06-15T12:00:00Z'), 30).toISOString(), '2026-05-16T12:00:00.000Z');
  });

  it('purges hook calls, their decisions and cards, and feedback older than the period; keeps the rest', async () => {
    const now = new Date();
    const s = seededStore(':memory:', now);
    await seed(s);
    assert.deepEqual(await purgeExpiredRecords(s.store, 30, now), { hookCalls: 1, feedback: 1 });
    assert.deepEqual(await s.store.findHookCalls(s.old.hookInstance), []);
    assert.equal(await s.store.findAssertion(s.old.orders[0]!.coverageInformation!.assertionId), undefined);
    assert.deepEqual(await s.store.findFeedback(s.oldFeedback.card), []);
    assert.equal((await s.store.findHookCalls(s.recent.hookInstance)).length, 1);
    await s.store.close();
  });

  it('the schedule purges at once on start and again each interval, until stopped', async () => {
    const now = new Date();
    const s = seededStore(':memory:', now);
    await seed(s);
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const stop = scheduleRetentionPurge({ store: s.store, retentionDays: 30, logger: silent, now: () => now, intervalMs: 20 });
    assert.deepEqual(await s.store.findHookCalls(s.old.hookInstance), [], 'purged on start');
    assert.equal((await s.store.findHookCalls(s.recent.hookInstance)).length, 1);

    const later = buildHookCallRecord({ answeredAt: new Date(now.getTime() - 40 * DAY) });
    await s.store.recordHookCall(later);
    for (let i = 0; i < 200 && (await s.store.findHookCalls(later.hookInstance)).length > 0; i++) await wait(10);
    assert.deepEqual(await s.store.findHookCalls(later.hookInstance), [], 'purged on the next round');

    stop();
    const afterStop = buildHookCallRecord({ answeredAt: new Date(now.getTime() - 40 * DAY) });
    await s.store.recordHookCall(afterStop);
    await wait(100);
    assert.equal((await s.store.findHookCalls(afterStop.hookInstance)).length, 1, 'no purge once stopped');
    await s.store.close();
  });

  it('the service purges on start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-retention-'));
    try {
      const path = join(dir, 'decisions.sqlite');
      const s = seededStore(path, new Date());
      await seed(s);
      await s.store.close();
      const server = await startServerProcess({ DATABASE_URL: path, RETENTION_DAYS: '30' });
      try {
        for (let i = 0; i < 100 && !server.output.some((l) => l.includes('"event":"retention-purge"')); i++) await new Promise((r) => setTimeout(r, 20));
        const line = server.output.find((l) => l.includes('"event":"retention-purge"'));
        assert.ok(line, server.output.join('\n'));
        assert.equal(JSON.parse(line).hookCalls, 1);
      } finally {
        await server.stop();
      }
      const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
      assert.deepEqual(await store.findHookCalls(s.old.hookInstance), []);
      assert.equal((await store.findHookCalls(s.recent.hookInstance)).length, 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`npm run purge -- --days 30` purges the store DATABASE_URL names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-retention-'));
    try {
      const path = join(dir, 'decisions.sqlite');
      const s = seededStore(path, new Date());
      await seed(s);
      await s.store.close();
      const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'purge', '--', '--days', '30'], { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: path } });
      assert.match(stdout, /purged records from before .* \(30 days\): 1 hook calls, 1 feedback items/);
      const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
      assert.deepEqual(await store.findHookCalls(s.old.hookInstance), []);
      assert.equal((await store.findHookCalls(s.recent.hookInstance)).length, 1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
