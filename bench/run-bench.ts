/**
 * npm run bench: the service under load against a bare baseline on the same
 * stack, on this machine, with the load generator (autocannon) in this process.
 *
 * - The service runs as deployed: the compiled service (`node <options of npm
 *   start> dist/server.js`, built first when src/ is newer) as a child process,
 *   open development mode, the SQLite store in a temporary directory,
 *   LOG_LEVEL=info with its log written to a file there.
 * - The baseline (bench/baseline-server.ts) is Express 5 with the same body
 *   parser and limit; it parses each request and answers a fixed response, the
 *   service's own answer to the same request.
 * - Every request carries a fresh hookInstance. Each scenario warms both up,
 *   then runs rounds of service then baseline; the medians are printed.
 *
 * Options: npm run bench -- --help. The tables are Markdown (the README quotes them).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';
import { buildQuestionnairePackageRequest } from '../test/support/dtr-requests.js';
import { buildTecartusOrder } from '../test/support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../test/support/hook-requests.js';
import { eligibleMantleCellRecord } from '../test/support/patient-scenarios.js';
import { createBenchClient } from './bench-client.js';
import { readBenchOptions, type BenchOptions } from './bench-options.js';
import { DEPLOYED_NODE_OPTIONS, DEPLOYED_SCRIPT, startChildServer, type ChildServer } from './child-server.js';
import { ORDER_SIGN_QUERIES, startDelayedFhirServer } from './delayed-fhir-server.js';
import { printFhirQueryRows, runFhirQueryBench } from './fhir-queries.bench.js';
import { printMemo, runMemoBench } from './memo-caches.bench.js';
import { printValidation, runValidationBench } from './validation.bench.js';
import { fhirRequestTemplate, hookRequestTemplate, loadServer, type LoadResult, type RequestTemplate } from './load.js';
import { historyOf, nonTecartusRequest, tecartusRequest } from './scenarios.js';

const HOOK_PATH = `/cds-services/${ORDER_SIGN}`;
const PACKAGE_PATH = '/fhir/Questionnaire/$questionnaire-package';
const COVERAGE_INFORMATION_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const TYPICAL_SIZE = 50;
const LARGE_SIZE = 5_000;
const SLOPE_SIZES = [1_000, LARGE_SIZE, 10_000] as const;
const FHIR_DELAY_MS = 100;
/** The typical ratio issue 6 published (28 November 2026); issue 11 allows at most 10% less. */
const PUBLISHED_TYPICAL_RATIO = 0.33;

interface Json {
  [key: string]: unknown;
}

interface CdsAnswer {
  cards?: unknown[];
  systemActions?: { resource?: { extension?: { url?: string; extension?: { url?: string; valueString?: string }[] }[] } }[];
}

interface Measured {
  readonly service: LoadResult;
  readonly baseline: LoadResult;
}

interface ScenarioRow extends Measured {
  readonly scenario: string;
  readonly connections: number;
  readonly bodyBytes: number;
}

interface Target {
  readonly name: string;
  readonly measured: string;
  readonly ok: boolean;
}

const options = readBenchOptions();
const wanted = (id: string) => !options.only || options.only.has(id);
const workDir = mkdtempSync(join(tmpdir(), 'tecartus-bench-'));
const started: ChildServer[] = [];

try {
  await main(options);
} finally {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(workDir, { recursive: true, force: true });
}

