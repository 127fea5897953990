import { randomUUID } from 'node:crypto';
import type { FhirResource, Medication, Organization, QuestionnaireResponse } from 'fhir/r4.js';
import { assembleRecord } from '../fhir/assemble-record.js';
import { dayIn, formatDay, parseDay } from '../fhir/dates.js';
import type { RecordPart } from '../fhir/patient-record.js';
import type { ResourceReader } from '../fhir/read-resource.js';
import { referenceTo } from '../fhir/references.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import { evaluateTecartusOrders, type PolicyOrder } from '../policy/evaluate-order.js';
import { matchPolicyOrder } from '../policy/find-policy-orders.js';
import type { StoredAssertion } from '../store/decision-store.js';
import type { PaRequestEvent, PaRequestRecord, PaRequestStore } from '../store/pa-request-store.js';
import type { SqlSession } from '../store/sql-database.js';
import { adjudicateItem, type ItemAdjudication, type OrderSignDecision } from './adjudicate-item.js';
import { authorizationNumber, authorizationPeriod } from './authorization.js';
import { buildResponseBundle, type ItemAnswer } from './claim-response.js';
import { formAnswers } from './form-answers.js';
import { readPasRequest, type PasSubmission } from './read-pas-request.js';

export interface PasDependencies {
  readonly policy: CompiledPolicy;
  readonly reader: ResourceReader;
  readonly requests: PaRequestStore;
  readonly findAssertion: (assertionId: string) => Promise<StoredAssertion | undefined>;
  /** The canonical of the plan's DTR Questionnaire (url|version): the form whose answers count. */
  readonly questionnaireCanonical: string;
  readonly now: () => Date;
  /** Where a reviewer's decision is queued for the provider (PAS notifications), in the decision's own transaction. */
  readonly decisionOutbox?: DecisionOutbox | undefined;
}

/** The outbox a decided request's notifications are written to, with the decision (src/pas/subscriptions). */
export interface DecisionOutbox {
  /** Queues the notifications of a decided request in `session`; returns the audit lines to add. */
  queue(session: SqlSession, request: PaRequestRecord): Promise<readonly PaRequestEvent[]>;
  /** Called once the decision has committed (wakes the delivery loop). */
  committed(): void;
}

/** What the engine proposed and why, kept with the request for the reviewer and for audit. */
export interface StoredAdjudication {
  readonly items: readonly ItemAdjudication[];
  readonly answers: readonly ItemAnswer[];
  /** The CRD coverage assertions the decision used (order-sign records of the same patient and order). */
  readonly assertionsUsed: readonly string[];
  readonly notes: readonly string[];
}

export interface SubmitResult {
  readonly request: PaRequestRecord;
  /** False when this Claim identifier was already submitted by the client: the stored answer is returned, nothing is decided again. */
  readonly created: boolean;
}

/**
 * Claim/$submit (PAS): read the request, judge each item with the policy
 * engine on the submitted resources, the CRD decision made at order-sign and
 * the DTR form's answers, certify what is proven and pend the rest, and store
 * the request with its answer before it is sent.
 */
export async function submitClaim(body: unknown, clientIss: string, fhirBase: string, deps: PasDependencies): Promise<SubmitResult> {
  const submission = readPasRequest(body, 'submit');
  const earlier = await deps.requests.findByClaim(clientIss, submission.claimIdentifier);
  if (earlier) return { request: earlier, created: false };

  const now = deps.now();
  const decisions = judgeSubmission(submission, deps.policy, deps.reader, now);
  const notes: string[] = [];
  const atOrderSign = await orderSignDecisions(submission, deps, notes);
  const form = chooseForm(submission.forms, deps.questionnaireCanonical);
  const answers = form ? formAnswers(form) : undefined;

  const items = submission.items.map((item) => {
    const submitted = item.order ? decisions.get(referenceTo(item.order.resource)) : undefined;
    return adjudicateItem({ policy: deps.policy.definition, sequence: item.sequence, service: item.service, submitted, atOrderSign: submitted ? atOrderSign.get(submitted.order.reference) : undefined, answers });
  });
  const rules = deps.policy.definition.priorAuthorizationRequest;
  const itemAnswers: ItemAnswer[] = items.map((item) => {
    if (item.decision !== 'certify') return { sequence: item.sequence, action: 'pended' };
    const serviceDate = item.serviceDate ?? formatDay(dayIn(deps.policy.definition.timeZone, now));
    return { sequence: item.sequence, action: 'certified', authNumber: authorizationNumber(rules.authorizationNumberPrefix, now), period: authorizationPeriod(serviceDate, rules.authorizationPeriodDays), issued: formatDay(dayIn(deps.policy.definition.timeZone, now)) };
  });
  for (const item of items) if (item.decision === 'pend') notes.push(...item.missing.map((m) => `Item ${item.sequence}: ${m}`));
  const due = dueAt(now, submission.priority, deps);
  if (items.some((i) => i.decision === 'pend')) notes.push(`Pended for review by ${deps.policy.definition.payer.name}: a decision is due by ${due.toISOString()}.`);

  const requestId = randomUUID();
  const responseBundle = buildResponseBundle({ submission, fhirBase, responseId: requestId, created: now, items: itemAnswers, notes, humanReviewed: false });
  const adjudication: StoredAdjudication = { items, answers: itemAnswers, assertionsUsed: [...new Set([...atOrderSign.values()].map((d) => d.assertionId))], notes };
  const allCertified = itemAnswers.every((a) => a.action === 'certified');
  const record: PaRequestRecord = {
    requestId,
    clientIss,
    claimIdentifier: submission.claimIdentifier,
    receivedAt: now,
    priority: submission.priority,
    dueAt: due,
    status: allCertified ? 'certified' : 'pended',
    ...(allCertified ? { decidedAt: now, decidedBy: 'engine', authNumber: itemAnswers.map((a) => (a.action === 'certified' ? a.authNumber : '')).join(',') } : {}),
    memberIds: submission.memberIds,
    organisations: submission.organisations,
    services: submission.items.map((i) => i.service),
    assertionId: adjudication.assertionsUsed[0],
    patientId: submission.patient.id ?? '',
    orders: submission.items.flatMap((i) => (i.order ? [referenceTo(i.order.resource)] : [])),
    requestBundle: submission.bundle,
    adjudication,
    responseBundle,
  };
  const events = [
    { at: now, actor: clientIss, role: 'system' as const, action: 'submitted' },
    { at: now, actor: 'engine', role: 'engine' as const, action: allCertified ? 'certified' : 'pended', note: allCertified ? undefined : notes.join(' ') },
  ];
  const { stored, created } = await deps.requests.insert(record, events);
  return { request: stored, created };
}

