/**
 * Issue 13: "order-sign → DTR package → QuestionnaireResponse → $submit → A1
 * for a clean case in under a second". The whole flow, one call at a time, on
 * the real app in this process with an in-memory SQLite store: each round
 * signs a new Tecartus order, fetches the pre-filled form, completes it and
 * submits the PA request; the table gives median and p99 of each step and of
 * the flow, in milliseconds. Timing is measured here, never asserted in tests.
 * Run: node --import tsx bench/pas-submit.bench.ts [rounds] (default 200).
 */
import { pathToFileURL } from 'node:url';
import { buildTecartusOrder } from '../test/support/fhir-factories.js';
import { CLEAN_ANSWERS, completeForm, decisionsOf, pasRequestFor, signAndFetchForm, submit } from '../test/support/pas-flow.js';
import { eligibleMantleCellRecord } from '../test/support/patient-scenarios.js';
import { createTestApp } from '../test/support/test-app.js';

export interface PasSubmitRow {
  readonly step: string;
  readonly medianMs: number;
  readonly p99Ms: number;
}

const percentile = (values: readonly number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

export async function runPasSubmitBench(rounds = 200): Promise<PasSubmitRow[]> {
  const { app } = createTestApp({ LOG_LEVEL: 'warn' });
  const signAndForm: number[] = [];
  const submitted: number[] = [];
  const flow: number[] = [];
  for (let i = 0; i < rounds + 20; i++) {
    const order = buildTecartusOrder({ id: `bench-order-${i}` });
    const t0 = performance.now();
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord(), { order });
    const t1 = performance.now();
    const res = await submit(app, pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { order }));
    const t2 = performance.now();
    if (decisionsOf(res.body).get(1)?.[0] !== 'A1') throw new Error(`round ${i}: not certified: ${JSON.stringify(res.body).slice(0, 300)}`);
    if (i < 20) continue; // warm-up
    signAndForm.push(t1 - t0);
    submitted.push(t2 - t1);
    flow.push(t2 - t0);
  }
  const row = (step: string, values: number[]) => ({ step, medianMs: Math.round(percentile(values, 50) * 10) / 10, p99Ms: Math.round(percentile(values, 99) * 10) / 10 });
  return [row('order-sign + $questionnaire-package', signAndForm), row('Claim/$submit (A1)', submitted), row('the whole flow', flow)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rounds = Number(process.argv[2] ?? 200);
  const rows = await runPasSubmitBench(rounds);
  console.log(`PAS flow, one call at a time, ${rounds} rounds (in process, SQLite in memory; ms)`);
  console.log('step'.padEnd(40), 'median'.padStart(8), 'p99'.padStart(8));
  for (const r of rows) console.log(r.step.padEnd(40), String(r.medianMs).padStart(8), String(r.p99Ms).padStart(8));
}
