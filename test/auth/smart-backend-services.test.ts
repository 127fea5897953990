import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { accessTokenSha256 } from '../../src/store/access-token-store.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { isOperationOutcome } from '../support/cds-conformance.js';
import { audienceFor, bearer, hs256WithPublicKey, JwksServer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildQuestionnairePackageRequest } from '../support/dtr-requests.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { accessTokenFor, CLIENT_ASSERTION_TYPE, postTokenRequest, signClientAssertion, TOKEN_URL, tokenForm } from '../support/smart-clients.js';
import { createTestApp, postHook } from '../support/test-app.js';

const now = () => Math.floor(Date.now() / 1000);
const PACKAGE = '/fhir/Questionnaire/$questionnaire-package';
const QUESTIONNAIRE = '/fhir/Questionnaire/carepartners-ct-tecartus-prior-authorization';

let jwks: JwksServer;
let clientsFile: { path: string; remove: () => void };
let app: Express;
let logs: string[];
let store: DecisionStore;
/** EHR A: an ES384 key given in the clients file. */
let a: TestSigner;
/** EHR B: an RS384 key published at its jwksUrl. */
let b: TestSigner;
/** A key nobody trusts, with A's kid. */
let stranger: TestSigner;

before(async () => {
  a = await makeSigner('ES384', 'https://ehr-a.example.org', 'a-es384');
  b = await makeSigner('RS384', 'https://ehr-b.example.org', 'b-rs384');
  stranger = await makeSigner('ES384', 'https://attacker.example.net', 'a-es384');
  jwks = await new JwksServer().start();
  clientsFile = writeClientsFile([
    { iss: a.iss, name: 'EHR A', jwks: jwksOf(a) },
    { iss: b.iss, jwksUrl: jwks.publish('/b/jwks.json', jwksOf(b)) },
  ]);
  ({ app, logs, store } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL }));
});

after(async () => {
  await jwks.close();
  clientsFile.remove();
});

/**
 * An OAuth error answer (RFC 6749 section 5.2): the status, `error`, a
 * description saying why (`because`), never cached, and the assertion echoed
 * nowhere, neither in the answer nor in the logs.
 */
function assertOAuthError(res: request.Response, status: number, error: string, because: RegExp, assertion?: string): void {
  assert.equal(res.status, status, `expected ${status} ${error}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(res.body.error, error);
  assert.match(res.body.error_description, because);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.body.resourceType, undefined, 'OAuth JSON, not an OperationOutcome');
  if (assertion) {
    for (const part of assertion.split('.').filter((p) => p.length > 8)) {
      assert.ok(!res.text.includes(part), 'the answer must not echo the assertion');
      assert.ok(!logs.some((l) => l.includes(part)), 'the logs must not carry the assertion');
    }
  }
}

/** 401 invalid_token (RFC 6750 section 3.1) with an OperationOutcome. */
function assertInvalidToken(res: request.Response, reason: string): void {
  assert.equal(res.status, 401, res.text.slice(0, 300));
  assert.match(res.headers['www-authenticate'] ?? '', new RegExp(`^Bearer error="invalid_token", error_description="${reason}: `));
  assert.ok(isOperationOutcome(res.body));
  assert.match(res.body.issue[0].details.text, new RegExp(`^Authentication failed \\(${reason}\\)`));
}

/** 403 insufficient_scope with an OperationOutcome naming the scope needed (none when nothing grants the call). */
function assertInsufficientScope(res: request.Response, scope: string | undefined): void {
  assert.equal(res.status, 403, res.text.slice(0, 300));
  assert.ok(isOperationOutcome(res.body));
  assert.equal(res.body.issue[0].code, 'forbidden');
  const challenge = res.headers['www-authenticate'] ?? '';
  if (scope === undefined) {
    assert.equal(challenge, 'Bearer error="insufficient_scope"');
    assert.match(res.body.issue[0].details.text, /no scope this FHIR API offers grants/);
  } else {
    assert.equal(challenge, `Bearer error="insufficient_scope", scope="${scope}"`);
    assert.ok(res.body.issue[0].details.text.includes(`needs the scope ${scope}`));
  }
}

describe('SMART discovery: .well-known/smart-configuration', () => {
  for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
    it(`GET ${path}, without a token: the token endpoint, client_credentials, private_key_jwt with the accepted algorithms, the scopes offered`, async () => {
      const res = await request(app).get(path).set('Accept', 'text/html');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/, 'SMART: JSON whatever the Accept header says');
      assert.deepEqual(res.body, {
        token_endpoint: TOKEN_URL,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['ES384', 'RS384'],
        scopes_supported: [
          'system/Questionnaire.rs',
          'system/Library.rs',
          'system/ValueSet.rs',
          'system/QuestionnaireResponse.rs',
          'system/Claim.c',
          'system/Claim.rs',
          'system/Subscription.cruds',
        ],
        capabilities: ['client-confidential-asymmetric'],
      });
    });
  }

  it('without PUBLIC_BASE_URL the token endpoint is on the request\'s own scheme and host; the algorithms follow JWT_ALGORITHMS', async () => {
    const { app: derived } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, JWT_ALGORITHMS: 'RS384' });
    const res = await request(derived).get('/fhir/.well-known/smart-configuration').set('Host', 'payer.internal:8080');
    assert.equal(res.body.token_endpoint, 'http://payer.internal:8080/auth/token');
    assert.deepEqual(res.body.token_endpoint_auth_signing_alg_values_supported, ['RS384']);
  });
});

