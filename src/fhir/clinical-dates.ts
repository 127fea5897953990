import type {
  Condition,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Procedure,
} from 'fhir/r4.js';
import { formatPartialDate, parseFhirDate, type PartialDate } from './dates.js';

/**
 * The date a record entry happened, for evidence and for "prior to the order"
 * checks. `latest` picks the end of a period (used where a later date is the
 * safer reading, e.g. a harvest that may belong to the current course).
 */
export type DatePreference = 'start' | 'latest';

export function conditionDate(c: Condition): PartialDate | undefined {
  return parseFhirDate(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate);
}

export function procedureDate(p: Procedure, prefer: DatePreference = 'start'): PartialDate | undefined {
  const period = p.performedPeriod;
  const fromPeriod = prefer === 'latest' ? (period?.end ?? period?.start) : (period?.start ?? period?.end);
  return parseFhirDate(p.performedDateTime ?? fromPeriod);
}

export function administrationDate(a: MedicationAdministration): PartialDate | undefined {
  return parseFhirDate(a.effectiveDateTime ?? a.effectivePeriod?.start);
}

export function statementDate(s: MedicationStatement): PartialDate | undefined {
  return parseFhirDate(s.effectiveDateTime ?? s.effectivePeriod?.start ?? s.dateAsserted);
}

export function requestDate(r: MedicationRequest): PartialDate | undefined {
  return parseFhirDate(r.authoredOn);
}

export function showDate(d: PartialDate | undefined): string | undefined {
  return d ? formatPartialDate(d) : undefined;
}