async function main(o: BenchOptions): Promise<void> {
  buildIfStale();
  printMachine(o);
  const fhir = await startDelayedFhirServer(FHIR_DELAY_MS);
  const service = await startService('service', 'service.sqlite', o.profileDir);
  const typical = hookRequestTemplate(HOOK_PATH, tecartusRequest(TYPICAL_SIZE));
  // The baseline answers the service's own answer to the typical request.
  const typicalAnswer = (await call(service, typical)) as CdsAnswer;
  expect(typicalAnswer, 'typical request', (a) => a.systemActions?.length === 1 && (a.cards?.length ?? 0) > 0);
  const answerFile = join(workDir, 'typical-answer.json');
  writeFileSync(answerFile, JSON.stringify(typicalAnswer));
  const dtrPackage = wanted('dtr-package') ? await packageRequestAfterOrderSign(service) : undefined;
  const packageFile = join(workDir, 'package-answer.json');
  if (dtrPackage) {
    const answer = await call(service, dtrPackage);
    expectPrefilledPackage(answer);
    writeFileSync(packageFile, JSON.stringify(answer));
  }
  const baseline = track(
    await startChildServer(
      'baseline',
      'bench/baseline-server.ts',
      { BASELINE_RESPONSE_FILE: answerFile, ...(dtrPackage ? { BASELINE_PACKAGE_RESPONSE_FILE: packageFile } : {}), LOG_LEVEL: 'info' },
      join(workDir, 'baseline.log'),
      // Its profile beside the service's: profile-summary.ts on each shows what the service does that the baseline does not.
      o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(o.profileDir, 'baseline')}`] : [],
    ),
  );

  const rows = scenarioTable(o);
  const targets: Target[] = [];

  if (wanted('typical')) {
    const row = await scenario(o, 'typical: one Tecartus order, 50 resources prefetched', service, baseline, typical, o.connections);
    rows.push(row);
    const ratio = row.service.rps / row.baseline.rps;
    const floor = PUBLISHED_TYPICAL_RATIO * 0.9;
    targets.push({ name: `typical request: no worse than 10% below the published ${percent(PUBLISHED_TYPICAL_RATIO)} of the baseline (issue 11: at least ${percent(floor)})`, measured: percent(ratio), ok: ratio >= floor });
    targets.push({ name: 'typical request: at least 70% of the baseline requests/s (issue 6)', measured: percent(ratio), ok: ratio >= 0.7 });
    targets.push({ name: `typical request: p99 under 25 ms at ${o.connections} connections`, measured: `${ms(row.service.p99)} ms`, ok: row.service.p99 < 25 });
    // What one clinician waits for when the service is not queueing other calls.
    rows.push(await scenario(o, 'typical, one call at a time', service, baseline, typical, 1));
  }

  let slope: Map<number, Measured & { bytes: number }> | undefined;
  if (wanted('large') || wanted('slope')) {
    slope = new Map();
    for (const size of wanted('slope') ? SLOPE_SIZES : [LARGE_SIZE]) {
      const template = hookRequestTemplate(HOOK_PATH, tecartusRequest(size));
      expect((await call(service, template)) as CdsAnswer, `history of ${size}`, (a) => a.systemActions?.length === 1);
      const measured = await alternate(o, service, baseline, template, 1);
      slope.set(size, { ...measured, bytes: template.bytes });
      if (size === LARGE_SIZE) {
        rows.push({ scenario: `large history: ${LARGE_SIZE.toLocaleString('en-US')} resources prefetched`, connections: 1, bodyBytes: template.bytes, ...measured });
        targets.push({ name: 'large history (5,000): p99 under 150 ms', measured: `${ms(measured.service.p99)} ms`, ok: measured.service.p99 < 150 });
      }
    }
  }

  if (wanted('no-tecartus')) {
    const template = hookRequestTemplate(HOOK_PATH, nonTecartusRequest(TYPICAL_SIZE));
    expect((await call(service, template)) as CdsAnswer, 'no Tecartus order', (a) => a.cards?.length === 0 && a.systemActions?.length === 0);
    const row = await scenario(o, 'no Tecartus order (short-circuit), 50 resources', service, baseline, template, o.connections);
    rows.push(row);
    const ratio = row.service.rps / row.baseline.rps;
    targets.push({ name: 'no Tecartus order: at least 80% of the baseline requests/s (issue 11)', measured: percent(ratio), ok: ratio >= 0.8 });
  }

  if (dtrPackage) {
    const label = 'DTR $questionnaire-package with the coverage-assertion-id (pre-filled draft response)';
    const row = await scenario(o, label, service, baseline, dtrPackage, o.connections);
    rows.push(row);
    targets.push({ name: `DTR $questionnaire-package with a coverage-assertion-id: p99 under 100 ms at ${o.connections} connections (issue 12)`, measured: `${ms(row.service.p99)} ms`, ok: row.service.p99 < 100 });
    rows.push(await scenario(o, '$questionnaire-package, one call at a time', service, baseline, dtrPackage, 1));
  }

  if (wanted('fhir')) {
    const template = hookRequestTemplate(HOOK_PATH, buildHookRequest({ prefetch: {}, encounterId: 'enc-1', fhirServer: fhir.url, accessToken: 'bench-token' }));
    const before = fhir.requests();
    expect((await call(service, template)) as CdsAnswer, 'FHIR-query path', (a) => a.systemActions?.length === 1);
    if (fhir.requests() - before !== ORDER_SIGN_QUERIES) throw new Error(`the FHIR-query path made ${fhir.requests() - before} queries, not ${ORDER_SIGN_QUERIES}`);
    const row = await scenario(o, `FHIR-query path: nothing prefetched, ${ORDER_SIGN_QUERIES} queries each delayed ${FHIR_DELAY_MS} ms`, service, baseline, template, o.connections);
    rows.push(row);
    targets.push({ name: `FHIR-query path: p99 under ${FHIR_DELAY_MS + 100} ms (${ORDER_SIGN_QUERIES} queries in parallel)`, measured: `${ms(row.service.p99)} ms`, ok: row.service.p99 < FHIR_DELAY_MS + 100 });
  }

  if (wanted('jwt')) {
    // Its own service: JWT authentication on (a clients file trusting the bench's key), the audience its own URL.
    // The rate limit stays on, set far above the load, so its cost is counted; the jti replay store is in memory.
    const client = createBenchClient();
    const clientsFile = join(workDir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify(client.clientsFile));
    const jwtService = await startService('jwt-service', 'jwt.sqlite', undefined, (url) => ({ CDS_CLIENTS_FILE: clientsFile, PUBLIC_BASE_URL: url, RATE_LIMIT_PER_MINUTE: '100000000' }));
    // The baseline gets the same signed tokens (and ignores them), so the load generator does the same work for both.
    const template = hookRequestTemplate(HOOK_PATH, tecartusRequest(TYPICAL_SIZE), (path) => ({ authorization: client.authorization(jwtService.url + path) }));
    expect((await call(jwtService, template)) as CdsAnswer, 'typical request with a JWT', (a) => a.systemActions?.length === 1);
    const row = await scenario(o, 'typical with JWT verification on (ES384, a fresh token per request)', jwtService, baseline, template, o.connections);
    rows.push(row);
    await jwtService.stop();
  }

  if (o.profileDir) {
    // For bench/profile-summary.ts <profile> <top> <requests>: the hook calls the profiled service answered.
    const text = await (await fetch(`${service.url}/metrics`)).text();
    const answered = [...text.matchAll(/^cds_hook_request_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    console.log(`\nProfiled service: ${answered} hook calls answered; its CPU profile is written to ${o.profileDir} when it stops.`);
  }

  printScenarioNotes(rows.rows);
  if (slope && wanted('slope')) targets.push(printSlope(slope));

  if (wanted('memory')) {
    await service.stop();
    targets.push(await memory(o, typical));
  }
  await Promise.all(started.map((s) => s.stop()));
  await fhir.close();

  if (wanted('fhir-latency')) printFhirQueryRows(await runFhirQueryBench());
  // In-process measurements for issue 11: items 3 (validation) and 6 (memo caches).
  if (wanted('validation')) printValidation(runValidationBench());
  if (wanted('memo')) printMemo(await runMemoBench());

  console.log(`\n${loadAverage()} at the end.`);
  console.log('\n### Targets\n');
  console.log('| target | measured | met |\n|---|---|---|');
  for (const t of targets) console.log(`| ${t.name} | ${t.measured} | ${t.ok ? 'yes' : '**no**'} |`);
  if (o.strict && targets.some((t) => !t.ok)) process.exitCode = 1;
}

/** The service as deployed (open development mode unless `extra` says otherwise, SQLite in the work directory, info logs to a file). */
async function startService(name: string, database: string, profileDir?: string, extra: (url: string) => Record<string, string> = () => ({})): Promise<ChildServer> {
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return track(
    await startChildServer(
      name,
      DEPLOYED_SCRIPT,
      (url) => ({ DATABASE_URL: join(workDir, database), LOG_LEVEL: 'info', FHIR_ALLOW_HTTP: 'true', ...extra(url) }),
      join(workDir, `${name}.log`),
      nodeArgs,
    ),
  );
}

function track(server: ChildServer): ChildServer {
  started.push(server);
  return server;
}

async function scenario(o: BenchOptions, label: string, service: ChildServer, baseline: ChildServer, template: RequestTemplate, connections: number): Promise<ScenarioRow> {
  return { scenario: label, connections, bodyBytes: template.bytes, ...(await alternate(o, service, baseline, template, connections)) };
}

/** Warms both up, then runs `rounds` rounds of service then baseline; medians of each figure. */
async function alternate(o: BenchOptions, service: ChildServer, baseline: ChildServer, template: RequestTemplate, connections: number): Promise<Measured> {
  await loadServer(service.url, template, { connections, durationSeconds: o.warmUpSeconds });
  await loadServer(baseline.url, template, { connections, durationSeconds: o.warmUpSeconds });
  const s: LoadResult[] = [];
  const b: LoadResult[] = [];
  for (let round = 0; round < o.rounds; round++) {
    s.push(await loadServer(service.url, template, { connections, durationSeconds: o.durationSeconds }, service.cpuSeconds));
    b.push(await loadServer(baseline.url, template, { connections, durationSeconds: o.durationSeconds }, baseline.cpuSeconds));
  }
  return { service: medianResult(s), baseline: medianResult(b) };
}

/**
 * RSS of a fresh service across `memoryRequests` typical requests (after a
 * warm-up), sampled every second: flat means the last quarter of the samples
 * averages less than 10% above the first quarter (single readings swing with
 * the garbage collector's timing). Heap in use from the service's /metrics.
 */
async function memory(o: BenchOptions, typical: RequestTemplate): Promise<Target> {
  const service = await startService('memory-service', 'memory.sqlite');
  await loadServer(service.url, typical, { connections: o.connections, durationSeconds: Math.max(o.warmUpSeconds, 5) });
  const before = { rss: service.rssBytes(), heap: await heapUsed(service) };
  const samples: number[] = [before.rss];
  const sampler = setInterval(() => samples.push(service.rssBytes()), 1000);
  const run = await loadServer(service.url, typical, { connections: o.connections, amount: o.memoryRequests });
  clearInterval(sampler);
  const after = { rss: service.rssBytes(), heap: await heapUsed(service) };
  samples.push(after.rss);
  await service.stop();
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(samples.slice(0, quarter));
  const last = mean(samples.slice(-quarter));
  const growth = (last - first) / first;
  console.log(`\n### Memory (typical request, ${o.connections} connections)\n`);
  console.log('| requests | RSS before | RSS after | RSS peak | first → last quarter of samples | V8 heap in use before / after | requests/s |\n|---|---|---|---|---|---|---|');
  console.log(
    `| ${run.requests.toLocaleString('en-US')} | ${mb(before.rss)} MB | ${mb(after.rss)} MB | ${mb(Math.max(...samples))} MB | ${mb(first)} → ${mb(last)} MB (${growth >= 0 ? '+' : ''}${percent(growth)}) | ${mb(before.heap)} / ${mb(after.heap)} MB | ${Math.round(run.rps)} |`,
  );
  console.log(`\nRSS sampled every second (${samples.length} samples). Heap in use includes garbage not yet collected.`);
  return {
    name: `memory flat across ${run.requests.toLocaleString('en-US')} requests (RSS, last quarter of the run within 10% of the first)`,
    measured: `${mb(before.rss)} → ${mb(after.rss)} MB; quarters ${mb(first)} → ${mb(last)} MB`,
    ok: growth < 0.1,
  };
}

/** nodejs_heap_size_used_bytes from the service's own GET /metrics. */
async function heapUsed(server: ChildServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN);
}