describe('The token endpoint: a client assertion that passes every check gets an access token', () => {
  it('ES384, key from the clients file: bearer token, expires_in 300, the scope granted, Cache-Control no-store; only its SHA-256 is stored', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), 'system/Questionnaire.rs system/ValueSet.rs'));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(res.body.token_type, 'bearer');
    assert.equal(res.body.expires_in, 300);
    assert.equal(res.body.scope, 'system/Questionnaire.rs system/ValueSet.rs');
    const token = res.body.access_token as string;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, 'an opaque random token (256 bits), not a JWT');
    const stored = await store.accessTokens().find(accessTokenSha256(token));
    assert.equal(stored?.clientIss, a.iss);
    assert.deepEqual(stored?.scopes, ['system/Questionnaire.rs', 'system/ValueSet.rs']);
    assert.equal(stored!.expiresAt.getTime() - stored!.issuedAt.getTime(), 300_000);
    assert.equal(await store.accessTokens().find(token), undefined, 'the token itself is not a key of the table');
    assert.ok(!logs.some((l) => l.includes(token)), 'the logs must not carry the access token');
  });

  it('RS384, key fetched from the client\'s jwksUrl: the same registration as its CDS Hooks calls', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(b)));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.scope, 'system/Questionnaire.rs');
  });

  it('ACCESS_TOKEN_TTL_SECONDS sets expires_in', async () => {
    const { app: shortLived } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, ACCESS_TOKEN_TTL_SECONDS: '60' });
    const res = await postTokenRequest(shortLived, tokenForm(await signClientAssertion(a)));
    assert.equal(res.body.expires_in, 60);
  });

  it('client_id, when sent, is the assertion\'s issuer (RFC 7523)', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), 'system/Questionnaire.rs', { client_id: a.iss }));
    assert.equal(res.status, 200, res.text);
  });

  it('aud may name the token URL with a trailing slash', async () => {
    assert.equal((await postTokenRequest(app, tokenForm(await signClientAssertion(a, { aud: `${TOKEN_URL}/` })))).status, 200);
  });

  it('a jti used for a CDS Hooks call is not a replay of a client assertion (their replay keys are kept apart)', async () => {
    const jti = 'shared-jti-1';
    const hook = await postHook(app, ORDER_SIGN, buildHookRequest(), bearer(await signCdsJwt(a, audienceFor(`/cds-services/${ORDER_SIGN}`), { jti })));
    assert.equal(hook.status, 200);
    assert.equal((await postTokenRequest(app, tokenForm(await signClientAssertion(a, { jti })))).status, 200);
  });
});

