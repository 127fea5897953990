import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';

/**
 * What `npm start` runs in production: the compiled service from dist/, with
 * plain node (issue 11: no tsx in the process, nothing compiled at start-up).
 */
describe('npm start serves the compiled service from dist/, with no tsx in the process', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess({ DATABASE_URL: ':memory:' });
  });
  after(() => server.stop());

  it('is node running dist/server.js, with no tsx loader on its command line', () => {
    const cmdline = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.some((a) => a.endsWith('dist/server.js')), cmdline.join(' '));
    assert.ok(!cmdline.some((a) => /tsx/.test(a)), cmdline.join(' '));
    const environ = readFileSync(`/proc/${server.child.pid}/environ`, 'utf8');
    assert.doesNotMatch(environ, /NODE_OPTIONS=[^\0]*tsx/);
  });

  it('serves discovery, the probes and a hook call', async () => {
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
    const discovery = (await (await fetch(`${server.baseUrl}/cds-services`)).json()) as { services: unknown[] };
    assert.equal(discovery.services.length, 2);
    const request = JSON.parse(readFileSync(new URL('../../examples/order-sign-request.json', import.meta.url), 'utf8')) as unknown;
    const res = await fetch(`${server.baseUrl}/cds-services/order-sign-crd`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { cards: unknown[] };
    assert.ok(body.cards.length > 0);
  });

  it('serves the preview page assets copied into dist/', async () => {
    const res = await fetch(`${server.baseUrl}/assets/preview.js`);
    assert.equal(res.status, 200);
  });
});
