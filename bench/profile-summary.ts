/**
 * Summarises a V8 CPU profile (node --cpu-prof; npm run bench -- --profile <dir>):
 * where the time went, by function (self time) and by source file (self
 * time, and inclusive time for the project's own files), and by stage of a
 * hook call or a DTR package call (each sample goes to the innermost stage on
 * its stack; with the number of requests the profile covers, per request).
 *
 * The bench profiles the compiled service, so the project's frames are named
 * by their dist/ file and the line of the compiled JavaScript (tsc keeps the
 * function names; dist/x.js.map leads back to src/x.ts).
 *
 * Run: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top] [requests]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, requestsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top] [requests]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const requests = requestsArg === undefined ? undefined : Number(requestsArg);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
// Shares are of the time the process was busy: idle time (waiting for requests) is left out.
const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
for (const id of idle) selfTime.delete(id);
const total = [...selfTime.values()].reduce((a, b) => a + b, 0);

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  if (!url) return '(native)';
  const rel = url.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, url) : url;
  return rel.replace(/^node_modules\/(\.pnpm\/)?/, 'nm:');
};
const fileOf = (n: ProfileNode) => {
  const w = where(n);
  const m = /^nm:((@[^/]+\/)?[^/]+)/.exec(w);
  return m ? `nm:${m[1]}` : w;
};
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;

/** The project's own code: the compiled service (dist/), or src/ when profiled through tsx. */
const OWN_FILE = /^(src|dist)\//;
const OWN_FUNCTION = / (src|dist)\//;
const add = (map: Map<string, number>, key: string, t: number) => map.set(key, (map.get(key) ?? 0) + t);
const selfByFunction = new Map<string, number>();
const selfByFile = new Map<string, number>();
const inclusiveByFile = new Map<string, number>();
const inclusiveByFunction = new Map<string, number>();
for (const [id, t] of selfTime) {
  const n = byId.get(id)!;
  add(selfByFunction, label(n), t);
  add(selfByFile, fileOf(n), t);
  // Inclusive: each file and function on the stack once.
  const files = new Set<string>();
  const functions = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur)!;
    files.add(fileOf(node));
    functions.add(label(node));
  }
  for (const f of files) add(inclusiveByFile, f, t);
  for (const f of functions) add(inclusiveByFunction, f, t);
}

const show = (title: string, map: Map<string, number>, filter: (k: string) => boolean = () => true) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s busy (shares below are of that)`);
show('Self time by function', selfByFunction);
show('Self time by file or package', selfByFile);
show("Inclusive time, the project's own files", inclusiveByFile, (k) => OWN_FILE.test(k));
show("Inclusive time, the project's own functions", inclusiveByFunction, (k) => OWN_FUNCTION.test(k));

/** A frame of the project's module `path` (without extension), compiled (dist/…js) or not (src/…ts). */
const inModule = (url: string, path: string) => url.includes(`/dist/${path}.js`) || url.includes(`/src/${path}.ts`);
const inFolder = (url: string, folder: string) => url.includes(`/dist/${folder}/`) || url.includes(`/src/${folder}/`);

/**
 * Stages of a hook call (src/hooks/handle-order-hook.ts, steps 1 to 6) and of
 * a DTR package call, by the functions that do them; the innermost match on a
 * stack wins. Express's own frames (router, layer, response) end the search:
 * a middleware that calls next() is not charged with what runs after it.
 */
const STAGES: readonly { name: string; match: (fn: string, url: string) => boolean }[] = [
  { name: 'start-up (loading modules, policy, store)', match: (fn, url) => url.includes('esm/module_job') || inModule(url, 'http/start-server') || fn === 'compileSourceTextModule' },
  { name: 'garbage collection', match: (fn) => fn === '(garbage collector)' },
  { name: 'request check (zod schemas, Ajv shapes)', match: (fn) => fn === 'parseHookRequest' || fn === 'readPackageRequest' },
  { name: 'finding the Tecartus orders', match: (fn) => fn === 'findTecartusOrders' },
  { name: 'gathering the record (prefetch, FHIR queries, reading resources)', match: (fn) => fn === 'gatherPatientRecord' || fn === 'readPrefetch' },
  { name: 'policy evaluation (criteria, code sets, FHIRPath)', match: (fn) => fn === 'evaluateTecartusOrders' },
  { name: 'cards, coverage information, coverage-assertion-id', match: (fn) => fn === 'answerDecisions' },
  { name: 'audit record: building it (incl. SHA-256 of the answer)', match: (fn) => fn === 'auditRecord' },
  { name: 'hook handler, rest (answer serialisation, order matching)', match: (fn) => fn === 'handleOrderHook' },
  { name: 'audit record: SQLite group commit', match: (fn) => fn === 'commitGroup' },
  // The store's reads run from a promise chain of their own, so they are found by the SQLite store's frames, not by their caller.
  { name: 'store reads (SQLite select and row decoding; the DTR assertion look-up)', match: (fn, url) => (fn === 'select' || fn === 'decode') && inModule(url, 'store/sqlite-decision-store') },
  { name: 'DTR: draft QuestionnaireResponse', match: (fn) => fn === 'draftQuestionnaireResponse' },
  { name: 'DTR: ValueSet expansions of the day', match: (fn) => fn === 'expandedNow' },
  { name: 'DTR: package, rest', match: (fn) => fn === 'questionnairePackage' },
  { name: 'FHIR answer serialisation (JSON.stringify in fhir-routes send)', match: (fn, url) => fn === 'send' && inModule(url, 'http/fhir-routes') },
  { name: 'JSON body parsing (body-parser, as in the baseline)', match: (fn, url) => fn === 'parse' && url.includes('body-parser') },
  { name: 'JSON depth limit', match: (fn) => fn === 'depthExceeds' },
  { name: 'logging (pino)', match: (_fn, url) => url.includes('/pino/') || inModule(url, 'http/request-log') },
  { name: 'metrics (prom-client)', match: (_fn, url) => url.includes('prom-client') || inModule(url, 'operations/metrics') },
  { name: 'JWT verification', match: (_fn, url) => inFolder(url, 'auth') || url.includes('/jose/') },
  { name: 'socket writes (writev, as in the baseline)', match: (fn) => fn === 'writev' || fn === 'writeBuffer' || fn === 'writeUtf8String' },
];
const EXPRESS_FRAMES = /node_modules\/(router|express)\//;
const stageTime = new Map<string, number>();
for (const [id, t] of selfTime) {
  let stage = 'HTTP, Express routing and middleware, other';
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur)!;
    const found = STAGES.find((s) => s.match(node.callFrame.functionName, node.callFrame.url));
    if (found) {
      stage = found.name;
      break;
    }
    if (EXPRESS_FRAMES.test(node.callFrame.url)) break;
  }
  add(stageTime, stage, t);
}
console.log(`\nBy stage${requests ? ` (${requests} requests)` : ''}`);
for (const [stage, t] of [...stageTime].sort((a, b) => b[1] - a[1])) {
  const perRequest = requests && !stage.startsWith('start-up') ? `  ${((t / requests) | 0).toString().padStart(5)} µs/request` : '';
  console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%${perRequest}  ${stage}`);
}
