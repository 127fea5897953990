import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { isOperationOutcome } from '../support/cds-conformance.js';
import {
  audienceFor,
  bearer,
  hs256WithPublicKey,
  JwksServer,
  jwksOf,
  makeSigner,
  PUBLIC_BASE_URL,
  signCdsJwt,
  unsignedJwt,
  writeClientsFile,
  type TestSigner,
} from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp, postHook } from '../support/test-app.js';

const HOOK_PATH = `/cds-services/${ORDER_SIGN}`;
const AUD = audienceFor(HOOK_PATH);
const now = () => Math.floor(Date.now() / 1000);

let jwks: JwksServer;
let clientsFile: { path: string; remove: () => void };
let app: Express;
let logs: string[];
/** EHR A: an ES384 key given in the clients file. */
let a: TestSigner;
/** EHR B: an RS384 key published at its jwksUrl. */
let b: TestSigner;
/** EHR C: keys published at an allow-listed jku, rotated during the tests. */
let c: TestSigner;
/** EHR T: acts for one tenant only. */
let t: TestSigner;
/** A key nobody trusts. */
let stranger: TestSigner;

before(async () => {
  a = await makeSigner('ES384', 'https://ehr-a.example.org', 'a-es384');
  b = await makeSigner('RS384', 'https://ehr-b.example.org', 'b-rs384');
  c = await makeSigner('ES384', 'https://ehr-c.example.org', 'c-1');
  t = await makeSigner('ES384', 'https://ehr-t.example.org', 't-1');
  stranger = await makeSigner('ES384', 'https://attacker.example.net', 'a-es384');
  jwks = await new JwksServer().start();
  jwks.publish('/b/jwks.json', jwksOf(b));
  jwks.publish('/c/jwks.json', jwksOf(c));
  jwks.publish('/evil/jwks.json', jwksOf(stranger));
  clientsFile = writeClientsFile([
    { iss: a.iss, name: 'EHR A', jwks: jwksOf(a) },
    { iss: b.iss, jwksUrl: jwks.url('/b/jwks.json') },
    { iss: c.iss, jku: [jwks.url('/c/jwks.json')] },
    { iss: t.iss, jwks: jwksOf(t), tenant: 'hospital-1' },
  ]);
  ({ app, logs } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, JWKS_COOLDOWN_SECONDS: '0' }));
});

after(async () => {
  await jwks.close();
  clientsFile.remove();
});

const call = (token: string | undefined, body: unknown = buildHookRequest()) => postHook(app, ORDER_SIGN, body, token === undefined ? {} : bearer(token));

/**
 * 401, a WWW-Authenticate challenge and an OperationOutcome naming the
 * category and the check that failed (`because`); the token is echoed nowhere.
 */
