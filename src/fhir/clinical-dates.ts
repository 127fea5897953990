import type {
  Condition,
  Encounter,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Procedure,
  ServiceRequest,
  Timing,
} from 'fhir/r4.js';
import { formatPartialDate, parseFhirDate, type PartialDate } from './dates.js';

/**
 * The date a record entry happened, for evidence and for "prior to the call"
 * checks. `latest` picks the end of a period (used where a later date is the
 * safer reading, e.g. a harvest that may belong to the current course).
 */
export type DatePreference = 'start' | 'latest';

export function conditionDate(c: Condition): PartialDate | undefined {
  return parseFhirDate(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate);
}

/** When a Condition was last said to hold: its recorded date when later than its onset (a status is as of its recording). */
export function conditionStatusDate(c: Condition): PartialDate | undefined {
  return parseFhirDate(c.recordedDate ?? c.onsetDateTime ?? c.onsetPeriod?.start);
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

export function serviceRequestDate(r: ServiceRequest): PartialDate | undefined {
  return parseFhirDate(r.occurrenceDateTime ?? r.occurrencePeriod?.start ?? r.authoredOn);
}

export function observationDate(o: Observation): PartialDate | undefined {
  return parseFhirDate(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued);
}

export function encounterDate(e: Encounter): PartialDate | undefined {
  return parseFhirDate(e.period?.start ?? e.period?.end);
}

/**
 * The day an order plans the service for, when it says: a dosage or
 * occurrence timing's first event or bounds, or an occurrence date or period.
 */
export function plannedDate(order: { dosageInstruction?: { timing?: Timing }[]; occurrenceDateTime?: string; occurrencePeriod?: { start?: string }; occurrenceTiming?: Timing }): PartialDate | undefined {
  const timings = [...(order.dosageInstruction ?? []).map((d) => d.timing), order.occurrenceTiming].filter((t): t is Timing => t !== undefined);
  const candidates = [
    order.occurrenceDateTime,
    order.occurrencePeriod?.start,
    ...timings.flatMap((t) => [...(t.event ?? []).slice().sort(), t.repeat?.boundsPeriod?.start]),
  ];
  for (const c of candidates) {
    const d = parseFhirDate(c);
    if (d) return d;
  }
  return undefined;
}

export function showDate(d: PartialDate | undefined): string | undefined {
  return d ? formatPartialDate(d) : undefined;
}
