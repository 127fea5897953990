import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp } from '../support/test-app.js';

const EHR_ORIGIN = 'https://ehr.example.org';

function preflight(app: Parameters<typeof request>[0], path: string, origin = EHR_ORIGIN) {
  return request(app)
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type');
}

function assertPreflightAllows(res: request.Response, origin: string): void {
  assert.equal(res.status, 204);
  assert.equal(res.headers['access-control-allow-origin'], origin);
  const headers = (res.headers['access-control-allow-headers'] ?? '').toLowerCase();
  assert.ok(headers.includes('authorization') && headers.includes('content-type'), `allow-headers: ${headers}`);
  assert.match(res.headers['access-control-allow-methods'] ?? '', /POST/);
  assert.equal(res.headers['access-control-allow-credentials'], undefined, 'no credentials: the JWT is a header, not a cookie');
}

describe('CORS: browser-based CDS clients on another origin (default: any origin)', () => {
  const { app } = createTestApp();

  it('preflight for the hook endpoint allows Authorization and Content-Type', async () => {
    assertPreflightAllows(await preflight(app, `/cds-services/${ORDER_SIGN}`), '*');
  });

  it('preflight for the feedback endpoint allows Authorization and Content-Type', async () => {
    assertPreflightAllows(await preflight(app, `/cds-services/${ORDER_SIGN}/feedback`), '*');
  });

  it('preflight for discovery and for the coverage look-up succeeds too', async () => {
    assertPreflightAllows(await preflight(app, '/cds-services'), '*');
    assertPreflightAllows(await preflight(app, '/coverage-assertions/abc'), '*');
  });

  it('the hook answer itself carries Access-Control-Allow-Origin', async () => {
    const res = await request(app).post(`/cds-services/${ORDER_SIGN}`).set('Origin', EHR_ORIGIN).send(buildHookRequest());
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  it('a refused call (401) still carries CORS headers, so the browser client can read why', async () => {
    const { app: guarded } = createTestApp({ CDS_CLIENTS_FILE: 'given-below.json' }, { trustedClients: new Map() });
    const res = await request(guarded).post(`/cds-services/${ORDER_SIGN}`).set('Origin', EHR_ORIGIN).send(buildHookRequest());
    assert.equal(res.status, 401);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(res.headers['access-control-expose-headers'] ?? '', /WWW-Authenticate/i);
  });

  it('a call without Origin (an EHR\'s server, not a browser) gets no CORS headers: they would mean nothing to it', async () => {
    const res = await request(app).post(`/cds-services/${ORDER_SIGN}`).send(buildHookRequest());
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-expose-headers'], undefined);
  });
});

describe('CORS: CORS_ORIGINS restricts the origins', () => {
  const { app } = createTestApp({ CORS_ORIGINS: `${EHR_ORIGIN}, https://sandbox.cds-hooks.org` });

  it('an allowed origin is echoed back on preflight', async () => {
    assertPreflightAllows(await preflight(app, `/cds-services/${ORDER_SIGN}`), EHR_ORIGIN);
    assertPreflightAllows(await preflight(app, `/cds-services/${ORDER_SIGN}/feedback`, 'https://sandbox.cds-hooks.org'), 'https://sandbox.cds-hooks.org');
  });

  it('a call without Origin says Vary: Origin, so no cache gives its answer to a browser on another origin', async () => {
    const res = await request(app).get('/cds-services');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.match(String(res.headers['vary']), /Origin/);
  });

  it('another origin gets no Access-Control-Allow-Origin, so the browser blocks it', async () => {
    const res = await preflight(app, `/cds-services/${ORDER_SIGN}`, 'https://evil.example.net');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('an origin with a path is a configuration error', () => {
    assert.throws(() => createTestApp({ CORS_ORIGINS: 'https://ehr.example.org/app' }), /not an origin/);
  });
});