function assertRefused(res: request.Response, category: string, because: RegExp, token?: string): void {
  assert.equal(res.status, 401, `expected 401 ${category}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  const challenge = res.headers['www-authenticate'];
  assert.match(challenge ?? '', new RegExp(`^Bearer error="invalid_token", error_description="${category}: `));
  assert.ok(isOperationOutcome(res.body));
  const text = res.body.issue[0].details.text as string;
  assert.match(text, new RegExp(`^Authentication failed \\(${category}\\)`));
  assert.match(text, because);
  if (token) {
    for (const part of token.split('.').filter((p) => p.length > 8)) {
      assert.ok(!res.text.includes(part) && !challenge!.includes(part), 'the answer must not echo the token');
      assert.ok(!logs.some((l) => l.includes(part)), 'the logs must not carry the token');
    }
  }
}

describe('Trusting CDS Clients: a token that passes every check is accepted', () => {
  it('ES384, key from the clients file: 200, and the hook log names the issuer', async () => {
    const res = await call(await signCdsJwt(a, AUD));
    assert.equal(res.status, 200);
    assert.ok(logs.some((l) => l.includes('"hook answered"') && l.includes(`"iss":"${a.iss}"`)));
  });

  it('RS384, key fetched from the client\'s jwksUrl and cached for later calls', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call(await signCdsJwt(b, AUD))).status, 200);
    assert.equal(jwks.fetchCount('/b/jwks.json'), 1, 'fetched once, then cached');
  });

  it('a jku on the issuer\'s allow-list is fetched and its keys used', async () => {
    const res = await call(await signCdsJwt(c, AUD, { header: { jku: jwks.url('/c/jwks.json') } }));
    assert.equal(res.status, 200);
  });

  it('a rotated key (new kid at the jku) is found by fetching the key set again', async () => {
    const rotated = await makeSigner('ES384', c.iss, 'c-2');
    jwks.publish('/c/jwks.json', jwksOf(c, rotated));
    const before = jwks.fetchCount('/c/jwks.json');
    const res = await call(await signCdsJwt(rotated, AUD, { header: { jku: jwks.url('/c/jwks.json') } }));
    assert.equal(res.status, 200);
    assert.equal(jwks.fetchCount('/c/jwks.json'), before + 1);
  });

  it('aud may be an array that holds the endpoint URL', async () => {
    assert.equal((await call(await signCdsJwt(a, ['https://other.example.org/x', AUD]))).status, 200);
  });

  it('aud with a trailing slash is the same endpoint', async () => {
    assert.equal((await call(await signCdsJwt(a, `${AUD}/`))).status, 200);
  });

  it('without PUBLIC_BASE_URL the audience is the request\'s own scheme, host and path', async () => {
    const { app: derived } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path });
    const token = await signCdsJwt(a, `http://cds.internal:8080${HOOK_PATH}`);
    const res = await request(derived).post(HOOK_PATH).set('Host', 'cds.internal:8080').set(bearer(token)).send(buildHookRequest());
    assert.equal(res.status, 200);
  });

  it('a client bound to a tenant is accepted for that tenant', async () => {
    assert.equal((await call(await signCdsJwt(t, AUD, { claims: { tenant: 'hospital-1' } }))).status, 200);
  });

  it('a token clock-skewed by less than JWT_CLOCK_SKEW_SECONDS is accepted', async () => {
    assert.equal((await call(await signCdsJwt(a, AUD, { iat: now() + 30 }))).status, 200);
  });
});

