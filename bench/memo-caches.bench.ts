/**
 * Issue 11 item 6: the memo caches the service keeps, each measured against
 * going without, in this process:
 * 1. CodeSystemAliases (src/fhir/code-set.ts), one per compiled policy: each
 *    system URI as sent → its code system, and each code as sent → its
 *    normalised lookup keys (a coding is checked against several code sets).
 *    Timed as one whole hook call in-process (handleOrderHook: request check,
 *    record reading, policy evaluation, answer; no HTTP, no store), with the
 *    memo and with a copy of the policy whose aliases work everything out
 *    again on each look-up.
 * 2. The Intl.DateTimeFormat per time zone (src/fhir/dates.ts, module level):
 *    one dayIn per hook call, with the cached formatter against building one.
 * Run: node --import tsx bench/memo-caches.bench.ts (npm run bench runs it too).
 */
import type { Coding } from 'fhir/r4.js';
import { pathToFileURL } from 'node:url';
import { normalizedForms, type CodeSystemKey } from '../src/fhir/codes.js';
import { dayIn } from '../src/fhir/dates.js';
import { ResourceReader } from '../src/fhir/read-resource.js';
import { loadDiscovery } from '../src/hooks/discovery.js';
import { handleOrderHook, type HookDependencies } from '../src/hooks/handle-order-hook.js';
import { fromRoot } from '../src/paths.js';
import type { CompiledPolicy } from '../src/policy/compiled-policy.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { ORDER_SIGN } from '../test/support/hook-requests.js';
import { timeVariants, us } from './micro-timing.js';
import { tecartusRequest } from './scenarios.js';

export interface MemoRow {
  readonly cache: string;
  readonly work: string;
  readonly withUs: number;
  readonly withoutUs: number;
}

/** The policy with its code-system aliases working everything out on every look-up (the memo's behaviour without the memo). */
function withoutAliasMemo(): CompiledPolicy {
  const policy = loadPolicy(fromRoot('policies', 'tecartus-carepartners-ct'));
  const byUri = new Map<string, CodeSystemKey>();
  for (const [key, uris] of Object.entries(policy.definition.codeSystems) as [CodeSystemKey, string[]][]) for (const uri of uris) byUri.set(normalizeUri(uri), key);
  const keyOf = (uri: string | undefined) => (typeof uri === 'string' ? byUri.get(normalizeUri(uri)) : undefined);
  const keysOf = (coding: Coding): readonly string[] => {
    const system = keyOf(coding.system);
    return system === undefined || typeof coding.code !== 'string' ? [] : normalizedForms(system, coding.code).map((form) => `${system}|${form}`);
  };
  // The code sets hold this same aliases object: shadowing its two methods on the instance reaches every look-up.
  Object.defineProperties(policy.aliases, { keyOf: { value: keyOf }, keysOf: { value: keysOf } });
  return policy;
}

/** As src/fhir/code-set.ts normalises a system URI. */
function normalizeUri(uri: string): string {
  return uri.trim().replace(/\/+$/, '').toLowerCase();
}

export async function runMemoBench(sizes: readonly number[] = [50, 5_000]): Promise<MemoRow[]> {
  const discovery = loadDiscovery(fromRoot('discovery.json'));
  const reader = new ResourceReader();
  const deps = (policy: CompiledPolicy): HookDependencies => ({ policy, discovery, reader, now: () => new Date() });
  const memo = deps(loadPolicy(fromRoot('policies', 'tecartus-carepartners-ct')));
  const noMemo = deps(withoutAliasMemo());
  const rows: MemoRow[] = [];
  for (const size of sizes) {
    const body = tecartusRequest(size);
    // handleOrderHook is async but does nothing asynchronous here (all prefetched, no store): each run settles at once.
    const call = (d: HookDependencies) => handleOrderHook({ serviceId: ORDER_SIGN, body, baseUrl: () => 'http://127.0.0.1' }, d);
    const check = await call(noMemo);
    if (check.judged.length !== 1) throw new Error('the hook call judged no Tecartus order');
    const runs = size <= 50 ? 200 : 3;
    const [withMemo, without] = await timeAsyncVariants([() => call(memo), () => call(noMemo)], runs);
    rows.push({ cache: 'code-system aliases (code-set.ts)', work: `one hook call, ${size.toLocaleString('en-US')} history entries`, withUs: withMemo!, withoutUs: without! });
  }
  const zone = memo.policy.definition.timeZone;
  const now = new Date();
  const [cached, fresh] = timeVariants(
    [
      { name: 'cached', run: () => dayIn(zone, now) },
      { name: 'fresh', run: () => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now) },
    ],
    { runsPerBatch: 2_000 },
  );
  rows.push({ cache: 'day formatter per time zone (dates.ts)', work: 'one dayIn (one per hook call)', withUs: cached!.microseconds, withoutUs: fresh!.microseconds });
  return rows;
}

/** Alternating batches of async variants (as timeVariants), awaiting each run. */
async function timeAsyncVariants(variants: readonly (() => Promise<unknown>)[], runsPerBatch: number, batches = 9): Promise<number[]> {
  for (const v of variants) for (let i = 0; i < runsPerBatch; i++) await v();
  const times = variants.map(() => [] as number[]);
  for (let b = 0; b < batches; b++) {
    for (const [i, v] of variants.entries()) {
      const started = performance.now();
      for (let r = 0; r < runsPerBatch; r++) await v();
      times[i]!.push(((performance.now() - started) * 1000) / runsPerBatch);
    }
  }
  return times.map((t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

export function printMemo(rows: readonly MemoRow[]): void {
  console.log('\n### Memo caches: with and without (issue 11 item 6; in-process, medians of 9 batches)\n');
  console.log('| cache | work timed | with the cache, µs | without, µs | saved per hook call |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.cache} | ${r.work} | ${us(r.withUs)} | ${us(r.withoutUs)} | ${us(r.withoutUs - r.withUs)} µs (${Math.round(((r.withoutUs - r.withUs) / r.withoutUs) * 100)}%) |`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printMemo(await runMemoBench());
