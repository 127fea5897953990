import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { CENSOR, REDACTED_KEYS } from '../../src/logger.js';
import { captureLogger } from '../support/capture-logger.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { buildPatient } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

/** Values that must never reach a log line. */
const FAMILY = 'Zyxwvutson';
const GIVEN = 'Quillonia';
const BIRTH_DATE = '1958-11-23';
const MRN = 'MRN-4417-XQ';
const MEMBER_ID = 'CPCT-88812345';
const ACCESS_TOKEN = 'ya29.fhir-access-token-SECRET-4f1c9e';

const patient = buildPatient({
  name: [{ family: FAMILY, given: [GIVEN] }],
  birthDate: BIRTH_DATE,
  identifier: [
    { system: 'http://hospital.example.org/mrn', value: MRN },
    { system: 'https://carepartnersct.com/member-id', value: MEMBER_ID },
  ],
});
const SECRETS = [FAMILY, GIVEN, BIRTH_DATE, MRN, MEMBER_ID, ACCESS_TOKEN];

function assertClean(logs: readonly string[], jwt?: string): void {
  assert.ok(logs.length > 0, 'the cycle wrote log lines');
  for (const line of logs) {
    for (const secret of SECRETS) assert.ok(!line.includes(secret), `a log line carries "${secret}": ${line}`);
    if (jwt) for (const part of jwt.split('.')) assert.ok(!line.includes(part), `a log line carries part of the JWT: ${line}`);
  }
}

describe('Logs: a full request cycle leaves no token and no patient data in the log', () => {
  let signer: TestSigner;
  let file: { path: string; remove: () => void };
  before(async () => {
    signer = await makeSigner('ES384', 'https://ehr.example.org', 'k1');
    file = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
  });
  after(() => file.remove());

  it('an authenticated order-sign call with fhirAuthorization and a patient in prefetch: logged with its facts, without the secrets', async () => {
    const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, LOG_LEVEL: 'trace' });
    const jwt = await signCdsJwt(signer, audienceFor(`/cds-services/${ORDER_SIGN}`));
    const body = buildHookRequest({ record: eligibleMantleCellRecord({ patient }), fhirServer: 'https://ehr.example.org/fhir', accessToken: ACCESS_TOKEN });
    const res = await postHook(app, ORDER_SIGN, body, bearer(jwt));
    assert.equal(res.status, 200);
    // The request did carry every secret: the test would catch a leak.
    const sent = JSON.stringify(body);
    for (const secret of SECRETS) assert.ok(sent.includes(secret));

    const hookLine = logs.find((l) => l.includes('"hook answered"'));
    assert.ok(hookLine, 'the hook call is logged');
    const entry = JSON.parse(hookLine);
    assert.equal(entry.hookInstance, body['hookInstance']);
    assert.equal(entry.serviceId, ORDER_SIGN);
    assert.equal(entry.iss, signer.iss);
    assert.equal(typeof entry.durationMs, 'number');
    assert.ok(Array.isArray(entry.orders) && entry.orders[0].determination && Array.isArray(entry.orders[0].reasons));
    assertClean(logs, jwt);
  });

  it('refused and failed calls are logged (status, reasons, fields) without the secrets they carried', async () => {
    const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, LOG_LEVEL: 'trace' });
    const aud = audienceFor(`/cds-services/${ORDER_SIGN}`);
    const valid = () => buildHookRequest({ record: eligibleMantleCellRecord({ patient }), fhirServer: 'https://ehr.example.org/fhir', accessToken: ACCESS_TOKEN });

    // 401: a token that is refused (expired), with the patient in the body.
    const expired = await signCdsJwt(signer, aud, { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 600 });
    assert.equal((await postHook(app, ORDER_SIGN, valid(), bearer(expired))).status, 401);
    // 400: the patient's name where the hook's name belongs (the answer quotes it back to the client; the log must not).
    const misnamed = { ...valid(), hook: `${FAMILY} ${GIVEN}` };
    const jwt1 = await signCdsJwt(signer, aud);
    assert.equal((await postHook(app, ORDER_SIGN, misnamed, bearer(jwt1))).status, 400);
    // 400: broken JSON around the patient's data (the parser's message quotes the body).
    const jwt2 = await signCdsJwt(signer, aud);
    const broken = await request(app).post(`/cds-services/${ORDER_SIGN}`).set(bearer(jwt2)).set('Content-Type', 'application/json').send(`{"name":"${FAMILY}","birthDate":"${BIRTH_DATE}","identifier":"${MRN}", oops}`);
    assert.equal(broken.status, 400);
    // 412: prefetch missing and no fhirServer.
    const jwt3 = await signCdsJwt(signer, aud);
    const bare = buildHookRequest({ prefetch: { patient } });
    assert.equal((await postHook(app, ORDER_SIGN, bare, bearer(jwt3))).status, 412);

    const refusals = logs.filter((l) => l.includes('"event":"http"')).map((l) => JSON.parse(l));
    assert.deepEqual(refusals.map((r) => r.status), [401, 400, 400, 412]);
    assert.ok(refusals.every((r) => r.outcome === 'refused' && typeof r.durationMs === 'number' && Array.isArray(r.reasons)));
    assert.equal(refusals[1].iss, signer.iss);
    assert.deepEqual(refusals[1].fields, ['hook']);
    assert.ok(logs.some((l) => l.includes('"event":"auth-refused"') && l.includes('"category":"expired"')));
    assertClean(logs, `${expired}.${jwt1}.${jwt2}.${jwt3}`);
  });

  it('the logger redacts the Authorization header and fhirAuthorization if anything ever logs them', () => {
    const { logger, lines } = captureLogger();
    logger.info({ req: { headers: { authorization: `Bearer ${ACCESS_TOKEN}` } }, request: { fhirAuthorization: { access_token: ACCESS_TOKEN } }, fhirAuthorization: { access_token: ACCESS_TOKEN } }, 'x');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]!.includes(ACCESS_TOKEN), lines[0]);
    assert.match(lines[0]!, /\[REDACTED\]/);
  });

  it('every credential and body key is redacted in the first three levels of a line, and the caller\'s object is left as it was', () => {
    const { logger, lines } = captureLogger();
    for (const key of REDACTED_KEYS) {
      const line = { [key]: ACCESS_TOKEN, a: { [key]: ACCESS_TOKEN, b: { [key]: ACCESS_TOKEN } }, list: [{ [key]: ACCESS_TOKEN }], kept: 'visible' };
      const before = structuredClone(line);
      logger.info(line, 'x');
      assert.deepEqual(line, before, `logging ${key} must not change the caller's object`);
      const written = JSON.parse(lines.at(-1)!);
      assert.ok(!lines.at(-1)!.includes(ACCESS_TOKEN), `${key} reached the log: ${lines.at(-1)}`);
      assert.equal(written[key], CENSOR);
      assert.equal(written.a.b[key], CENSOR);
      assert.equal(written.list[0][key], CENSOR);
      assert.equal(written.kept, 'visible');
    }
  });

  it('an Error carrying a token keeps its message and stack in the line, the token redacted', () => {
    const { logger, lines } = captureLogger();
    const error = Object.assign(new Error('the EHR refused'), { token: ACCESS_TOKEN });
    logger.warn({ err: error }, 'x');
    assert.ok(!lines[0]!.includes(ACCESS_TOKEN), lines[0]);
    const written = JSON.parse(lines[0]!);
    assert.equal(written.err.message, 'the EHR refused');
    assert.match(written.err.stack, /the EHR refused/);
    assert.equal(error.token, ACCESS_TOKEN, 'the error itself is unchanged');
  });
});
