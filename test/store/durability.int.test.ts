import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildTecartusOrder } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres.js';
import { startServerProcess } from '../support/server-process.js';

interface Answered {
  readonly hookInstance: string;
  readonly order: string;
  readonly assertionId: string;
}

const WORKERS = 8;
const KILL_AFTER_ANSWERS = 60;

/**
 * Hook calls from several clients at once, each for a different order (so
 * each answer carries its own coverage-assertion-id), until the server is
 * killed. Returns every call that was answered 200 and how many failed.
 */
async function loadUntilKilled(baseUrl: string, kill: () => void): Promise<{ answered: Answered[]; failed: number }> {
  const answered: Answered[] = [];
  let failed = 0;
  let next = 0;
  let killed = false;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const body = buildHookRequest({ orders: [buildTecartusOrder({ id: `load-${i}` })] });
      try {
        const res = await fetch(`${baseUrl}/cds-services/${ORDER_SIGN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const json = (await res.json()) as Record<string, unknown>;
        if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(json).slice(0, 200)}`);
        const order = `MedicationRequest/load-${i}`;
        answered.push({ hookInstance: body['hookInstance'] as string, order, assertionId: coverageInformationFor(json, order)!.assertionId });
        if (answered.length >= KILL_AFTER_ANSWERS && !killed) {
          killed = true;
          kill();
        }
      } catch (error) {
        if (!killed) throw error;
        failed++;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return { answered, failed };
}

/**
 * Durability: the server is killed with SIGKILL under load; after a restart
 * on the same database, every decision that was answered is in the store and
 * the look-up finds it.
 */
async function killUnderLoadAndCount(env: Record<string, string>, openStore: () => DecisionStore): Promise<void> {
  const first = await startServerProcess(env);
  const { answered, failed } = await loadUntilKilled(first.baseUrl, () => first.child.kill('SIGKILL'));
  await first.stop('SIGKILL');
  assert.equal(first.child.signalCode, 'SIGKILL');
  assert.ok(answered.length >= KILL_AFTER_ANSWERS, `${answered.length} answered`);
  assert.ok(failed > 0, 'calls were in flight when the process was killed');

  const second = await startServerProcess(env);
  try {
    let found = 0;
    for (const a of answered) {
      const res = await fetch(`${second.baseUrl}/coverage-assertions/${a.assertionId}`);
      const body = (await res.json()) as { orders?: { order: string }[] };
      if (res.status === 200 && body.orders?.some((o) => o.order === a.order)) found++;
    }
    assert.equal(found, answered.length, `${answered.length} decisions answered, ${found} found after the restart`);
  } finally {
    await second.stop();
  }

  const store = openStore();
  try {
    await store.ready();
    let recorded = 0;
    for (const a of answered) recorded += (await store.findHookCalls(a.hookInstance)).length;
    assert.equal(recorded, answered.length, 'each answered call is recorded once');
  } finally {
    await store.close();
  }
}

describe('Durability: every answered decision survives a SIGKILL of the server under load', () => {
  it('on SQLite (WAL, synchronous=NORMAL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-durability-'));
    try {
      const path = join(dir, 'decisions.sqlite');
      await killUnderLoadAndCount({ DATABASE_URL: path }, () => new SqliteDecisionStore({ path, synchronous: 'NORMAL' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('on PostgreSQL', () => {
    const schema = uniqueSchema('durable');
    after(() => dropSchema(schema));

    it('every answered decision is committed before the answer', async () => {
      await killUnderLoadAndCount({ DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema }, () => new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 }));
    });
  });
});
