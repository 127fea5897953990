import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { PROJECT_ROOT } from '../src/paths.js';

/** A server the bench started as a child process, listening on 127.0.0.1. */
export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Resident set size of the process, in bytes (from ps). */
  rssBytes(): number;
  /** CPU time the process has used, user and system, in seconds (Linux /proc; undefined elsewhere). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts `node <options of npm start> <script>` the way the service is deployed
 * (compiled JavaScript with plain node; a TypeScript script, such as the
 * baseline, is loaded through tsx), on a free port of 127.0.0.1 (`env` may depend on the server's own URL). Its stdout and stderr (the JSON log) go to
 * `logFile`, so the load generator never has to read them and a full pipe can
 * never slow the server down.
 */
export async function startChildServer(
  name: string,
  script: string,
  env: Record<string, string> | ((url: string) => Record<string, string>),
  logFile: string,
  nodeArgs: readonly string[] = [],
): Promise<ChildServer> {
  // The free port is released before the child binds it, and other processes on the machine may take it in between: try again on a new one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, script, env, logFile, nodeArgs);
    } catch (error) {
      if (!(error instanceof ExitedEarly) || attempt === 3) throw error;
      console.error(`${(error as Error).message}; starting it again`);
    }
  }
}

class ExitedEarly extends Error {}

async function startOnce(
  name: string,
  script: string,
  env: Record<string, string> | ((url: string) => Record<string, string>),
  logFile: string,
  nodeArgs: readonly string[],
): Promise<ChildServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(logFile, 'a');
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...DEPLOYED_NODE_OPTIONS, ...loader, script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', ...(typeof env === 'function' ? env(url) : env), PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('\n');
      throw new ExitedEarly(`${name} exited with ${child.exitCode} before listening on port ${port}; the end of its log:\n${tail}`);
    }
    try {
      const res = await fetch(`${url}/cds-services`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not start within 30 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name,
    url,
    pid: child.pid!,
    rssBytes: () => Number(execFileSync('ps', ['-o', 'rss=', '-p', String(child.pid)], { encoding: 'utf8' }).trim()) * 1024,
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The compiled entry point `npm start` runs (issue 11: dist/, plain node, no tsx in the process). */
export const DEPLOYED_SCRIPT = 'dist/server.js';

/**
 * The Node.js options `npm start` runs the service with (package.json
 * "start": node <options> dist/server.js). The bench gives them to the
 * service and to the baseline alike.
 */
export const DEPLOYED_NODE_OPTIONS: readonly string[] = (() => {
  const start = (JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  const words = start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== DEPLOYED_SCRIPT) throw new Error(`package.json "start" is not "node <options> ${DEPLOYED_SCRIPT}": ${start}`);
  if (words.includes('--import')) throw new Error(`package.json "start" loads a module before the service (${start}); the bench assumes plain node`);
  return words.slice(1, -1);
})();

let ticksPerSecond: number | undefined;

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks). */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
