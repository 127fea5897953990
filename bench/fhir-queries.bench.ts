/**
 * Benchmark: how long a Tecartus order-sign takes when the whole record must
 * be queried from the EHR's FHIR server (nothing prefetched).
 *
 * 1. One query per prefetch template of discovery.json (11: Patient, Coverage,
 *    Encounter, Condition, Procedure, MedicationRequest, MedicationAdministration,
 *    MedicationStatement, ServiceRequest, Observation, Encounter history), each
 *    answered after 200 ms: the queries run in parallel, so the hook should
 *    answer in under 400 ms.
 * 2. A FHIR server that accepts connections and never answers: the hook
 *    should answer within the FHIR deadline plus 100 ms.
 *
 * The service runs for real (createApp, listening on 127.0.0.1) and is called
 * over HTTP. Prints a table of medians; exits with code 1 if a target is missed.
 * Run: npm run bench:fhir
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createApp } from '../src/http/app.js';
import { loadConfig } from '../src/config.js';
import { loadDiscovery } from '../src/hooks/discovery.js';
import { createLogger } from '../src/logger.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { buildHookRequest, ORDER_SIGN } from '../test/support/hook-requests.js';
import { ORDER_SIGN_QUERIES, startDelayedFhirServer } from './delayed-fhir-server.js';

const DELAY_MS = 200;
const RUNS = 15;
const WARM_UP = 3;

export interface FhirQueryRow {
  scenario: string;
  runs: number;
  medianMs: number;
  maxMs: number;
  target: string;
  ok: boolean;
}

/** The service on 127.0.0.1 with the given settings (on top of the environment's). */
async function startService(env: Record<string, string>): Promise<{ url: string; deadlineMs: number; close: () => Promise<void> }> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', FHIR_ALLOW_HTTP: 'true', DATABASE_URL: ':memory:', ...env });
  const app = createApp({
    config,
    logger: createLogger(config.logLevel),
    policy: loadPolicy(config.policyDir),
    discovery: loadDiscovery(config.discoveryFile),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deadlineMs: config.fhirQueries.deadlineMs,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Times order-sign calls with nothing prefetched; returns each call's milliseconds. */
async function timeCalls(serviceUrl: string, fhirServer: string, runs: number, expectCoverageInformation: boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const body = buildHookRequest({ prefetch: {}, encounterId: 'enc-1', fhirServer, accessToken: 'bench-token' });
    const started = performance.now();
    const res = await fetch(`${serviceUrl}/cds-services/${ORDER_SIGN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { systemActions?: unknown[] };
    times.push(performance.now() - started);
    if (res.status !== 200) throw new Error(`the hook answered ${res.status}`);
    // With the record read, the order gets its coverage information; with nothing read there is no Coverage to attach it to.
    if ((answer.systemActions?.length === 1) !== expectCoverageInformation) throw new Error('unexpected answer: the record was not read as expected');
  }
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function parallelQueries(): Promise<FhirQueryRow> {
  const fhir = await startDelayedFhirServer(DELAY_MS);
  const service = await startService({});
  try {
    await timeCalls(service.url, fhir.url, WARM_UP, true);
    const before = fhir.requests();
    const times = await timeCalls(service.url, fhir.url, RUNS, true);
    const perCall = (fhir.requests() - before) / RUNS;
    if (perCall !== ORDER_SIGN_QUERIES) throw new Error(`expected ${ORDER_SIGN_QUERIES} FHIR queries per call, saw ${perCall}`);
    const m = median(times);
    return { scenario: `${ORDER_SIGN_QUERIES} queries, each delayed ${DELAY_MS} ms`, runs: RUNS, medianMs: m, maxMs: Math.max(...times), target: '< 400 ms', ok: m < 400 };
  } finally {
    await service.close();
    await fhir.close();
  }
}

async function neverAnswers(label: string, env: Record<string, string>, runs: number): Promise<FhirQueryRow> {
  const fhir = await startDelayedFhirServer(null);
  const service = await startService(env);
  try {
    const times = await timeCalls(service.url, fhir.url, runs, false);
    const m = median(times);
    const limit = service.deadlineMs + 100;
    return { scenario: `FHIR server never answers (${label})`, runs, medianMs: m, maxMs: Math.max(...times), target: `<= ${limit} ms (deadline + 100)`, ok: m <= limit };
  } finally {
    await service.close();
    await fhir.close();
  }
}

/** Both measurements, one after the other (each with its own service and FHIR server). */
export async function runFhirQueryBench(): Promise<FhirQueryRow[]> {
  return [
    await parallelQueries(),
    await neverAnswers('configured settings', {}, 5),
    await neverAnswers('deadline 1000 ms before a 5000 ms per-query timeout', { FHIR_DEADLINE_MS: '1000', FHIR_QUERY_TIMEOUT_MS: '5000' }, 5),
  ];
}

export function printFhirQueryRows(rows: readonly FhirQueryRow[]): void {
  console.log('\nFHIR query latency (order-sign, nothing prefetched, one call at a time)\n');
  console.table(rows.map((r) => ({ scenario: r.scenario, runs: r.runs, 'median ms': Math.round(r.medianMs), 'max ms': Math.round(r.maxMs), target: r.target, ok: r.ok ? 'yes' : 'NO' })));
}

// Run on its own (npm run bench:fhir); npm run bench runs it too.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runFhirQueryBench();
  printFhirQueryRows(rows);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}
