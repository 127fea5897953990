import type { Encounter, FhirResource, Medication, Organization } from 'fhir/r4.js';
import { assembleRecord } from '../../src/fhir/assemble-record.js';
import { parseDay } from '../../src/fhir/dates.js';
import type { RecordPart } from '../../src/fhir/patient-record.js';
import { ResourceReader } from '../../src/fhir/read-resource.js';
import type { OrderDecision } from '../../src/policy/decision.js';
import { evaluateTecartusOrders, type PolicyOrder } from '../../src/policy/evaluate-order.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../../src/policy/find-policy-orders.js';
import type { PolicyCase } from './policy-cases.js';
import { testPolicy } from './test-app.js';

/** What the engine said about one judged order, and the whole decision. */
export interface JudgedOrder {
  readonly covered: string;
  readonly reasons: readonly string[];
  readonly coverage?: string | undefined;
  readonly evidenceRefs: readonly string[];
  readonly decision: OrderDecision;
}

/** Where each resource type of a case's record goes in the engine's record. */
const PART_OF_TYPE: Readonly<Record<string, RecordPart>> = {
  Patient: 'patient',
  Coverage: 'coverage',
  Condition: 'conditions',
  Procedure: 'procedures',
  MedicationRequest: 'medicationRequests',
  MedicationAdministration: 'medicationAdministrations',
  MedicationStatement: 'medicationStatements',
  ServiceRequest: 'serviceRequests',
  Observation: 'observations',
  Encounter: 'encounters',
};

const reader = new ResourceReader();

/**
 * THE ADAPTER between the policy case library and the engine, the one place
 * a case is judged the way the service judges a call: every resource read
 * leniently (a malformed element makes its part unreadable), the Tecartus
 * orders found among the call's drafts, each judged by the pure engine on the
 * call day. Shared by the case library and the CQL agreement test.
 */
export function judgeCase(c: PolicyCase): { perOrder: Map<string, JudgedOrder> } {
  const policy = testPolicy();
  const parts = new Map<RecordPart, FhirResource[]>();
  const medications: Medication[] = [];
  const organizations: Organization[] = [];
  const problems = new Map<RecordPart, string[]>();
  for (const raw of c.record) {
    const reading = reader.read(raw);
    if (!reading) continue;
    const r = reading.resource;
    // The encounter of the call is context.encounterId; every Encounter is also history.
    const part: RecordPart | undefined = r.resourceType === 'Medication' ? 'medications' : r.resourceType === 'Organization' ? 'coverage' : PART_OF_TYPE[r.resourceType];
    if (reading.problems.length > 0 && part) problems.set(part, [...(problems.get(part) ?? []), ...reading.problems]);
    if (r.resourceType === 'Medication') medications.push(r as Medication);
    else if (r.resourceType === 'Organization') organizations.push(r as Organization);
    else if (part) parts.set(part, [...(parts.get(part) ?? []), r]);
    if (r.resourceType === 'Encounter' && r.id === c.encounterId) parts.set('encounter', [r as Encounter]);
  }
  const unavailable = [
    ...c.unreadable.flatMap((type) => {
      const part = type === 'Encounter' ? 'encounter' : PART_OF_TYPE[type];
      return part ? [{ part, reason: "the EHR's query failed (case library)" }] : [];
    }),
    ...[...problems].map(([part, list]) => ({ part, reason: `malformed data from the EHR: ${list.join('; ')}` })),
  ];
  const drafts = c.orders.map((o) => reader.read(o)!);
  const draftMedications = drafts.map((d) => d.resource).filter((r): r is Medication => r.resourceType === 'Medication');
  const record = assembleRecord(parts, [...draftMedications, ...medications], organizations, unavailable);
  const draftOrders = drafts.filter((d) => ORDER_RESOURCE_TYPES.has(d.resource.resourceType));
  const policyOrders: PolicyOrder[] = [];
  for (const d of draftOrders) {
    const match = matchPolicyOrder(d.resource, policy, record.medications);
    if (match.kind === 'match') policyOrders.push({ order: d.resource, identifiedBy: match.identifiedBy, unreadable: d.problems.length > 0 ? d.problems.join('; ') : undefined });
  }
  const decisions = evaluateTecartusOrders({ policy, policyOrders, draftOrders: draftOrders.map((d) => d.resource), record, callDay: parseDay(c.callDate)! });
  const perOrder = new Map<string, JudgedOrder>();
  for (const decision of decisions) {
    perOrder.set(decision.order.reference, {
      covered: decision.determination,
      reasons: [...new Set(decision.findings.map((f) => f.code))],
      coverage: decision.coverage?.reference,
      evidenceRefs: decision.findings.flatMap((f) => f.evidence.map((e) => e.reference)),
      decision,
    });
  }
  return { perOrder };
}
