import type {
  Condition,
  Coverage,
  Encounter,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Organization,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';

/** The parts of a patient's record the policy reads; `order` is the draft order itself, when it could not be read. */
export type RecordPart =
  | 'patient'
  | 'coverage'
  | 'encounter'
  | 'conditions'
  | 'procedures'
  | 'medicationRequests'
  | 'medicationAdministrations'
  | 'medicationStatements'
  | 'serviceRequests'
  | 'observations'
  | 'encounters'
  | 'medications'
  | 'order';

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
  /** The encounter of the call (context.encounterId). */
  readonly encounter?: Encounter | undefined;
  readonly conditions: readonly Condition[];
  readonly procedures: readonly Procedure[];
  readonly medicationRequests: readonly MedicationRequest[];
  readonly medicationAdministrations: readonly MedicationAdministration[];
  readonly medicationStatements: readonly MedicationStatement[];
  /** Completed service orders (treatment history). */
  readonly serviceRequests: readonly ServiceRequest[];
  /** Observations: treatment history, lineage (morphology, immunophenotype), cancer disease status. */
  readonly observations: readonly Observation[];
  /** The patient's earlier encounters (their reasons can name a therapy). */
  readonly encounters: readonly Encounter[];
  /** Medications that medicationReference elements may point to. */
  readonly medications: readonly Medication[];
  /** Organizations a Coverage's payor may point to. */
  readonly organizations: readonly Organization[];
  readonly unavailable: readonly UnavailablePart[];
}
