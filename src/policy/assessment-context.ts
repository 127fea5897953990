import type { FhirResource } from 'fhir/r4.js';
import { compareDays, earliestDay, type Day, type PartialDate } from '../fhir/dates.js';
import type { PatientRecord, RecordPart } from '../fhir/patient-record.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { CurrentCourse } from './current-course.js';
import type { CriterionResult, DocumentedFacts, Finding } from './decision.js';

/** Everything a criterion may read: pure data, no I/O. */
export interface AssessmentContext {
  readonly policy: CompiledPolicy;
  readonly record: PatientRecord;
  /** The order being judged. */
  readonly order: FhirResource;
  /** The day of the call (the signature), in the plan's time zone: "prior" means on or before it. */
  readonly callDay: Day;
  /** The order's date: its authoredOn, else the call day. */
  readonly orderDay: Day;
  /** The planned day of the infusion when the order gives one, else the order day: age and eligibility are judged on it. */
  readonly serviceDay: Day;
  /** The orders signed in this call, the orders of their order set, and what carries them out. */
  readonly course: CurrentCourse;
  /** Every order of the call judged under this policy (Tecartus drafts). */
  readonly policyOrders: readonly FhirResource[];
  /** Record parts that could not be read, with the reason. */
  readonly unavailable: ReadonlyMap<RecordPart, string>;
}

/** One criterion's outcome: its result, the findings it raises, and the unreadable parts that left it open. */
export interface CriterionAssessment {
  readonly result: CriterionResult;
  readonly findings: readonly Finding[];
  /** Set when the criterion could not be settled because these parts were unreadable. */
  readonly blockedBy?: readonly RecordPart[] | undefined;
  /** The facts this criterion established, for the documentation form. */
  readonly documented?: Partial<DocumentedFacts> | undefined;
}

/** True when a record entry could have happened on or before a day (undated entries could). */
export function onOrBefore(date: PartialDate | undefined, day: Day): boolean {
  return date === undefined || compareDays(earliestDay(date), day) <= 0;
}

export function unavailableAmong(context: AssessmentContext, parts: readonly RecordPart[]): RecordPart[] {
  return parts.filter((p) => context.unavailable.has(p));
}
