import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jwksOf, makeSigner, writeClientsFile } from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { sampleValue } from '../support/prometheus.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/** The worker processes of a primary (Linux ps; tsx's esbuild service is a child too, and not a worker). */
function workerPids(primary: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, command]) => command === 'node')
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

async function until<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One hook call on a connection of its own (the primary hands connections to the workers in turn). */
async function hookCall(baseUrl: string): Promise<number> {
  const body = JSON.stringify(buildHookRequest());
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/cds-services/${ORDER_SIGN}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('WORKERS=N: N processes serve on one port (node:cluster)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tecartus-workers-'));
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess({ WORKERS: '2', DATABASE_URL: join(dir, 'decisions.sqlite') });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts two workers under the primary, both listening on the same port', async () => {
    await until('two workers listening', () => (server.output.filter((l) => l.includes('listening on')).length >= 2 ? true : undefined));
    assert.equal(workerPids(server.child.pid!).length, 2);
    const urls = new Set(server.output.filter((l) => l.includes('listening on')).map((l) => /listening on (\S+?)"/.exec(l)?.[1]));
    assert.equal(urls.size, 1, [...urls].join(', '));
  });

  it('answers hook calls, and GET /metrics on whichever worker counts the calls of all of them', async () => {
    const calls = 20;
    for (let i = 0; i < calls; i++) assert.equal(await hookCall(server.baseUrl), 200);
    const res = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '200' }), calls);
    assert.equal(sampleValue(text, 'cds_decisions_total', { reason: 'pa-required' }), calls);
    // Both workers answered some of them (connections are handed out in turn), so the count is the sum of both.
    const answeredBy = server.output.filter((l) => l.includes('"event":"hook-call"')).map((l) => (JSON.parse(l) as { worker?: number }).worker);
    assert.equal(answeredBy.length, calls);
    assert.equal(new Set(answeredBy).size, 2, `answered by workers ${[...new Set(answeredBy)].join(', ')}`);
  });

  it('starts another worker when one dies', async () => {
    const [victim] = workerPids(server.child.pid!);
    process.kill(victim!, 'SIGKILL');
    const replaced = await until('a replacement worker', () => {
      const pids = workerPids(server.child.pid!);
      return pids.length === 2 && !pids.includes(victim!) ? pids : undefined;
    });
    assert.equal(replaced.length, 2);
    await until('the replacement listening', () => (server.output.filter((l) => l.includes('listening on')).length >= 3 ? true : undefined));
    assert.equal(await hookCall(server.baseUrl), 200);
    assert.equal(await hookCall(server.baseUrl), 200);
  });

  it('stops every worker and exits 0 on SIGTERM', async () => {
    const pids = workerPids(server.child.pid!);
    await server.stop('SIGTERM');
    assert.equal(server.child.exitCode, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'the worker is gone');
  });
});

describe('WORKERS=N refuses settings the workers cannot share', () => {
  it('refuses JWT authentication with a replay store in memory (a token replayed to another worker would pass)', async () => {
    const signer = await makeSigner('ES384', 'https://ehr-workers.example.org');
    const clients = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
    try {
      await assert.rejects(startServerProcess({ WORKERS: '2', CDS_CLIENTS_FILE: clients.path, DATABASE_URL: ':memory:', JWT_REPLAY_STORE: 'memory' }, 15_000), /exited \(1\)[\s\S]*replay store the workers share/);
    } finally {
      clients.remove();
    }
  });

  it('refuses an in-memory decision store', async () => {
    await assert.rejects(startServerProcess({ WORKERS: '2', DATABASE_URL: ':memory:' }, 15_000), /exited \(1\)[\s\S]*cannot use DATABASE_URL=:memory:/);
  });
});
