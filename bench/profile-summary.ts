/**
 * Summarises a V8 CPU profile (node --cpu-prof; npm run bench -- --profile <dir>):
 * where the time went, by function (self time) and by source file (self
 * time, and inclusive time for the project's own files).
 *
 * Run: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
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

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
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
show("Inclusive time, the project's own files", inclusiveByFile, (k) => k.startsWith('src/'));
show("Inclusive time, the project's own functions", inclusiveByFunction, (k) => / src\//.test(k));
