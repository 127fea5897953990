import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { buildQuestionnairePackageRequest } from '../support/dtr-requests.js';
import { buildPasRequestBundle } from '../support/pas-requests.js';
import { csrfOf, REVIEWER, reviewersFile } from '../support/reviewers.js';
import { createTestApp } from '../support/test-app.js';

/** The app over a store that has stopped working (closed), as when the database is down. */
async function appOverFailedStore(env: Record<string, string> = {}) {
  const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
  const test = createTestApp(env, { store });
  await store.close();
  return test;
}

function assertTransient(res: request.Response, what: string): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.equal(res.headers['retry-after'], '5', `${what}: Retry-After`);
  assert.equal(res.body.resourceType, 'OperationOutcome', what);
  assert.equal(res.body.issue[0].code, 'transient', what);
  assert.match(res.body.issue[0].details.text, /unavailable\. Try again shortly/, what);
}

describe('A store that fails: the FHIR API answers 503, try again, never an unexplained 500', () => {
  it('Claim/$submit: the request cannot be stored, so it is not decided (503)', async () => {
    const { app, logs } = await appOverFailedStore();
    const res = await request(app).post('/fhir/Claim/$submit').set('content-type', 'application/fhir+json').send(buildPasRequestBundle());
    assertTransient(res, '$submit');
    assert.ok(logs.some((l) => l.includes('"event":"store-unavailable"') && l.includes('pa-requests.')), 'the failure is logged with the operation');
  });

  it('Claim/$inquire: the earlier requests cannot be read (503)', async () => {
    const { app } = await appOverFailedStore();
    const res = await request(app).post('/fhir/Claim/$inquire').set('content-type', 'application/fhir+json').send(buildPasRequestBundle());
    assertTransient(res, '$inquire');
  });

  it('$questionnaire-package for a coverage-assertion-id: the assertion cannot be looked up (503)', async () => {
    const { app } = await appOverFailedStore();
    const res = await request(app).post('/fhir/Questionnaire/$questionnaire-package').set('content-type', 'application/fhir+json').send(buildQuestionnairePackageRequest({ context: 'a'.repeat(64), order: [] }));
    assertTransient(res, '$questionnaire-package');
  });

  it('the reviewer\'s sign-in: the session cannot be written (503)', async () => {
    const { app } = await appOverFailedStore({ REVIEWERS_FILE: await reviewersFile() });
    const agent = request.agent(app);
    const login = await agent.get('/review/login');
    assert.equal(login.status, 200, 'the sign-in page needs no store');
    const res = await agent.post('/review/login').type('form').send({ _csrf: csrfOf(login.text), username: REVIEWER.username, password: REVIEWER.password });
    assert.equal(res.status, 503, `sign-in: ${res.status} ${res.text.slice(0, 300)}`);
  });
});
