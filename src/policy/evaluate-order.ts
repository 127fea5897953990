import type { FhirResource } from 'fhir/r4.js';
import { formatDay, parseDay, type Day } from '../fhir/dates.js';
import type { PatientRecord, RecordPart } from '../fhir/patient-record.js';
import { referenceTo } from '../fhir/references.js';
import type { AssessmentContext, CriterionAssessment } from './assessment-context.js';
import { chooseCoverage } from './choose-coverage.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { assessAge } from './criteria/age.js';
import { assessOneInfusion } from './criteria/one-infusion.js';
import { assessOutpatientSetting } from './criteria/outpatient-setting.js';
import { findPriorCarT } from './criteria/prior-car-t.js';
import { assessQualifyingDiagnosis } from './criteria/qualifying-diagnosis.js';
import { byDeterminationRank, combineDeterminations, type Finding, type OrderDecision } from './decision.js';
import { fillText } from './evidence.js';

export interface OrderEvaluationInput {
  readonly policy: CompiledPolicy;
  readonly order: FhirResource;
  readonly record: PatientRecord;
  /** `Type/id` of every draft order in the call. */
  readonly draftOrderRefs: ReadonlySet<string>;
  /** The day of the call in the plan's time zone, used when the order has no authoredOn. */
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
  medications: 'A referenced Medication',
};

const CRITERION_NAMES = {
  diagnosis: 'qualifying diagnosis',
  'relapsed-or-refractory': 'relapsed or refractory status',
  age: 'age 18 or older',
  'no-prior-car-t': 'no prior CAR-T therapy',
  'one-infusion': 'one-time infusion',
  setting: 'inpatient or outpatient setting',
} as const;

/**
 * The policy as a pure function: one Tecartus order and the patient's record
 * in, a decision with its evidence out. No I/O, no clock (the call day is given).
 */
export function evaluateTecartusOrder(input: OrderEvaluationInput): OrderDecision {
  const { policy, order, record } = input;
  const authored = parseDay((order as { authoredOn?: string }).authoredOn);
  const orderDay = authored ?? input.callDay;
  const context: AssessmentContext = {
    policy,
    record,
    order,
    orderDay,
    draftOrderRefs: input.draftOrderRefs,
    unavailable: new Map(record.unavailable.map((u) => [u.part, u.reason])),
  };

  const { diagnosis, relapsedOrRefractory } = assessQualifyingDiagnosis(context);
  const assessments: CriterionAssessment[] = [
    findPriorCarT(context),
    assessAge(context),
    diagnosis,
    relapsedOrRefractory,
    assessOneInfusion(context),
    assessOutpatientSetting(context),
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
    coverage: chooseCoverage(record.coverages, order),
    determination: combineDeterminations(findings.map((f) => f.determination)),
    findings,
    criteria: assessments.map((a) => a.result),
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