describe('Trusting CDS Clients: every failure is a 401 naming its category', () => {
  it('no token: missing', async () => {
    assertRefused(await call(undefined), 'missing', /send Authorization: Bearer/);
  });

  it('another scheme than Bearer: malformed', async () => {
    assertRefused(await postHook(app, ORDER_SIGN, buildHookRequest(), { Authorization: 'Basic dXNlcjpwYXNz' }), 'malformed', /must be "Bearer "/);
  });

  it('a bearer token that is not a JWT: malformed', async () => {
    assertRefused(await call('not-a-jwt'), 'malformed', /not a compact JWS/);
  });

  it('a bad signature (signed by another key under a trusted kid): untrusted', async () => {
    const token = await signCdsJwt(stranger, AUD, { iss: a.iss });
    assertRefused(await call(token), 'untrusted', /signature does not verify/, token);
  });

  it('a tampered payload: untrusted', async () => {
    const [h, , s] = (await signCdsJwt(a, AUD)).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: a.iss, aud: AUD, iat: now(), exp: now() + 300, jti: 'forged' })).toString('base64url');
    assertRefused(await call(`${h}.${forged}.${s}`), 'untrusted', /signature does not verify/);
  });

  it('the wrong aud (another endpoint): untrusted, and the answer says which aud is expected', async () => {
    const token = await signCdsJwt(a, audienceFor('/cds-services/order-select-crd'));
    const res = await call(token);
    assertRefused(res, 'untrusted', /aud does not name the endpoint/, token);
    assert.ok(res.body.issue[0].details.text.includes(`expected ${AUD}`));
  });

  it('an aud that is not a URL at all: untrusted', async () => {
    assertRefused(await call(await signCdsJwt(a, 'sand_man')), 'untrusted', /aud does not name the endpoint/);
  });

  it('an expired token: expired', async () => {
    const token = await signCdsJwt(a, AUD, { iat: now() - 900, exp: now() - 600 });
    assertRefused(await call(token), 'expired', /exp has passed/, token);
  });

  it('a token issued longer ago than JWT_MAX_AGE_SECONDS: expired', async () => {
    assertRefused(await call(await signCdsJwt(a, AUD, { iat: now() - 7200, exp: now() + 600 })), 'expired', /iat is further in the past/);
  });

  it('iat in the future beyond the clock skew: untrusted', async () => {
    const token = await signCdsJwt(a, AUD, { iat: now() + 600, exp: now() + 900 });
    assertRefused(await call(token), 'untrusted', /iat is in the future/, token);
  });

  it('a replayed jti: the first call is accepted, the replay refused as replayed', async () => {
    const token = await signCdsJwt(a, AUD);
    assert.equal((await call(token)).status, 200);
    assertRefused(await call(token), 'replayed', /jti has been seen before/, token);
  });

  it('the same jti from another issuer is not a replay', async () => {
    const jti = 'shared-nonce-1';
    assert.equal((await call(await signCdsJwt(a, AUD, { jti }))).status, 200);
    assert.equal((await call(await signCdsJwt(t, AUD, { jti, claims: { tenant: 'hospital-1' } }))).status, 200);
  });

  it('an unknown iss: untrusted', async () => {
    const token = await signCdsJwt(stranger, AUD);
    assertRefused(await call(token), 'untrusted', /issuer is not a trusted CDS client/, token);
  });

  it('a jku not on the issuer\'s allow-list: untrusted, and the URL is never fetched', async () => {
    const token = await signCdsJwt(stranger, AUD, { iss: a.iss, header: { jku: jwks.url('/evil/jwks.json') } });
    assertRefused(await call(token), 'untrusted', /jku is not on this issuer's allow-list/, token);
    const token2 = await signCdsJwt(stranger, AUD, { iss: c.iss, header: { jku: jwks.url('/evil/jwks.json') } });
    assertRefused(await call(token2), 'untrusted', /jku is not on this issuer's allow-list/, token2);
    assert.equal(jwks.fetchCount('/evil/jwks.json'), 0);
  });

  it('alg none: untrusted', async () => {
    const token = unsignedJwt(a, AUD);
    assertRefused(await call(token), 'untrusted', /signing algorithm is not accepted/, token);
  });

  it('HS256 signed with the client\'s public key as the secret: untrusted', async () => {
    const token = hs256WithPublicKey(a, AUD);
    assertRefused(await call(token), 'untrusted', /signing algorithm is not accepted/, token);
  });

  it('HS256 is refused even when JWT_ALGORITHMS would name it: the setting takes asymmetric algorithms only', () => {
    assert.throws(() => createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, JWT_ALGORITHMS: 'ES384,HS256' }), /asymmetric algorithms only/);
  });

  it('an algorithm outside JWT_ALGORITHMS (ES256): untrusted', async () => {
    const { app: strict } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, JWT_ALGORITHMS: 'RS384' });
    const token = await signCdsJwt(a, AUD);
    assertRefused(await postHook(strict, ORDER_SIGN, buildHookRequest(), bearer(token)), 'untrusted', /signing algorithm is not accepted \(accepted: RS384\)/, token);
  });

  it('an unknown kid (key from the clients file): untrusted', async () => {
    const other = await makeSigner('ES384', a.iss, 'a-unknown');
    const token = await signCdsJwt(other, AUD);
    assertRefused(await call(token), 'untrusted', /no key of its issuer has its kid/, token);
  });

  it('an unknown kid (key from jwksUrl): the key set is fetched again, then untrusted', async () => {
    const other = await makeSigner('RS384', b.iss, 'b-unknown');
    const before = jwks.fetchCount('/b/jwks.json');
    assertRefused(await call(await signCdsJwt(other, AUD)), 'untrusted', /no key of its issuer has its kid/);
    assert.equal(jwks.fetchCount('/b/jwks.json'), before + 1);
  });

  it('no kid in the header: malformed', async () => {
    assertRefused(await call(await signCdsJwt(a, AUD, { header: { kid: undefined } })), 'malformed', /has no kid/);
  });

  it('typ other than JWT: malformed', async () => {
    assertRefused(await call(await signCdsJwt(a, AUD, { header: { typ: 'at+jwt' } })), 'malformed', /typ must be JWT/);
  });

  for (const claim of ['jti', 'exp', 'iat', 'aud']) {
    it(`no ${claim} claim: malformed`, async () => {
      assertRefused(await call(await signCdsJwt(a, AUD, { omit: [claim] })), 'malformed', new RegExp(`its ${claim} claim is missing`));
    });
  }

  it('sub is not required (it is not a CDS Hooks claim)', async () => {
    assert.equal((await call(await signCdsJwt(a, AUD, { omit: ['sub'] }))).status, 200);
  });

  it('a tenant the client may not act for: untrusted', async () => {
    assertRefused(await call(await signCdsJwt(t, AUD, { claims: { tenant: 'hospital-2' } })), 'untrusted', /tenant is not one this issuer may act for/);
    assertRefused(await call(await signCdsJwt(t, AUD)), 'untrusted', /tenant is not one this issuer may act for/);
  });

  it('keys that cannot be fetched (JWKS server down): untrusted, and the log says why', async () => {
    const down = await makeSigner('ES384', 'https://ehr-down.example.org', 'd-1');
    const file = writeClientsFile([{ iss: down.iss, jwksUrl: 'http://127.0.0.1:9/jwks.json' }]);
    try {
      const { app: appDown, logs: downLogs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, JWKS_TIMEOUT_MS: '1000' });
      assertRefused(await postHook(appDown, ORDER_SIGN, buildHookRequest(), bearer(await signCdsJwt(down, AUD))), 'untrusted', /keys could not be fetched/);
      assert.ok(downLogs.some((l) => l.includes('"check":"jwks-fetch"') && l.includes('http://127.0.0.1:9/jwks.json')));
    } finally {
      file.remove();
    }
  });

  it('every refusal is logged with its category and the claimed issuer, never the token', async () => {
    const token = await signCdsJwt(stranger, AUD);
    await call(token);
    const line = logs.find((l) => l.includes('"event":"auth-refused"') && l.includes(stranger.iss));
    assert.ok(line);
    assert.match(line, /"category":"untrusted"/);
    assert.ok(!line.includes(token.split('.')[2]!));
  });
});

