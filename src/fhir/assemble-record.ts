import type { FhirResource, Medication, Organization } from 'fhir/r4.js';
import type { PatientRecord, RecordPart, UnavailablePart } from './patient-record.js';

/** Builds a PatientRecord from the resources found for each part (prefetch and queries alike). */
export function assembleRecord(
  parts: ReadonlyMap<RecordPart, readonly FhirResource[]>,
  medications: readonly Medication[],
  organizations: readonly Organization[],
  unavailable: readonly UnavailablePart[],
): PatientRecord {
  const list = <T>(part: RecordPart) => (parts.get(part) ?? []) as readonly T[];
  const byId = new Map<string, Medication>();
  for (const m of [...medications, ...list<Medication>('medications')]) byId.set(m.id ?? `#${byId.size}`, m);
  return {
    patient: list<NonNullable<PatientRecord['patient']>>('patient')[0],
    coverages: list('coverage'),
    encounter: list<NonNullable<PatientRecord['encounter']>>('encounter')[0],
    conditions: list('conditions'),
    procedures: list('procedures'),
    medicationRequests: list('medicationRequests'),
    medicationAdministrations: list('medicationAdministrations'),
    medicationStatements: list('medicationStatements'),
    serviceRequests: list('serviceRequests'),
    observations: list('observations'),
    encounters: list('encounters'),
    medications: [...byId.values()],
    organizations,
    unavailable,
  };
}
