import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile } from '../support/cds-clients.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildProcedure, cpt, PATIENT_ID } from '../support/fhir-factories.js';
import { forType, status } from '../support/fhir-faults.js';
import { startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { labelsOf, sampleValue } from '../support/prometheus.js';
import { createTestApp, postHook, testDiscovery, testPolicy } from '../support/test-app.js';

const ORDER = 'MedicationRequest/tecartus-order-1';

async function scrape(app: Parameters<typeof request>[0]): Promise<string> {
  const res = await request(app).get('/metrics');
  assert.equal(res.status, 200);
  return res.text;
}

describe('GET /metrics: Prometheus text format', () => {
  it('answers the Prometheus text exposition with the service metrics and the process metrics', async () => {
    const { app } = createTestApp();
    const res = await request(app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /^text\/plain; version=0\.0\.4/);
    for (const name of ['cds_hook_request_duration_seconds', 'cds_decisions_total', 'cds_fhir_query_duration_seconds', 'cds_fhir_query_failures_total', 'cds_store_write_duration_seconds']) {
      assert.match(res.text, new RegExp(`^# TYPE ${name} (histogram|counter)$`, 'm'), name);
    }
    assert.notEqual(sampleValue(res.text, 'process_resident_memory_bytes'), undefined);
  });

  it('counts a hook call: its latency by service and status, the decision by covered value and reason, the store write', async () => {
    const { app } = createTestApp();
    const res = await postHook(app, ORDER_SIGN, buildHookRequest());
    assert.equal(res.status, 200);
    const info = coverageInformationFor(res.body, ORDER)!;
    const text = await scrape(app);
    assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '200' }), 1);
    for (const reason of info.reasons) assert.equal(sampleValue(text, 'cds_decisions_total', { covered: info.covered, reason }), 1, reason);
    assert.equal(sampleValue(text, 'cds_store_write_duration_seconds_count', { outcome: 'recorded' }), 1);

    await postHook(app, ORDER_SIGN, buildHookRequest());
    const again = await scrape(app);
    assert.equal(sampleValue(again, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '200' }), 2);
    assert.equal(sampleValue(again, 'cds_decisions_total', { covered: info.covered, reason: 'pa-required' }), 2);
  });

  it('counts each finding of a decision under its reason code', async () => {
    const { app } = createTestApp();
    const record = eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228'), status: 'completed', performedDateTime: '2024-01-10' })] });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record }));
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'not-covered');
    const text = await scrape(app);
    assert.equal(sampleValue(text, 'cds_decisions_total', { covered: 'not-covered', reason: 'prior-car-t' }), 1);
    assert.equal(sampleValue(text, 'cds_decisions_total', { covered: 'not-covered', reason: 'pa-required' }), 1);
  });

  it('counts refused calls by their status, and calls to a service that does not exist as "unknown"', async () => {
    const { app } = createTestApp();
    await postHook(app, ORDER_SIGN, { hook: 'order-sign' });
    await postHook(app, 'no-such-service', buildHookRequest());
    const text = await scrape(app);
    assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '400' }), 1);
    assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: 'unknown', status: '404' }), 1);
    assert.equal(sampleValue(text, 'cds_decisions_total', { covered: 'conditional', reason: 'pa-required' }), undefined);
  });

  it('counts a call refused by authentication (401) under its service', async () => {
    const signer = await makeSigner('ES384', 'https://ehr-metrics.example.org');
    const clients = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
    try {
      const { app, store } = createTestApp({ CDS_CLIENTS_FILE: clients.path, PUBLIC_BASE_URL });
      assert.equal((await request(app).post(`/cds-services/${ORDER_SIGN}`).send(buildHookRequest())).status, 401);
      const token = await signCdsJwt(signer, audienceFor(`/cds-services/${ORDER_SIGN}`));
      assert.equal((await postHook(app, ORDER_SIGN, buildHookRequest(), bearer(token))).status, 200);
      const text = await scrape(app);
      assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '401' }), 1);
      assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '200' }), 1);
      assert.equal(text.includes(signer.iss), false, 'the client is not a label');
      await store.close();
    } finally {
      clients.remove();
    }
  });

  it('counts a failed store write, and no decision for the 503 answer', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    const { app } = createTestApp({}, { store });
    await store.close();
    const res = await postHook(app, ORDER_SIGN, buildHookRequest());
    assert.equal(res.status, 503);
    const text = await scrape(app);
    assert.equal(sampleValue(text, 'cds_store_write_duration_seconds_count', { outcome: 'failed' }), 1);
    assert.equal(sampleValue(text, 'cds_hook_request_duration_seconds_count', { service: ORDER_SIGN, status: '503' }), 1);
    assert.equal(sampleValue(text, 'cds_decisions_total', { reason: 'pa-required' }), undefined, 'a decision that was not given is not counted');
  });

  describe('FHIR queries', () => {
    let fhir: FhirTestServer;
    before(async () => {
      fhir = await startFhirTestServer();
    });
    after(async () => {
      await fhir.close();
    });

    it('times each FHIR query by resource type and counts failures by resource type and kind', async () => {
      const { app } = createTestApp({ FHIR_ALLOW_HTTP: 'true' });
      const record = eligibleMantleCellRecord();
      await fhir.load(record);
      fhir.inject(forType('Procedure'), status(503));
      const { patient, coverage } = asPrefetch(record);
      const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: { patient, coverage }, fhirServer: fhir.url, accessToken: 'token-metrics-1' }));
      assert.equal(res.status, 200);
      const text = await scrape(app);
      for (const resourceType of ['Condition', 'MedicationRequest', 'MedicationAdministration', 'MedicationStatement']) {
        assert.equal(sampleValue(text, 'cds_fhir_query_duration_seconds_count', { resource_type: resourceType, outcome: 'answered' }), 1, resourceType);
      }
      assert.equal(sampleValue(text, 'cds_fhir_query_duration_seconds_count', { resource_type: 'Procedure', outcome: 'failed' }), 1);
      assert.equal(sampleValue(text, 'cds_fhir_query_failures_total', { resource_type: 'Procedure', failure: 'http-status' }), 1);
    });
  });

  it('carries no request data in any label: each label value is one of a fixed set (service ids, statuses, CRD and reason codes, resource types, failure kinds)', async () => {
    const fhir = await startFhirTestServer();
    try {
      const { app } = createTestApp({ FHIR_ALLOW_HTTP: 'true' });
      const record = eligibleMantleCellRecord();
      await fhir.load(record);
      fhir.inject(forType('MedicationStatement'), status(500));
      const select = buildHookRequest({ hook: 'order-select' });
      await postHook(app, ORDER_SELECT, select);
      await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: {}, fhirServer: fhir.url, accessToken: 'token-metrics-2' }));
      await postHook(app, 'Patient-pat-1', buildHookRequest());
      const text = await scrape(app);
      for (const secret of [PATIENT_ID, 'tecartus-order-1', String(select['hookInstance']), 'Practitioner/prac-1', 'cov-1', 'token-metrics-2', '127.0.0.1']) {
        assert.equal(text.includes(secret), false, secret);
      }
      const allowed: Record<string, (v: string) => boolean> = {
        service: (v) => v === 'unknown' || testDiscovery().services.has(v),
        status: (v) => /^\d{3}$/.test(v),
        covered: (v) => ['covered', 'not-covered', 'conditional', 'indeterminate', 'none'].includes(v),
        reason: (v) => v === 'pa-required' || Object.hasOwn(testPolicy().definition.findings, v),
        outcome: (v) => ['answered', 'failed', 'recorded', 'already-recorded'].includes(v),
        resource_type: (v) => /^(Patient|Coverage|Encounter|Condition|Procedure|MedicationRequest|MedicationAdministration|MedicationStatement|ServiceRequest|Observation|Medication)$/.test(v),
        failure: (v) => /^[a-z-]+$/.test(v),
        le: (v) => v === '+Inf' || Number.isFinite(Number(v)),
      };
      const labels = labelsOf(text, 'cds_');
      assert.ok(labels.length > 0);
      for (const [label, value] of labels) assert.ok(allowed[label]?.(value), `${label}="${value}"`);
    } finally {
      await fhir.close();
    }
  });
});