describe('Which calls must authenticate', () => {
  it('discovery stays open', async () => {
    const res = await request(app).get('/cds-services');
    assert.equal(res.status, 200);
  });

  it('feedback without a token is refused before routing', async () => {
    assertRefused(await request(app).post(`${HOOK_PATH}/feedback`).send({ feedback: [] }), 'missing', /Bearer/);
  });

  it('coverage look-up without a token is refused before routing', async () => {
    assertRefused(await request(app).get('/coverage-assertions/some-id'), 'missing', /Bearer/);
  });

  it('an unknown service without a token is refused (no service list for strangers)', async () => {
    assertRefused(await request(app).post('/cds-services/nope').send({}), 'missing', /Bearer/);
  });

  it('the body of a refused call is not read: an oversized body still gets 401, not 413', async () => {
    const { app: small } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, BODY_LIMIT: '1kb' });
    const res = await request(small).post(HOOK_PATH).set('Content-Type', 'application/json').send(JSON.stringify({ x: 'y'.repeat(5000) }));
    assertRefused(res, 'missing', /Bearer/);
  });
});

describe('Open development mode (no CDS_CLIENTS_FILE)', () => {
  it('calls are accepted without a token and logged as open-development-mode', async () => {
    const { app: open, logs: openLogs } = createTestApp();
    const res = await postHook(open, ORDER_SIGN, buildHookRequest());
    assert.equal(res.status, 200);
    assert.ok(openLogs.some((l) => l.includes('"iss":"open-development-mode"')));
  });
});
