import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { pasRequestFor } from '../support/pas-flow.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { REVIEWER, reviewersFile, signInByHand } from '../support/reviewers.js';
import { createTestApp } from '../support/test-app.js';

/**
 * Two ways in, kept apart: CDS clients (EHRs) present JWTs to the hooks, the
 * look-up and /fhir; people sign in to /review with a password and a cookie.
 * A token never opens the reviewer's page, and a reviewer's cookie never
 * calls a hook or the FHIR API.
 */
let app: Express;
let ehr: TestSigner;
let clients: { path: string; remove: () => void };
let reviewer: { cookie: string; csrf: string };

before(async () => {
  ehr = await makeSigner('ES384', 'https://ehr-a.example.org', 'a-es384');
  clients = writeClientsFile([{ iss: ehr.iss, jwks: jwksOf(ehr), fhirServers: [] }]);
  ({ app } = createTestApp({ CDS_CLIENTS_FILE: clients.path, PUBLIC_BASE_URL, REVIEWERS_FILE: await reviewersFile() }));
  reviewer = await signInByHand(app, REVIEWER);
});

after(() => clients?.remove());

const hookPath = `/cds-services/${ORDER_SIGN}`;

describe("A CDS client's JWT never opens the reviewer's page", () => {
  it('a valid hook token on GET /review: sent to sign in, as anyone without a session', async () => {
    const token = await signCdsJwt(ehr, audienceFor(hookPath));
    assert.equal((await request(app).post(hookPath).set(bearer(token)).send(buildHookRequest({ record: eligibleMantleCellRecord() }))).status, 200, 'the token is good for the hook');
    const page = await request(app).get('/review').set(bearer(await signCdsJwt(ehr, audienceFor('/review'))));
    assert.equal(page.status, 303);
    assert.equal(page.headers['location'], '/review/login');
  });

  it('a token on a decision post: 401, nothing decided', async () => {
    const res = await request(app)
      .post('/review/requests/00000000-0000-4000-8000-000000000000/decision')
      .set(bearer(await signCdsJwt(ehr, audienceFor('/review/requests/00000000-0000-4000-8000-000000000000/decision'))))
      .type('form')
      .send({ action: 'approve', note: 'x' });
    assert.equal(res.status, 401);
  });
});

describe("A reviewer's session cookie never calls the hooks, the look-up or /fhir", () => {
  it('POST /cds-services/order-sign-crd with the cookie and no token: 401, as without it', async () => {
    const res = await request(app).post(hookPath).set('Cookie', reviewer.cookie).send(buildHookRequest({ record: eligibleMantleCellRecord() }));
    assert.equal(res.status, 401);
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
  });

  it('feedback and the coverage look-up with the cookie: 401', async () => {
    assert.equal((await request(app).post(`${hookPath}/feedback`).set('Cookie', reviewer.cookie).send({ feedback: [] })).status, 401);
    assert.equal((await request(app).get('/coverage-assertions/abc').set('Cookie', reviewer.cookie)).status, 401);
  });

  it('/fhir answers the same with the cookie as without it (the cookie is not read there)', async () => {
    for (const call of [
      () => request(app).post('/fhir/Claim/$inquire').set('content-type', 'application/fhir+json').send(pasRequestFor(undefined, undefined)),
      () => request(app).post('/fhir/Claim/$submit').set('content-type', 'application/fhir+json').send({ resourceType: 'Bundle' }),
    ]) {
      const without = await call();
      const withCookie = await call().set('Cookie', reviewer.cookie);
      assert.equal(withCookie.status, without.status);
      assert.deepEqual(withCookie.body, without.body);
    }
  });
});
