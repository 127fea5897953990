import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `src/server.ts` as the real process would run, and follows its log. */
function startService(): { child: ChildProcess; lines: string[]; waitFor: (pattern: RegExp) => Promise<string>; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: ':memory:', SHUTDOWN_TIMEOUT_MS: '10000' };
  const child = spawn(process.execPath, ['dist/server.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk) => {
    buffered += String(chunk);
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.on('data', (chunk) => lines.push(`stderr: ${String(chunk)}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no log line ${pattern} within 20 s:\n${lines.join('\n')}`)), 20000);
      waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  return { child, lines, waitFor, exited };
}

describe('Graceful shutdown: SIGTERM lets requests in flight finish', () => {
  it('a hook call whose body is still arriving when SIGTERM comes is answered, then the process exits 0', async () => {
    const service = startService();
    try {
      const listening = await service.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(listening)![1]);
      const body = Buffer.from(JSON.stringify(buildHookRequest()));

      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/cds-services/${ORDER_SIGN}`, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += String(d)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        // Half the body now: the request is in flight when the signal arrives.
        req.write(body.subarray(0, body.length >> 1));
        (async () => {
          await new Promise((r) => setTimeout(r, 200));
          service.child.kill('SIGTERM');
          await service.waitFor(/shutting down/);
          // New requests are no longer served while the old one finishes (refused, or reset if the connection raced the close).
          const refused = await new Promise<string>((resolve) => {
            http.get({ host: '127.0.0.1', port, path: '/cds-services' }, (res) => resolve(`answered ${res.statusCode}`)).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          });
          assert.match(refused, /^ECONN(REFUSED|RESET)$/);
          await new Promise((r) => setTimeout(r, 200));
          req.end(body.subarray(body.length >> 1));
        })().catch(reject);
      });

      const res = await answer;
      assert.equal(res.status, 200, res.body.slice(0, 300));
      assert.ok(Array.isArray(JSON.parse(res.body).cards));
      assert.equal(await service.exited, 0, service.lines.join('\n'));
      assert.ok(service.lines.some((l) => /"clean":true/.test(l) && /stopped/.test(l)));
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('NODE_ENV=production without a clients file: the process refuses to start and exits 1', async () => {
    const child = spawn(process.execPath, ['dist/server.js'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(out, /"level":60.*refusing to start: NODE_ENV=production but CDS_CLIENTS_FILE is not set/);
  });
});
