import request from 'supertest';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PostgresDecisionStore } from '../../src/store/postgres-decision-store.js';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile } from '../support/cds-clients.js';
import { buildProcedure, buildTecartusOrder, cpt, PATIENT_ID, textOnly } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { buildMedicationStatement } from '../support/fhir-factories.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { dropSchema, TEST_DATABASE_URL, uniqueSchema } from '../support/postgres.js';
import { createTestApp, postHook } from '../support/test-app.js';
import { TEST_CALL_TIME } from '../support/test-app.js';

type Json = Record<string, unknown>;
const ORDER = 'MedicationRequest/tecartus-order-1';

describe('Each hook call is recorded before it is answered (CRD found-11, found-37)', () => {
  it('records the call: hookInstance, service, hook, time, client, patient and order ids, policy version, criteria, coverage information', async () => {
    const { app, store } = createTestApp();
    const body = buildHookRequest();
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal(res.status, 200);
    const [call, ...more] = await store.findHookCalls(body['hookInstance'] as string);
    assert.equal(more.length, 0);
    assert.ok(call);
    assert.equal(call.serviceId, ORDER_SIGN);
    assert.equal(call.hook, 'order-sign');
    assert.equal(call.clientIss, 'open-development-mode', 'no authentication: the open development mode');
    assert.equal(call.patientId, PATIENT_ID);
    assert.equal(call.answeredAt.toISOString(), new Date(TEST_CALL_TIME).toISOString(), 'the time of the call, from the app clock');
    const [order] = call.orders;
    assert.equal(order?.order, ORDER);
    assert.deepEqual(order?.policy, { id: 'carepartners-ct-tecartus', version: '2025-09-01' });
    assert.equal(order?.determination, 'covered');
    assert.deepEqual(
      order?.criteria.map((c) => [c.criterion, c.status]),
      [
        ['no-prior-car-t', 'met'],
        ['age', 'met'],
        ['diagnosis', 'met'],
        ['relapsed-or-refractory', 'met'],
        ['one-infusion', 'met'],
        ['setting', 'unknown'],
        ['eligibility', 'met'],
      ],
    );
    const sent = (res.body.systemActions as Json[])[0]!['resource'] as { extension: { extension: { url: string; valueString?: string }[] }[] };
    const sentId = sent.extension[0]!.extension.find((e) => e.url === 'coverage-assertion-id')!.valueString;
    assert.equal(order?.coverageInformation?.assertionId, sentId);
    assert.equal(order?.coverageInformation?.covered, 'covered');
    assert.equal(order?.coverageInformation?.paNeeded, 'auth-needed');
    assert.deepEqual(order?.coverageInformation?.docPurpose, ['withpa']);
    assert.equal(order?.coverageInformation?.sent, true);
  });

  it('keeps a SHA-256 of the response body exactly as sent', async () => {
    const { app, store } = createTestApp();
    const body = buildHookRequest();
    const res = await postHook(app, ORDER_SIGN, body);
    const [call] = await store.findHookCalls(body['hookInstance'] as string);
    assert.equal(call?.responseSha256, createHash('sha256').update(res.text).digest('hex'));
  });

  it('keeps every card uuid, with the finding a warning card shows, so feedback links to the decision', async () => {
    const { app, store } = createTestApp();
    const body = buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ id: 'p-38228', code: cpt('38228') })] }) });
    const res = await postHook(app, ORDER_SIGN, body);
    const [call] = await store.findHookCalls(body['hookInstance'] as string);
    const sentCards = res.body.cards as Json[];
    assert.deepEqual(
      call?.cards.map((c) => c.uuid),
      sentCards.map((c) => c['uuid']),
    );
    const warning = call?.cards.find((c) => c.indicator === 'warning');
    assert.equal(warning?.finding, 'prior-car-t');
    assert.equal(warning?.topic, 'limits');
    assert.deepEqual(warning?.orders, [ORDER]);
    assert.ok(warning?.overrideReasons.some((r) => r.code === 'record-incorrect'));
    assert.deepEqual(call?.orders[0]?.findings, [{ code: 'prior-car-t', determination: 'not-covered', evidence: ['Procedure/p-38228'] }]);
  });

  it('a call with no Tecartus order is not written to the store: it is counted and logged only (the common call stays cheap)', async () => {
    const { app, store, logs } = createTestApp();
    const body = buildHookRequest({ hook: 'order-select', orders: [buildTecartusOrder({ medicationCodeableConcept: textOnly('Acetaminophen 500 mg tablet') })] });
    const res = await postHook(app, ORDER_SELECT, body);
    assert.equal(res.status, 200);
    assert.deepEqual(await store.findHookCalls(body['hookInstance'] as string), []);
    assert.ok(logs.some((l) => l.includes('"event":"hook-call"') && l.includes(body['hookInstance'] as string)), 'the call is logged');
    const metrics = await request(app).get('/metrics');
    assert.match(metrics.text, /cds_hook_request_duration_seconds_count\{[^}]*service="order-select-crd"[^}]*\} 1/);
  });

  it('records the calling client that authentication established (the JWT iss)', async () => {
    const signer = await makeSigner('ES384', 'https://ehr.example.org');
    const clientsFile = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
    try {
      const { app, store } = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL });
      const body = buildHookRequest();
      const token = await signCdsJwt(signer, audienceFor(`/cds-services/${ORDER_SIGN}`));
      assert.equal((await postHook(app, ORDER_SIGN, body, bearer(token))).status, 200);
      assert.equal((await store.findHookCalls(body['hookInstance'] as string))[0]?.clientIss, 'https://ehr.example.org');
    } finally {
      clientsFile.remove();
    }
  });

  it('a repeated hookInstance (a client retry) is answered normally and kept without error', async () => {
    const { app, store } = createTestApp();
    const body = buildHookRequest();
    const first = await postHook(app, ORDER_SIGN, body);
    const retry = await postHook(app, ORDER_SIGN, body);
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200);
    const calls = await store.findHookCalls(body['hookInstance'] as string);
    assert.equal(calls.length, 2, 'each answer is kept: the retry carried new card uuids the client may send feedback on');
    assert.equal(calls[0]?.orders[0]?.coverageInformation?.assertionId, calls[1]?.orders[0]?.coverageInformation?.assertionId, 'the same assertion');
  });

  it('keeps no names, birth dates, identifiers, free text or resource bodies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tecartus-phi-'));
    try {
      const path = join(dir, 'decisions.sqlite');
      const { app, store } = createTestApp({ DATABASE_URL: path });
      const record = eligibleMantleCellRecord({
        medicationStatements: [buildMedicationStatement({ id: 'ms-trial', medicationCodeableConcept: textOnly('Investigational anti-CD22 CAR-T cells (trial NCT0000000)') })],
      });
      const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record }));
      assert.match(JSON.stringify(res.body), /NCT0000000/, 'the card quotes the free text');
      await store.close();
      const bytes = readdirSync(dir)
        .map((f) => readFileSync(join(dir, f)).toString('latin1'))
        .join('\n');
      assert.match(bytes, /MedicationStatement\/ms-trial/, 'the evidence reference is kept');
      for (const phi of ['Testpatient', 'Alexandra', 'MRN-778899', '1961-03-14', 'NCT0000000', 'Single IV infusion', 'Mantle cell lymphoma']) {
        assert.ok(!bytes.includes(phi), `the store holds "${phi}"`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('A decision that cannot be recorded is not given: 503, never a 500 or the decision', () => {
  it('answers 503 with an OperationOutcome and Retry-After when the SQLite store fails', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    const { app, logs } = createTestApp({}, { store });
    await store.close();
    const res = await postHook(app, ORDER_SIGN, buildHookRequest());
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal(res.body.issue[0].code, 'transient');
    assert.match(res.body.issue[0].details.text, /could not be recorded/);
    assert.equal(res.body.cards, undefined);
    assert.ok(logs.some((l) => l.includes('"event":"store-unavailable"')));
    assert.ok(!logs.some((l) => l.includes('hook answered')), 'the answer was not sent');
  });

  describe('on PostgreSQL', () => {
    const schema = uniqueSchema('rec503');
    after(() => dropSchema(schema));

    it('answers 503 when the tables are gone from under the service', async () => {
      const store = new PostgresDecisionStore({ url: TEST_DATABASE_URL, schema, poolMax: 2 });
      try {
        await store.ready();
        const { app } = createTestApp({}, { store });
        assert.equal((await postHook(app, ORDER_SIGN, buildHookRequest())).status, 200);
        await dropSchema(schema);
        const res = await postHook(app, ORDER_SIGN, buildHookRequest());
        assert.equal(res.status, 503);
        assert.equal(res.body.issue[0].code, 'transient');
      } finally {
        await store.close();
      }
    });
  });
});
