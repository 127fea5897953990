import type { FhirResource } from 'fhir/r4.js';
import { compareDays, earliestDay, type Day, type PartialDate } from '../fhir/dates.js';
import type { PatientRecord, RecordPart } from '../fhir/patient-record.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { CriterionResult, Finding } from './decision.js';

/** Everything a criterion may read: pure data, no I/O. */
export interface AssessmentContext {
  readonly policy: CompiledPolicy;
  readonly record: PatientRecord;
  /** The order being judged. */
  readonly order: FhirResource;
  /** The day ages and "prior" are judged on. */
  readonly orderDay: Day;
  /** `Type/id` of every draft order in the call: none of them is prior therapy. */
  readonly draftOrderRefs: ReadonlySet<string>;
  /** Record parts that could not be read, with the reason. */
  readonly unavailable: ReadonlyMap<RecordPart, string>;
}

/** One criterion's outcome: its result, the findings it raises, and the unreadable parts that left it open. */
export interface CriterionAssessment {
  readonly result: CriterionResult;
  readonly findings: readonly Finding[];
  /** Set when the criterion could not be settled because these parts were unreadable. */
  readonly blockedBy?: readonly RecordPart[] | undefined;
}

/** True when a record entry could have happened on or before the order day (undated entries could). */
export function onOrBefore(date: PartialDate | undefined, orderDay: Day): boolean {
  return date === undefined || compareDays(earliestDay(date), orderDay) <= 0;
}

export function unavailableAmong(context: AssessmentContext, parts: readonly RecordPart[]): RecordPart[] {
  return parts.filter((p) => context.unavailable.has(p));
}
