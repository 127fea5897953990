import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { formatPaReport, summarizePaRequests } from '../../src/pas/pa-report.js';
import type { PaRequestRecord } from '../../src/store/pa-request-store.js';
import { CLEAN_ANSWERS, completeForm, pasRequestFor, signAndFetchForm, submit } from '../support/pas-flow.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp } from '../support/test-app.js';

const at = (iso: string) => new Date(iso);
function paRequest(overrides: Partial<PaRequestRecord>): PaRequestRecord {
  return {
    requestId: crypto.randomUUID(),
    clientIss: 'ehr',
    claimIdentifier: `urn:trn|${crypto.randomUUID()}`,
    receivedAt: at('2026-06-15T10:00:00Z'),
    priority: 'standard',
    dueAt: at('2026-06-18T10:00:00Z'),
    status: 'pended',
    memberIds: [],
    organisations: [],
    services: [],
    patientId: 'pat-1',
    orders: [],
    requestBundle: {},
    adjudication: {},
    responseBundle: {},
    ...overrides,
  };
}

describe('The prior authorization figures a plan publishes (npm run report, /metrics)', () => {
  it('counts received, approved automatically and after review, denied, pending and overdue; times to decision by priority', () => {
    const report = summarizePaRequests(
      [
        paRequest({ status: 'certified', decidedBy: 'engine', decidedAt: at('2026-06-15T10:00:00Z') }),
        paRequest({ status: 'certified', decidedBy: 'dr.a', decidedAt: at('2026-06-16T10:00:00Z') }),
        paRequest({ status: 'not-certified', decidedBy: 'dr.b', decidedAt: at('2026-06-19T10:00:00Z') }),
        paRequest({ status: 'pended' }),
        paRequest({ status: 'information-requested', dueAt: at('2026-06-16T10:00:00Z') }),
        paRequest({ priority: 'expedited', status: 'certified', decidedBy: 'dr.a', decidedAt: at('2026-06-15T16:00:00Z'), dueAt: at('2026-06-16T10:00:00Z') }),
      ],
      at('2026-06-17T00:00:00Z'),
    );
    assert.deepEqual(
      { ...report, standard: undefined, expedited: undefined },
      { received: 6, approvedAutomatically: 1, approvedAfterReview: 2, denied: 1, pending: 2, overdue: 2, standard: undefined, expedited: undefined },
      'overdue: one still waiting past its deadline, one denied after it',
    );
    assert.deepEqual(report.standard, { decided: 3, averageHours: (0 + 24 + 96) / 3, medianHours: 24 });
    assert.deepEqual(report.expedited, { decided: 1, averageHours: 6, medianHours: 6 });
    assert.match(formatPaReport(report), /approved automatically\s+1\n/);
    assert.match(formatPaReport(report), /time to decision, standard: average \/ median\s+40\.0 h \/ 24\.0 h \(3 decided\)/);
  });

  it('/metrics: outcomes by who decided, and the review queue read from the store', async () => {
    const t = createTestApp();
    const signed = await signAndFetchForm(t.app, eligibleMantleCellRecord());
    await submit(t.app, pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS)));
    await submit(t.app, pasRequestFor(signed, undefined));
    const text = (await request(t.app).get('/metrics')).text;
    assert.match(text, /pa_decisions_total\{decided_by="engine",outcome="certified",priority="standard"\} 1/);
    assert.match(text, /pa_decisions_total\{decided_by="engine",outcome="pended",priority="standard"\} 1/);
    assert.match(text, /pa_requests_waiting\{state="waiting"\} 1/);
    assert.match(text, /pa_requests_waiting\{state="overdue"\} 0/);
  });
});