function printSlope(measured: ReadonlyMap<number, Measured & { bytes: number }>): Target {
  console.log('\n### Cost per history size (1 connection: one call at a time)\n');
  console.log('| resources prefetched | body | service mean ms | service p99 ms | baseline mean ms | service − baseline ms |\n|---|---|---|---|---|---|');
  const sizes = [...measured.keys()].sort((a, b) => a - b);
  for (const size of sizes) {
    const m = measured.get(size)!;
    console.log(`| ${size.toLocaleString('en-US')} | ${mb(m.bytes)} MB | ${ms(m.service.mean)} | ${ms(m.service.p99)} | ${ms(m.baseline.mean)} | ${ms(m.service.mean - m.baseline.mean)} |`);
  }
  // The slope of each segment, in ms per 1,000 resources. Linear cost (or better): the slope does not grow with
  // the size, i.e. the larger segment's slope is at most 25% above the smaller's (a quadratic cost would double it).
  const [first, second] = sizes.slice(1).map((size, i) => {
    const from = sizes[i]!;
    return (measured.get(size)!.service.mean - measured.get(from)!.service.mean) / ((size - from) / 1000);
  }) as [number, number];
  const fit = linearFit(sizes.map((size) => [size / 1000, measured.get(size)!.service.mean] as const));
  const linear = second <= 1.25 * first;
  const label = (n: number) => n.toLocaleString('en-US');
  console.log(
    `\nSlope: ${ms(fit.slope)} ms per 1,000 resources (least squares, R² ${fit.r2.toFixed(3)}; ${label(sizes[0]!)}→${label(sizes[1]!)}: ${ms(first)}, ${label(sizes[1]!)}→${label(sizes[2]!)}: ${ms(second)}); ${linear ? 'linear: the slope does not grow with the history' : 'NOT linear: the slope grows with the history'}.`,
  );
  return { name: 'cost linear in the number of resources (slope of 5,000→10,000 at most 25% above that of 1,000→5,000)', measured: `${ms(first)} then ${ms(second)} ms per 1,000; R² ${fit.r2.toFixed(3)}`, ok: linear };
}