describe('Scopes: SMART v2 system scopes, the v1 forms and wildcards narrowed to what is offered', () => {
  for (const [asked, granted] of [
    ['system/Questionnaire.read', 'system/Questionnaire.rs'],
    ['system/Questionnaire.r', 'system/Questionnaire.r'],
    ['system/*.rs', 'system/Questionnaire.rs system/Library.rs system/ValueSet.rs system/QuestionnaireResponse.rs system/Claim.rs system/Subscription.rs'],
    ['system/*.read', 'system/Questionnaire.rs system/Library.rs system/ValueSet.rs system/QuestionnaireResponse.rs system/Claim.rs system/Subscription.rs'],
    ['system/Claim.c system/Claim.rs', 'system/Claim.crs'],
    ['system/Claim.*', 'system/Claim.crs'],
    ['system/Subscription.write', 'system/Subscription.cud'],
    ['system/*.cruds', 'system/Questionnaire.rs system/Library.rs system/ValueSet.rs system/QuestionnaireResponse.rs system/Claim.crs system/Subscription.cruds'],
  ]) {
    it(`${asked} is granted as ${granted}`, async () => {
      const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), asked));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.scope, granted);
    });
  }

  for (const [asked, because] of [
    ['system/Patient.rs', /offers no access to Patient/],
    ['system/Questionnaire.cruds', /Questionnaire is offered with rs only/],
    ['system/Questionnaire.write', /Questionnaire is offered with rs only/],
    ['patient/Questionnaire.rs', /only system\/ scopes/],
    ['openid fhirUser', /only system\/ scopes/],
    ['system/Questionnaire.rs?url=x', /only system\/ scopes/],
    ['system/Questionnaire.rs system/Observation.read', /Observation/],
  ] as const) {
    it(`${asked}: 400 invalid_scope, no token`, async () => {
      const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), asked));
      assertOAuthError(res, 400, 'invalid_scope', because);
    });
  }

  it('no scope: 400 invalid_scope (RFC 6749 section 3.3; SMART requires one)', async () => {
    const form = tokenForm(await signClientAssertion(a));
    delete form['scope'];
    assertOAuthError(await postTokenRequest(app, form), 400, 'invalid_scope', /scope is required/);
  });
});

describe('The token endpoint: every assertion failure is 401 invalid_client', () => {
  it('bad signature: signed by another key with the client\'s kid', async () => {
    const assertion = await signClientAssertion(stranger, { iss: a.iss, claims: { sub: a.iss } });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /signature does not verify/, assertion);
  });

  it('wrong aud: the FHIR base instead of the token URL', async () => {
    const assertion = await signClientAssertion(a, { aud: `${PUBLIC_BASE_URL}/fhir` });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', new RegExp(`aud does not name the endpoint called \\(expected ${TOKEN_URL}\\)`), assertion);
  });

  it('sub is not iss', async () => {
    const assertion = await signClientAssertion(a, { claims: { sub: 'someone-else' } });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /sub must equal its iss/, assertion);
  });

  it('no sub', async () => {
    const assertion = await signClientAssertion(a, { omit: ['sub'] });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /sub claim is missing/, assertion);
  });

  it('expired: exp has passed', async () => {
    const assertion = await signClientAssertion(a, { iat: now() - 600, exp: now() - 120 });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /\(expired\): its exp has passed/, assertion);
  });

  it('exp more than five minutes ahead (SMART)', async () => {
    const assertion = await signClientAssertion(a, { exp: now() + 600 });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /exp is more than 300 seconds ahead/, assertion);
  });

  it('iat in the future', async () => {
    const assertion = await signClientAssertion(a, { iat: now() + 200, exp: now() + 250 });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /iat is in the future/, assertion);
  });

  it('no jti', async () => {
    const assertion = await signClientAssertion(a, { omit: ['jti'] });
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /jti claim is missing/, assertion);
  });

  it('replayed jti: the same assertion twice', async () => {
    const assertion = await signClientAssertion(a);
    assert.equal((await postTokenRequest(app, tokenForm(assertion))).status, 200);
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /\(replayed\): its jti has been seen before/, assertion);
  });

  it('unknown client: an issuer not in the clients file', async () => {
    const assertion = await signClientAssertion(stranger);
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /issuer is not a trusted CDS client/, assertion);
    const line = logs.find((l) => l.includes('"event":"token-refused"') && l.includes(stranger.iss));
    assert.ok(line, 'the refusal is logged with the issuer it claimed');
  });

  it('an algorithm not accepted: HS256 with the client\'s public key as the secret', async () => {
    const assertion = hs256WithPublicKey(a, TOKEN_URL);
    assertOAuthError(await postTokenRequest(app, tokenForm(assertion)), 401, 'invalid_client', /signing algorithm is not accepted/, assertion);
  });

  it('not a JWT at all', async () => {
    assertOAuthError(await postTokenRequest(app, tokenForm('not-a-jwt')), 401, 'invalid_client', /not a compact JWS/);
  });

  it('client_id other than the assertion\'s issuer', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), 'system/Questionnaire.rs', { client_id: b.iss }));
    assertOAuthError(res, 401, 'invalid_client', /client_id is not the issuer/);
  });

  it('no client_assertion ("no client authentication included")', async () => {
    const form = tokenForm('x');
    delete form['client_assertion'];
    assertOAuthError(await postTokenRequest(app, form), 401, 'invalid_client', /client_assertion is required/);
  });

  it('another client_assertion_type ("unsupported authentication method")', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), 'system/Questionnaire.rs', { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }));
    assertOAuthError(res, 401, 'invalid_client', new RegExp(`client_assertion_type=${CLIENT_ASSERTION_TYPE}`));
  });
});

