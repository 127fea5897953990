import { randomUUID } from 'node:crypto';
import type { CardRecord, FeedbackRecord, HookCallRecord, OrderDecisionRecord } from '../../src/store/decision-store.js';

/** Factories for decision-store records: sensible defaults, any field overridable. */

export const POLICY_REF = { id: 'carepartners-ct-tecartus', version: '2025-09-01' } as const;
export const REASON_SYSTEM = 'https://www.carepartnersct.com/fhir/CodeSystem/crd-coverage-reason';
export const OVERRIDE_SYSTEM = 'https://www.carepartnersct.com/fhir/CodeSystem/crd-override-reason';

export function buildOrderDecisionRecord(overrides: Partial<OrderDecisionRecord> = {}): OrderDecisionRecord {
  return {
    order: 'MedicationRequest/tecartus-order-1',
    policy: POLICY_REF,
    orderDate: '2026-06-15',
    determination: 'not-covered',
    coverage: 'Coverage/cov-1',
    findings: [{ code: 'prior-car-t', determination: 'not-covered', evidence: ['Procedure/p-38228'] }],
    criteria: [
      { criterion: 'no-prior-car-t', status: 'not-met', finding: 'prior-car-t', evidence: ['Procedure/p-38228'] },
      { criterion: 'age', status: 'met', evidence: ['Patient/pat-1'] },
    ],
    coverageInformation: {
      assertionId: randomUUID(),
      covered: 'not-covered',
      docNeeded: [],
      docPurpose: [],
      infoNeeded: [],
      reasons: [
        { system: REASON_SYSTEM, code: 'pa-required' },
        { system: REASON_SYSTEM, code: 'prior-car-t' },
      ],
      date: '2026-06-15',
      sent: true,
    },
    ...overrides,
  };
}

export function buildCardRecord(overrides: Partial<CardRecord> = {}): CardRecord {
  return {
    uuid: randomUUID(),
    indicator: 'warning',
    topic: 'limits',
    finding: 'prior-car-t',
    orders: ['MedicationRequest/tecartus-order-1'],
    overrideReasons: [{ system: OVERRIDE_SYSTEM, code: 'record-incorrect' }],
    ...overrides,
  };
}

export function buildHookCallRecord(overrides: Partial<HookCallRecord> = {}): HookCallRecord {
  return {
    hookInstance: randomUUID(),
    clientIss: 'https://ehr.example.org',
    serviceId: 'order-sign-crd',
    hook: 'order-sign',
    crdVersion: '2.0',
    answeredAt: new Date('2026-06-15T14:30:00.000Z'),
    patientId: 'pat-1',
    responseSha256: randomUUID().replace(/-/g, '').repeat(2),
    orders: [buildOrderDecisionRecord()],
    cards: [buildCardRecord(), buildCardRecord({ indicator: 'info', topic: 'coverage-info', finding: undefined, overrideReasons: [] })],
    ...overrides,
  };
}

export function buildFeedbackRecord(overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    serviceId: 'order-sign-crd',
    clientIss: 'https://ehr.example.org',
    receivedAt: new Date('2026-06-15T14:35:00.000Z'),
    card: randomUUID(),
    outcome: 'overridden',
    outcomeTimestamp: new Date('2026-06-15T14:34:00.000Z'),
    acceptedSuggestions: [],
    overrideReason: { system: OVERRIDE_SYSTEM, code: 'record-incorrect' },
    ...overrides,
  };
}
