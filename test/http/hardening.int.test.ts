import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import request from 'supertest';
import { isOperationOutcome } from '../support/cds-conformance.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueName } from '../support/shared-servers.js';
import { createTestApp, postHook, testPolicy } from '../support/test-app.js';

const AUD = audienceFor(`/cds-services/${ORDER_SIGN}`);

describe('Security headers: the OWASP REST set on the JSON APIs, helmet\'s on pages', () => {
  const { app } = createTestApp();

  it('a hook answer, the FHIR API and the probes are not stored, not framed, not sniffed, load nothing, and carry no X-Powered-By', async () => {
    const answers = { 'POST hook call': await postHook(app, ORDER_SIGN, buildHookRequest()), 'GET /cds-services': await request(app).get('/cds-services'), 'GET /fhir/metadata': await request(app).get('/fhir/metadata'), 'GET /healthz': await request(app).get('/healthz') };
    for (const [where, res] of Object.entries(answers)) {
      assert.equal(res.headers['cache-control'], 'no-store', where);
      assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", where);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
      assert.equal(res.headers['x-frame-options'], 'DENY', where);
      assert.equal(res.headers['x-powered-by'], undefined, where);
      assert.equal(res.headers['referrer-policy'], undefined, `${where}: headers for documents are left to pages`);
    }
  });

  it('pages carry helmet\'s set: nosniff, frame and referrer protections, and no X-Powered-By', async () => {
    const res = await request(app).get(`/policies/${testPolicy().definition.id}`);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-powered-by'], undefined);
  });

  it('the Content-Security-Policy lets pages run scripts and styles from this origin only', async () => {
    const csp = (await request(app).get(`/policies/${testPolicy().definition.id}`)).headers['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /script-src-attr 'none'/);
    assert.match(csp, /style-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/, 'no unsafe-inline, no https: wildcard');
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'over plain http the page must load its own scripts');
  });

  it('the policy page\'s inline stylesheet is the one the policy allows by hash', async () => {
    const res = await request(app).get(`/policies/${testPolicy().definition.id}`);
    assert.equal(res.status, 200);
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)?.[1];
    assert.ok(style, 'the policy page has its stylesheet inline');
    const hash = `'sha256-${createHash('sha256').update(style).digest('base64')}'`;
    assert.ok((res.headers['content-security-policy'] ?? '').includes(hash), 'the CSP names the hash of the page\'s stylesheet');
    assert.doesNotMatch(res.text, /<script/);
  });

  it('over https (PUBLIC_BASE_URL https://…) browsers are told to stay on https, by pages and APIs alike', async () => {
    const { app: secure } = createTestApp({ PUBLIC_BASE_URL: 'https://cds.example.org' });
    for (const path of ['/cds-services', `/policies/${testPolicy().definition.id}`]) {
      const res = await request(secure).get(path);
      assert.match(res.headers['strict-transport-security'] ?? '', /max-age=31536000/, path);
    }
    const page = await request(secure).get(`/policies/${testPolicy().definition.id}`);
    assert.match(page.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
  });
});

describe('Body size limit (BODY_LIMIT)', () => {
  it('a body over the limit gets 413 with an OperationOutcome that says the size and the limit', async () => {
    const { app, logs } = createTestApp({ BODY_LIMIT: '2kb' });
    const body = buildHookRequest();
    const res = await request(app).post(`/cds-services/${ORDER_SIGN}`).set('Content-Type', 'application/json').send(JSON.stringify({ ...body, padding: 'x'.repeat(4000) }));
    assert.equal(res.status, 413);
    assert.ok(isOperationOutcome(res.body));
    const text: string = res.body.issue[0].details.text;
    assert.match(text, /The request body is \d+ bytes; this service accepts at most 2048 bytes \(2 kB\)/);
    assert.match(text, /BODY_LIMIT/);
    assert.ok(logs.some((l) => l.includes('"event":"http"') && l.includes('"status":413') && l.includes('"reasons":["too-costly"]')));
  });
});

describe('Per-client rate limit (RATE_LIMIT_PER_MINUTE, keyed on the JWT iss)', () => {
  let a: TestSigner;
  let b: TestSigner;
  let file: { path: string; remove: () => void };
  before(async () => {
    a = await makeSigner('ES384', 'https://ehr-a.example.org', 'a');
    b = await makeSigner('RS384', 'https://ehr-b.example.org', 'b');
    file = writeClientsFile([
      { iss: a.iss, jwks: jwksOf(a) },
      { iss: b.iss, jwks: jwksOf(b) },
    ]);
  });
  after(() => file.remove());

  const call = async (app: Parameters<typeof postHook>[0], signer: TestSigner) => postHook(app, ORDER_SIGN, buildHookRequest(), bearer(await signCdsJwt(signer, AUD)));

  it('beyond the limit a client gets 429 with Retry-After and an OperationOutcome; another client is not affected', async () => {
    const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, RATE_LIMIT_PER_MINUTE: '2' });
    assert.equal((await call(app, a)).status, 200);
    assert.equal((await call(app, a)).status, 200);
    const limited = await call(app, a);
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${limited.headers['retry-after']}`);
    assert.ok(isOperationOutcome(limited.body));
    assert.equal(limited.body.issue[0].code, 'throttled');
    assert.match(limited.body.issue[0].details.text, /limit is 2 per minute/);
    assert.equal((await call(app, b)).status, 200, 'the limit is per client');
    assert.ok(logs.some((l) => l.includes('"event":"rate-limited"') && l.includes(a.iss)));
  });

  it('calls refused by authentication do not count against a client', async () => {
    const { app } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, RATE_LIMIT_PER_MINUTE: '1' });
    for (let i = 0; i < 3; i++) assert.equal((await postHook(app, ORDER_SIGN, buildHookRequest())).status, 401);
    assert.equal((await call(app, a)).status, 200);
  });

  it('is on by default with a clients file and off by default in open development mode', () => {
    assert.equal(createTestApp({ CDS_CLIENTS_FILE: file.path }).config.rateLimitPerMinute, 3000);
    assert.equal(createTestApp().config.rateLimitPerMinute, 0);
  });

  it('when the shared store fails, calls pass (the limit must not take the service down)', async () => {
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    const store = new RedisStore({ sendCommand: (...args: string[]) => redis.sendCommand(args), prefix: `${uniqueName('test-rate')}:` });
    const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, RATE_LIMIT_PER_MINUTE: '1' }, { rateLimitStore: store });
    redis.destroy();
    for (let i = 0; i < 3; i++) assert.equal((await call(app, a)).status, 200);
    assert.ok(logs.some((l) => l.includes('"level":40') && /rate limit|store/i.test(l)));
  });

  it('with Redis the count is shared by instances', async () => {
    const prefix = `${uniqueName('test-rate')}:`;
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const store = () => new RedisStore({ sendCommand: (...args: string[]) => redis.sendCommand(args), prefix });
      const env = { CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, RATE_LIMIT_PER_MINUTE: '2' };
      const one = createTestApp(env, { rateLimitStore: store() });
      const two = createTestApp(env, { rateLimitStore: store() });
      assert.equal((await call(one.app, a)).status, 200);
      assert.equal((await call(two.app, a)).status, 200);
      assert.equal((await call(one.app, a)).status, 429);
      assert.equal((await call(two.app, a)).status, 429);
    } finally {
      await redis.close();
      await deleteRedisKeys(prefix);
    }
  });
});
