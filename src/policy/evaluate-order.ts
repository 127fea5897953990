import type { FhirResource } from 'fhir/r4.js';
import { plannedDate } from '../fhir/clinical-dates.js';
import { formatDay, isFullDay, parseDay, type Day } from '../fhir/dates.js';
import type { PatientRecord, RecordPart } from '../fhir/patient-record.js';
import { referenceTo } from '../fhir/references.js';
import type { AssessmentContext, CriterionAssessment } from './assessment-context.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { assessAge } from './criteria/age.js';
import { assessOneInfusion } from './criteria/one-infusion.js';
import { findPriorCarT } from './criteria/prior-car-t.js';
import { assessQualifyingDiagnosis } from './criteria/qualifying-diagnosis.js';
import { assessSetting } from './criteria/setting.js';
import { currentCourse } from './current-course.js';
import { byDeterminationRank, combineDeterminations, type Finding, type OrderDecision, type OrderIdentification } from './decision.js';
import { fillText } from './evidence.js';
import { choosePlanCoverage } from './plan-coverage.js';

/** An order of the call recognised as the policy's, and whether it could be read in full. */
export interface PolicyOrder {
  readonly order: FhirResource;
  readonly identifiedBy: OrderIdentification;
  /** Why elements the decision reads could not be read (they are left out of the order judged). */
  readonly unreadable?: string | undefined;
}

export interface CallEvaluationInput {
  readonly policy: CompiledPolicy;
  /** The policy's orders among the call's drafts (see find-policy-orders.ts). */
  readonly policyOrders: readonly PolicyOrder[];
  /** Every draft order of the call: none of them is prior therapy. */
  readonly draftOrders: readonly FhirResource[];
  readonly record: PatientRecord;
  /** The day of the call in the plan's time zone. */
  readonly callDay: Day;
}

const PART_NAMES: Record<RecordPart, string> = {
  patient: 'The Patient record',
  coverage: 'The Coverage',
  encounter: 'The Encounter',
  conditions: 'The condition history',
  procedures: 'The procedure history',
  medicationRequests: 'The medication order history',
  medicationAdministrations: 'The medication administration history',
  medicationStatements: 'The medication statement history',
  serviceRequests: 'The service order history',
  observations: 'The observations',
  encounters: 'The encounter history',
  medications: 'A referenced Medication',
  order: 'Part of the order',
};

const CRITERION_NAMES = {
  diagnosis: 'qualifying diagnosis',
  'relapsed-or-refractory': 'relapsed or refractory status',
  age: 'age 18 or older',
  'no-prior-car-t': 'no prior CAR-T therapy',
  'one-infusion': 'one-time infusion',
  setting: 'inpatient or outpatient setting',
  eligibility: "the plan's coverage",
} as const;

/**
 * The policy as a pure function: the call's Tecartus orders and the patient's
 * record in, a decision with its evidence for each order out. No I/O, no
 * clock (the call day is given).
 */
export function evaluateTecartusOrders(input: CallEvaluationInput): OrderDecision[] {
  const course = currentCourse(input.draftOrders, input.record);
  const orders = input.policyOrders.map((p) => p.order);
  return input.policyOrders.map((p) => evaluateOne(input, p, orders, course));
}

function evaluateOne(input: CallEvaluationInput, policyOrder: PolicyOrder, policyOrders: readonly FhirResource[], course: AssessmentContext['course']): OrderDecision {
  const { policy, record, callDay } = input;
  const { order } = policyOrder;
  const authored = parseDay((order as { authoredOn?: string }).authoredOn);
  const orderDay = authored ?? callDay;
  const planned = plannedDate(order as Parameters<typeof plannedDate>[0]);
  const serviceDay = isFullDay(planned) ? planned : orderDay;
  const unavailable = new Map(record.unavailable.map((u) => [u.part, u.reason]));
  if (policyOrder.unreadable) unavailable.set('order', policyOrder.unreadable);
  const context: AssessmentContext = { policy, record, order, callDay, orderDay, serviceDay, course, policyOrders, unavailable };

  const { diagnosis, relapsedOrRefractory } = assessQualifyingDiagnosis(context);
  const coverage = choosePlanCoverage(policy, record, order, serviceDay);
  const assessments: CriterionAssessment[] = [
    findPriorCarT(context),
    assessAge(context),
    diagnosis,
    relapsedOrRefractory,
    assessOneInfusion(context),
    assessSetting(context),
    eligibilityOf(context, coverage.problem),
  ];
  const findings: Finding[] = assessments.flatMap((a) => a.findings);
  const unavailableFinding = dataUnavailableFinding(context, assessments);
  if (unavailableFinding) findings.push(unavailableFinding);
  findings.sort(byDeterminationRank);

  return {
    policy: { id: policy.definition.id, version: policy.definition.version },
    order: { reference: referenceTo(order), resourceType: order.resourceType, id: order.id ?? '' },
    orderDate: formatDay(orderDay),
    orderDateSource: authored ? 'authoredOn' : 'call-date',
    serviceDate: formatDay(serviceDay),
    serviceDateSource: isFullDay(planned) ? 'planned' : authored ? 'authoredOn' : 'call-date',
    identifiedBy: policyOrder.identifiedBy,
    coverage: coverage.choice,
    determination: combineDeterminations(findings.map((f) => f.determination)),
    findings,
    criteria: assessments.map((a) => a.result),
    documented: Object.assign({ priorCarT: 'unknown' as const }, ...assessments.map((a) => a.documented ?? {})),
  };
}

/** The plan's coverage for the date of service: `eligibility` when active Coverages were sent but none can be used. */
function eligibilityOf(context: AssessmentContext, problem: ReturnType<typeof choosePlanCoverage>['problem']): CriterionAssessment {
  if (!problem) {
    const status = context.unavailable.has('coverage') ? 'unknown' : 'met';
    return { result: { criterion: 'eligibility', status, evidence: [] }, findings: [] };
  }
  const definition = context.policy.definition.findings.eligibility;
  return {
    result: { criterion: 'eligibility', status: 'unknown', finding: 'eligibility', evidence: problem.evidence },
    findings: [{ code: 'eligibility', determination: definition.determination, evidence: problem.evidence, notes: [...problem.notes], facts: { payer: context.policy.definition.payer.name } }],
  };
}

/** One finding that names every record part that could not be read and the criteria left open by it. */
function dataUnavailableFinding(context: AssessmentContext, assessments: readonly CriterionAssessment[]): Finding | undefined {
  const blocked = assessments.filter((a) => a.blockedBy && a.blockedBy.length > 0);
  if (blocked.length === 0) return undefined;
  const byPart = new Map<RecordPart, string[]>();
  for (const a of blocked) for (const part of a.blockedBy ?? []) byPart.set(part, [...(byPart.get(part) ?? []), CRITERION_NAMES[a.result.criterion]]);
  const template = context.policy.definition.evidenceText.unavailablePart;
  const notes = [...byPart].map(([part, criteria]) =>
    fillText(template, { part: PART_NAMES[part], reason: context.unavailable.get(part) ?? 'unknown reason', criteria: [...new Set(criteria)].join(', ') }),
  );
  return {
    code: 'data-unavailable',
    determination: context.policy.definition.findings['data-unavailable'].determination,
    evidence: [],
    notes,
    facts: { parts: [...byPart.keys()].join(', ') },
  };
}