describe('The token endpoint: a malformed request is 400', () => {
  it('another grant type: unsupported_grant_type', async () => {
    const res = await postTokenRequest(app, tokenForm(await signClientAssertion(a), 'system/Questionnaire.rs', { grant_type: 'authorization_code' }));
    assertOAuthError(res, 400, 'unsupported_grant_type', /client_credentials only/);
  });

  it('no grant_type: invalid_request', async () => {
    const form = tokenForm(await signClientAssertion(a));
    delete form['grant_type'];
    assertOAuthError(await postTokenRequest(app, form), 400, 'invalid_request', /grant_type is required/);
  });

  it('a parameter given twice: invalid_request (RFC 6749 section 3.2)', async () => {
    const body = new URLSearchParams([...Object.entries(tokenForm(await signClientAssertion(a))), ['scope', 'system/Library.rs']]).toString();
    assertOAuthError(await request(app).post('/auth/token').type('form').send(body), 400, 'invalid_request', /scope is given more than once/);
  });

  it('a JSON body instead of a form: invalid_request', async () => {
    const res = await request(app).post('/auth/token').send(tokenForm(await signClientAssertion(a)));
    assertOAuthError(res, 400, 'invalid_request', /application\/x-www-form-urlencoded/);
  });

  it('a form over 64 kB: invalid_request, not a 413 OperationOutcome', async () => {
    const res = await postTokenRequest(app, tokenForm('x', 'system/Questionnaire.rs', { padding: 'y'.repeat(70_000) }));
    assertOAuthError(res, 400, 'invalid_request', /could not be read/);
  });
});

describe('The token endpoint: when it cannot check for replay', () => {
  it('a replay store that is down: 503 temporarily_unavailable with Retry-After, no token (it fails closed)', async () => {
    const down = { kind: 'broken', firstUse: async () => Promise.reject(new Error('connection refused')), close: async () => undefined };
    const { app: failing } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL }, { replayStore: down });
    const res = await postTokenRequest(failing, tokenForm(await signClientAssertion(a)));
    assertOAuthError(res, 503, 'temporarily_unavailable', /cannot check tokens for replay/);
    assert.match(res.headers['retry-after'] ?? '', /^\d+$/);
  });
});

describe('The token endpoint: the per-client rate limit', () => {
  it('beyond RATE_LIMIT_PER_MINUTE token requests from one client: 429 temporarily_unavailable with Retry-After', async () => {
    const { app: limited } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, RATE_LIMIT_PER_MINUTE: '2' });
    for (let i = 0; i < 2; i++) assert.equal((await postTokenRequest(limited, tokenForm(await signClientAssertion(a)))).status, 200);
    const res = await postTokenRequest(limited, tokenForm(await signClientAssertion(a)));
    assertOAuthError(res, 429, 'temporarily_unavailable', /Too many calls from this client/);
    assert.match(res.headers['retry-after'] ?? '', /^\d+$/);
    assert.equal((await postTokenRequest(limited, tokenForm(await signClientAssertion(b)))).status, 200, 'another client has its own count');
  });
});