/** Least-squares line through the points, and how well it fits (R²). */
function linearFit(points: readonly (readonly [number, number])[]): { slope: number; r2: number } {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const residual = points.reduce((a, [x, y]) => a + (y - (my + slope * (x - mx))) ** 2, 0);
  const spread = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  return { slope, r2: spread === 0 ? 1 : 1 - residual / spread };
}

/** The scenario table, each row printed as soon as it is measured (a run that fails later keeps what it printed). */
function scenarioTable(o: BenchOptions): { readonly rows: ScenarioRow[]; push(row: ScenarioRow): void } {
  const rows: ScenarioRow[] = [];
  return {
    rows,
    push(r) {
      if (rows.length === 0) {
        console.log(`\n### Service and baseline (medians of ${o.rounds} round${o.rounds === 1 ? '' : 's'} of ${o.durationSeconds} s each)\n`);
        console.log('| scenario | body | conn. | service req/s | baseline req/s | service/baseline | service mean / p50 / p99 ms | baseline mean / p50 / p99 ms | CPU ms/request service / baseline |');
        console.log('|---|---|---|---|---|---|---|---|---|');
      }
      rows.push(r);
      console.log(
        `| ${r.scenario} | ${kb(r.bodyBytes)} | ${r.connections} | ${Math.round(r.service.rps)} | ${Math.round(r.baseline.rps)} | ${percent(r.service.rps / r.baseline.rps)} | ${latencies(r.service)} | ${latencies(r.baseline)} | ${cpuMs(r.service)} / ${cpuMs(r.baseline)} |`,
      );
    },
  };
}

