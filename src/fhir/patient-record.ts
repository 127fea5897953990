import type {
  Condition,
  Coverage,
  Encounter,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Patient,
  Procedure,
} from 'fhir/r4.js';

/** The parts of a patient's record the policy reads. */
export type RecordPart =
  | 'patient'
  | 'coverage'
  | 'encounter'
  | 'conditions'
  | 'procedures'
  | 'medicationRequests'
  | 'medicationAdministrations'
  | 'medicationStatements'
  | 'medications';

/** A part of the record that could not be read, and why (for the clinician's card). */
export interface UnavailablePart {
  readonly part: RecordPart;
  readonly reason: string;
}

/**
 * The patient's record as gathered for one hook call, from prefetch and
 * (when prefetch lacks something) from the EHR's FHIR server.
 */
export interface PatientRecord {
  readonly patient?: Patient | undefined;
  readonly coverages: readonly Coverage[];
  readonly encounter?: Encounter | undefined;
  readonly conditions: readonly Condition[];
  readonly procedures: readonly Procedure[];
  readonly medicationRequests: readonly MedicationRequest[];
  readonly medicationAdministrations: readonly MedicationAdministration[];
  readonly medicationStatements: readonly MedicationStatement[];
  /** Medications that medicationReference elements may point to. */
  readonly medications: readonly Medication[];
  readonly unavailable: readonly UnavailablePart[];
}