describe('The FHIR API needs an access token', () => {
  it('GET /fhir/metadata needs none', async () => {
    const res = await request(app).get('/fhir/metadata');
    assert.equal(res.status, 200);
    assert.equal(res.body.resourceType, 'CapabilityStatement');
  });

  it('no token: 401 invalid_token with an OperationOutcome, before the body is read', async () => {
    assertInvalidToken(await request(app).get(QUESTIONNAIRE), 'missing');
    const { app: small } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, BODY_LIMIT: '1kb' });
    const big = await request(small).post(PACKAGE).set('content-type', 'application/fhir+json').send(JSON.stringify({ x: 'y'.repeat(5000) }));
    assertInvalidToken(big, 'missing');
  });

  it('not a bearer token: 401 malformed', async () => {
    assertInvalidToken(await request(app).get(QUESTIONNAIRE).set('Authorization', 'Basic dXNlcjpwYXNz'), 'malformed');
  });

  it('a token this service did not issue (a CDS Hooks JWT, a made-up string): 401 unknown', async () => {
    assertInvalidToken(await request(app).get(QUESTIONNAIRE).set(bearer(await signCdsJwt(a, `${PUBLIC_BASE_URL}${QUESTIONNAIRE}`))), 'unknown');
    assertInvalidToken(await request(app).get(QUESTIONNAIRE).set(bearer('made-up-token')), 'unknown');
  });

  it('an expired token: 401 expired', async () => {
    let offsetMs = 0;
    const { app: clocked } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL }, { now: () => new Date(Date.now() + offsetMs) });
    const token = await accessTokenFor(clocked, a);
    assert.equal((await request(clocked).get(QUESTIONNAIRE).set(bearer(token))).status, 200);
    offsetMs = 301_000;
    assertInvalidToken(await request(clocked).get(QUESTIONNAIRE).set(bearer(token)), 'expired');
  });

  it('a token without the scope the call needs: 403 insufficient_scope naming it', async () => {
    const token = await accessTokenFor(app, a, 'system/ValueSet.rs');
    assertInsufficientScope(await request(app).post(PACKAGE).set(bearer(token)).send(buildQuestionnairePackageRequest({ context: 'x' })), 'system/Questionnaire.r');
    assertInsufficientScope(await request(app).get('/fhir/Questionnaire?url=x').set(bearer(token)), 'system/Questionnaire.s');
    assertInsufficientScope(await request(app).get('/fhir/Library/TecartusPriorAuth').set(bearer(token)), 'system/Library.r');
    assert.equal((await request(app).get('/fhir/ValueSet/$expand?url=x').set(bearer(token))).status, 404, 'ValueSet.r lets $expand through (to its own 404)');
  });

  it('a call no scope grants (another resource type, another interaction): 403, whatever the token holds', async () => {
    const token = await accessTokenFor(app, a, 'system/*.cruds');
    assertInsufficientScope(await request(app).get('/fhir/Patient/123').set(bearer(token)), undefined);
    assertInsufficientScope(await request(app).delete('/fhir/Questionnaire/carepartners-ct-tecartus-prior-authorization').set(bearer(token)), undefined);
    assertInsufficientScope(await request(app).post('/fhir/Questionnaire').set(bearer(token)).send({}), undefined);
  });

  it('a token opens $questionnaire-package: the package for the order-sign call\'s assertion id', async () => {
    const hook = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord() }), bearer(await signCdsJwt(a, audienceFor(`/cds-services/${ORDER_SIGN}`))));
    const assertionId = coverageInformationFor(hook.body, 'MedicationRequest/tecartus-order-1')!.assertionId;
    const token = await accessTokenFor(app, a, 'system/Questionnaire.rs');
    const res = await request(app).post(PACKAGE).set(bearer(token)).set('content-type', 'application/fhir+json').send(buildQuestionnairePackageRequest({ context: assertionId }));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.body.resourceType, 'Parameters');
    assert.ok(res.body.parameter.some((p: { name: string }) => p.name === 'packagebundle'));
    assert.ok(logs.some((l) => l.includes('"event":"questionnaire-package"') && l.includes(`"client":"${a.iss}"`)), 'the route sees the caller');
  });

  it('the routes see the caller: $log-questionnaire-errors records the token\'s client', async () => {
    const token = await accessTokenFor(app, b, 'system/Questionnaire.r');
    const res = await request(app)
      .post('/fhir/Questionnaire/$log-questionnaire-errors')
      .set(bearer(token))
      .send({ resourceType: 'Parameters', parameter: [{ name: 'questionnaire', valueCanonical: 'x' }, { name: 'operationOutcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing' }] } }] });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    const reported = await store.questionnaireErrors().since(new Date(0));
    assert.ok(reported.some((r) => r.clientIss === b.iss));
  });

  it('instances sharing a database accept each other\'s tokens', async () => {
    const { app: other } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL }, { store });
    const token = await accessTokenFor(app, a);
    assert.equal((await request(other).get(QUESTIONNAIRE).set(bearer(token))).status, 200);
  });
});

describe('Open development mode (no CDS_CLIENTS_FILE)', () => {
  it('the FHIR API needs no token, and the token endpoint has no client to issue one to', async () => {
    const { app: open } = createTestApp();
    assert.equal((await request(open).get(QUESTIONNAIRE)).status, 200);
    const res = await postTokenRequest(open, tokenForm(await signClientAssertion(a)));
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.match(res.body.error_description, /open development mode/);
  });
});