function printScenarioNotes(rows: readonly ScenarioRow[]): void {
  if (rows.length === 0) return;
  console.log('\nLatency as autocannon measures it, from sending the request to the last byte of the answer; its percentiles are whole milliseconds.');
  console.log('CPU ms/request: CPU time the server process used (user + system, /proc) divided by the requests it answered; steadier than requests/s on a shared machine.');
  const typical = rows.find((r) => r.scenario.startsWith('typical:'))?.service.cpuMsPerRequest;
  const jwt = rows.find((r) => r.scenario.startsWith('typical with JWT'))?.service.cpuMsPerRequest;
  if (typical !== undefined && jwt !== undefined) console.log(`JWT verification (ES384 signature, claims, jti replay check, rate limit) adds ${(jwt - typical).toFixed(2)} ms of CPU per request.`);
}

function printMachine(o: BenchOptions): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`## npm run bench — ${new Date().toISOString()}\n`);
  console.log(`Machine: nproc ${availableParallelism()}, ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, ${platform()} ${release()}, Node ${process.version}.`);
  console.log(`Code: ${gitDescription()}. ${loadAverage()} at the start.`);
  console.log(
    `Service: \`node ${[...DEPLOYED_NODE_OPTIONS, DEPLOYED_SCRIPT].join(' ')}\` (npm start: compiled JavaScript, plain node); baseline: \`node ${[...DEPLOYED_NODE_OPTIONS, '--import tsx'].join(' ')} bench/baseline-server.ts\`.`,
  );
  console.log(
    `Load generator: autocannon in the bench process on the same machine, 127.0.0.1. Runs: ${o.durationSeconds} s, ${o.rounds} round(s), ${o.warmUpSeconds} s warm-up, ${o.connections} connections for throughput rows.`,
  );
}