/** The plan's clock: 72 hours from receipt, 24 when the provider asks for an expedited decision. */
export function dueAt(receivedAt: Date, priority: PaRequestRecord['priority'], deps: Pick<PasDependencies, 'policy'>): Date {
  const hours = deps.policy.definition.priorAuthorizationRequest.reviewDeadlineHours[priority];
  return new Date(receivedAt.getTime() + hours * 3_600_000);
}

/** The engine on the resources the Bundle carries: the items' orders are the current course; everything else is the record. */
function judgeSubmission(submission: PasSubmission, policy: CompiledPolicy, reader: ResourceReader, now: Date): Map<string, OrderDecision> {
  const orders = submission.items.flatMap((i) => (i.order ? [i.order.resource] : []));
  const read = (resource: FhirResource) => reader.read(resource)?.resource ?? resource;
  const others = submission.index.entries.map((e) => e.resource).filter((r) => !orders.includes(r) && r.resourceType !== 'Claim');
  const medications = others.filter((r): r is Medication => r.resourceType === 'Medication');
  const parts = new Map<RecordPart, FhirResource[]>();
  const PART_OF: Partial<Record<FhirResource['resourceType'], RecordPart>> = {
    Patient: 'patient',
    Coverage: 'coverage',
    Encounter: 'encounters',
    Condition: 'conditions',
    Procedure: 'procedures',
    MedicationRequest: 'medicationRequests',
    MedicationAdministration: 'medicationAdministrations',
    MedicationStatement: 'medicationStatements',
    ServiceRequest: 'serviceRequests',
    Observation: 'observations',
  };
  for (const resource of others) {
    const part = PART_OF[resource.resourceType];
    if (part) parts.set(part, [...(parts.get(part) ?? []), read(resource)]);
  }
  // The Claim's patient is the record's patient, whatever else the Bundle holds.
  parts.set('patient', [read(submission.patient)]);
  const record = assembleRecord(parts, medications, others.filter((r): r is Organization => r.resourceType === 'Organization'), []);
  const policyOrders: PolicyOrder[] = orders.flatMap((order) => {
    const reading = reader.read(order);
    const resource = reading?.resource ?? order;
    const match = matchPolicyOrder(resource, policy, medications);
    return match.kind === 'match' ? [{ order: resource, identifiedBy: match.identifiedBy, unreadable: reading?.problems.length ? reading.problems.join('; ') : undefined }] : [];
  });
  const created = parseDay(submission.claim.created?.slice(0, 10));
  const decisions = evaluateTecartusOrders({ policy, policyOrders, draftOrders: orders.map(read), record, callDay: created ?? dayIn(policy.definition.timeZone, now) });
  return new Map(decisions.map((d) => [d.order.reference, d]));
}

/**
 * The order-sign decisions the submitted orders carry (their CRD
 * coverage-information names the assertion): used only when the assertion is
 * this service's, for the same patient, and judged the same order.
 */
async function orderSignDecisions(submission: PasSubmission, deps: PasDependencies, notes: string[]): Promise<Map<string, OrderSignDecision>> {
  const out = new Map<string, OrderSignDecision>();
  const orders = new Set(submission.items.flatMap((i) => (i.order ? [referenceTo(i.order.resource)] : [])));
  for (const assertionId of submission.assertionIds) {
    const assertion = await deps.findAssertion(assertionId);
    if (!assertion) {
      notes.push(`The order names coverage assertion ${assertionId.slice(0, 64)}, which this service did not make; the request was judged on what it carries.`);
      continue;
    }
    if (assertion.patientId !== submission.patient.id) {
      notes.push(`Coverage assertion ${assertionId.slice(0, 64)} was made for another patient; it was not used.`);
      continue;
    }
    for (const decision of assertion.orders) {
      if (orders.has(decision.order)) out.set(decision.order, { assertionId, criteria: decision.criteria, documented: decision.documented });
    }
  }
  return out;
}

/** The form this plan asked for (its Questionnaire canonical, with or without the version); else the first one sent. */
export function chooseForm(forms: readonly QuestionnaireResponse[], canonical: string): QuestionnaireResponse | undefined {
  const url = canonical.split('|')[0];
  return forms.find((f) => f.questionnaire === canonical) ?? forms.find((f) => f.questionnaire?.split('|')[0] === url) ?? forms[0];
}
