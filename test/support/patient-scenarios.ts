import type {
  Condition,
  Coverage,
  Encounter,
  FhirResource,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import { buildCondition, buildCoverage, buildPatient, clinicalStatus, coding, concept, icd10cm, searchset } from './fhir-factories.js';

/** A patient's record as the tests describe it; turned into prefetch or served by a FHIR server. */
export interface TestRecord {
  patient?: Patient | null;
  coverage?: Coverage[];
  encounter?: Encounter;
  conditions?: Condition[];
  procedures?: Procedure[];
  medicationRequests?: MedicationRequest[];
  medicationAdministrations?: MedicationAdministration[];
  medicationStatements?: MedicationStatement[];
  serviceRequests?: ServiceRequest[];
  observations?: Observation[];
  /** Earlier encounters (not the encounter of the call). */
  encounters?: Encounter[];
}

/** An adult with relapsed mantle cell lymphoma, an active Coverage and no CAR-T history: Tecartus is covered with PA. */
export function eligibleMantleCellRecord(overrides: TestRecord = {}): TestRecord {
  return {
    patient: buildPatient(),
    coverage: [buildCoverage()],
    conditions: [buildCondition({ code: icd10cm('C83.18', 'Mantle cell lymphoma, lymph nodes of multiple sites'), clinicalStatus: clinicalStatus('relapse') })],
    procedures: [],
    medicationRequests: [],
    medicationAdministrations: [],
    medicationStatements: [],
    serviceRequests: [],
    observations: [],
    encounters: [],
    ...overrides,
  };
}

/** An adult with relapsed B-cell precursor ALL (ICD-10-CM C91.02 with SNOMED CT 277571004 for the lineage) and no CAR-T history. */
export function eligibleBCellAllRecord(overrides: TestRecord = {}): TestRecord {
  return eligibleMantleCellRecord({
    conditions: [
      buildCondition({
        code: concept(coding('icd10cm', 'C91.02', 'Acute lymphoblastic leukemia, in relapse'), coding('snomed', '277571004', 'B-cell acute lymphoblastic leukemia')),
        clinicalStatus: clinicalStatus('active'),
      }),
    ],
    ...overrides,
  });
}

/** The record as a complete CDS Hooks prefetch, keyed as discovery.json asks. */
export function asPrefetch(record: TestRecord): Record<string, FhirResource | null> {
  const prefetch: Record<string, FhirResource | null> = {};
  if (record.patient !== undefined) prefetch['patient'] = record.patient;
  if (record.coverage !== undefined) prefetch['coverage'] = searchset(record.coverage);
  if (record.encounter !== undefined) prefetch['encounter'] = record.encounter;
  for (const key of ['conditions', 'procedures', 'medicationRequests', 'medicationAdministrations', 'medicationStatements', 'serviceRequests', 'observations', 'encounters'] as const) {
    const list = record[key];
    if (list !== undefined) prefetch[key] = searchset(list);
  }
  return prefetch;
}

/** Every resource of the record, as one list (for a FHIR server to serve, or a Bundle to hold). */
export function recordResources(record: TestRecord): FhirResource[] {
  return [
    ...(record.patient ? [record.patient] : []),
    ...(record.coverage ?? []),
    ...(record.encounter ? [record.encounter] : []),
    ...(record.conditions ?? []),
    ...(record.procedures ?? []),
    ...(record.medicationRequests ?? []),
    ...(record.medicationAdministrations ?? []),
    ...(record.medicationStatements ?? []),
    ...(record.serviceRequests ?? []),
    ...(record.observations ?? []),
    ...(record.encounters ?? []),
  ];
}