/** One request (a hook call gets a fresh hookInstance); the parsed answer (must be 200). */
async function call(server: ChildServer, template: RequestTemplate): Promise<unknown> {
  const res = await fetch(server.url + template.path, { method: 'POST', headers: { 'content-type': template.contentType, ...template.headers?.(template.path) }, body: template.body() });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${server.name} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * DTR (issue 12) as a DTR client calls it after CRD: one order-sign call for a
 * Tecartus order with the typical record, then $questionnaire-package with
 * {context: its coverage-assertion-id, coverage, order}. The order has an id of
 * its own, so its assertion is made once, as in practice, and not re-asserted
 * by every typical call of the load (each re-sign of the same order with the
 * same evidence repeats the same assertion id and adds a row to look up).
 */
async function packageRequestAfterOrderSign(service: ChildServer): Promise<RequestTemplate> {
  const order = buildTecartusOrder({ id: 'tecartus-order-dtr-bench' });
  const signed = (await call(service, hookRequestTemplate(HOOK_PATH, buildHookRequest({ record: eligibleMantleCellRecord(historyOf(TYPICAL_SIZE)), orders: [order] })))) as CdsAnswer;
  return fhirRequestTemplate(PACKAGE_PATH, buildQuestionnairePackageRequest({ context: assertionIdOf(signed), order }));
}

/** The coverage-assertion-id of the order's coverage information (CRD spec-107: the DTR context). */
function assertionIdOf(answer: CdsAnswer): string {
  const info = answer.systemActions?.[0]?.resource?.extension?.find((e) => e.url === COVERAGE_INFORMATION_URL);
  const id = info?.extension?.find((e) => e.url === 'coverage-assertion-id')?.valueString;
  if (!id) throw new Error('the typical answer carries no coverage-assertion-id');
  return id;
}

/** Issue 12: the package holds the Questionnaire first and a draft QuestionnaireResponse last, with answers pre-filled from the decision. */
function expectPrefilledPackage(answer: unknown): void {
  const bundle = ((answer as Json)['parameter'] as Json[] | undefined)?.find((p) => p['name'] === 'packagebundle')?.['resource'] as Json | undefined;
  const entries = ((bundle?.['entry'] as Json[] | undefined) ?? []).map((e) => e['resource'] as Json);
  const draft = entries.at(-1);
  const answered = (items: unknown): number => ((items as Json[] | undefined) ?? []).reduce((n, i) => n + (Array.isArray(i['answer']) && i['answer'].length > 0 ? 1 : 0) + answered(i['item']), 0);
  if (entries[0]?.['resourceType'] !== 'Questionnaire' || draft?.['resourceType'] !== 'QuestionnaireResponse' || answered(draft['item']) === 0) {
    throw new Error(`unexpected $questionnaire-package answer: ${JSON.stringify(answer).slice(0, 300)}`);
  }
}

/** Builds dist/ (npm run build) when it is missing or older than a file under src/: the bench measures the code as it is. */
function buildIfStale(): void {
  const built = (() => {
    try {
      return statSync(join(PROJECT_ROOT, DEPLOYED_SCRIPT)).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  if (built > newest(join(PROJECT_ROOT, 'src'))) return;
  console.log(`${DEPLOYED_SCRIPT} is missing or older than src/: npm run build`);
  execFileSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** How busy the machine was (other processes compete with the servers and the load generator for its cores). */
function loadAverage(): string {
  return `Load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min) on ${availableParallelism()} cores`;
}

/** The commit measured, and whether the work tree differed from it. */
function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim() !== '';
    return `commit ${commit}${dirty ? ' with uncommitted changes under src/' : ''}`;
  } catch {
    return 'not a git work tree';
  }
}

function expect(answer: CdsAnswer, what: string, ok: (a: CdsAnswer) => boolean): void {
  if (!ok(answer)) throw new Error(`unexpected answer to the ${what}: ${JSON.stringify(answer).slice(0, 300)}`);
}

function medianResult(results: readonly LoadResult[]): LoadResult {
  const m = (pick: (r: LoadResult) => number) => median(results.map(pick));
  const cpu = results.map((r) => r.cpuMsPerRequest).filter((c): c is number => c !== undefined);
  return {
    rps: m((r) => r.rps),
    p50: m((r) => r.p50),
    p99: m((r) => r.p99),
    mean: m((r) => r.mean),
    requests: m((r) => r.requests),
    cpuMsPerRequest: cpu.length === results.length ? median(cpu) : undefined,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function latencies(r: LoadResult): string {
  return `${r.mean.toFixed(1)} / ${Math.round(r.p50)} / ${Math.round(r.p99)}`;
}

function cpuMs(r: LoadResult): string {
  return r.cpuMsPerRequest === undefined ? 'n/a' : r.cpuMsPerRequest.toFixed(2);
}

function ms(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function kb(bytes: number): string {
  return bytes >= 2 ** 20 ? `${mb(bytes)} MB` : `${Math.round(bytes / 1024)} kB`;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 100)}%`;
}
