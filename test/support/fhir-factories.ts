import type {
  Bundle,
  CodeableConcept,
  Coding,
  Condition,
  Coverage,
  Encounter,
  FhirResource,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';

/** Small factories for FHIR R4 test data: sensible defaults, any field overridable. */

export const SYSTEMS = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  hcpcs: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  hcpcsHttps: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  hcpcsBlueButton: 'https://bluebutton.cms.gov/resources/codesystem/hcpcs',
  cpt: 'http://www.ama-assn.org/go/cpt',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ndc: 'http://hl7.org/fhir/sid/ndc',
  ncit: 'http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl',
} as const;

export const coding = (system: keyof typeof SYSTEMS, code: string, display?: string): Coding => ({ system: SYSTEMS[system], code, ...(display ? { display } : {}) });
export const concept = (...codings: Coding[]): CodeableConcept => ({ coding: codings });
export const icd10cm = (code: string, display?: string) => concept(coding('icd10cm', code, display));
export const snomed = (code: string, display?: string) => concept(coding('snomed', code, display));
export const hcpcs = (code: string) => concept(coding('hcpcs', code));
export const cpt = (code: string) => concept(coding('cpt', code));
export const icd10pcs = (code: string) => concept(coding('icd10pcs', code));
export const rxnorm = (code: string) => concept(coding('rxnorm', code));
export const ndc = (code: string) => concept(coding('ndc', code));
export const textOnly = (text: string): CodeableConcept => ({ text });

export const PATIENT_ID = 'pat-1';
export const ORDER_DATE = '2026-06-15';

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}`;

export function buildPatient(overrides: Partial<Patient> = {}): Patient {
  return {
    resourceType: 'Patient',
    id: PATIENT_ID,
    name: [{ family: 'Testpatient', given: ['Alexandra'] }],
    identifier: [{ system: 'http://hospital.example.org/mrn', value: 'MRN-778899' }],
    birthDate: '1961-03-14',
    gender: 'female',
    ...overrides,
  };
}

export function buildCoverage(overrides: Partial<Coverage> = {}): Coverage {
  return {
    resourceType: 'Coverage',
    id: 'cov-1',
    status: 'active',
    beneficiary: { reference: `Patient/${PATIENT_ID}` },
    payor: [{ display: 'CarePartners of Connecticut' }],
    ...overrides,
  };
}

export function buildEncounter(overrides: Partial<Encounter> = {}): Encounter {
  return {
    resourceType: 'Encounter',
    id: 'enc-1',
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    subject: { reference: `Patient/${PATIENT_ID}` },
    ...overrides,
  };
}

export function clinicalStatus(code: string): CodeableConcept {
  return concept({ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code });
}

export function verificationStatus(code: string): CodeableConcept {
  return concept({ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code });
}

export function buildCondition(overrides: Partial<Condition> = {}): Condition {
  return {
    resourceType: 'Condition',
    id: nextId('cond'),
    clinicalStatus: clinicalStatus('active'),
    verificationStatus: verificationStatus('confirmed'),
    code: icd10cm('C83.10'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    onsetDateTime: '2024-02-01',
    ...overrides,
  };
}

export function buildProcedure(overrides: Partial<Procedure> = {}): Procedure {
  return {
    resourceType: 'Procedure',
    id: nextId('proc'),
    status: 'completed',
    code: cpt('38228'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    performedDateTime: '2025-03-02',
    ...overrides,
  };
}

export function buildMedicationAdministration(overrides: Partial<MedicationAdministration> = {}): MedicationAdministration {
  return {
    resourceType: 'MedicationAdministration',
    id: nextId('admin'),
    status: 'completed',
    medicationCodeableConcept: hcpcs('Q2041'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime: '2024-09-10',
    ...overrides,
  };
}

export function buildMedicationStatement(overrides: Partial<MedicationStatement> = {}): MedicationStatement {
  return {
    resourceType: 'MedicationStatement',
    id: nextId('stmt'),
    status: 'completed',
    medicationCodeableConcept: rxnorm('1987402'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime: '2023-05-01',
    ...overrides,
  };
}

export function buildHistoricalMedicationRequest(overrides: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: nextId('medreq'),
    status: 'completed',
    intent: 'order',
    medicationCodeableConcept: hcpcs('Q2042'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: '2023-01-10',
    ...overrides,
  };
}

/** The draft Tecartus order: a single inpatient infusion, coded with HCPCS Q2053. */
export function buildTecartusOrder(overrides: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'tecartus-order-1',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { ...hcpcs('Q2053'), text: 'Tecartus (brexucabtagene autoleucel) IV infusion' },
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: ORDER_DATE,
    requester: { reference: 'Practitioner/prac-1' },
    dosageInstruction: [{ text: 'Single IV infusion' }],
    ...overrides,
  };
}

export function buildTecartusServiceRequest(overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id: 'tecartus-sr-1',
    status: 'draft',
    intent: 'order',
    code: hcpcs('Q2053'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: ORDER_DATE,
    requester: { reference: 'Practitioner/prac-1' },
    ...overrides,
  };
}

/** An order that is not Tecartus (amoxicillin). */
export function buildOtherOrder(overrides: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'amox-1',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: rxnorm('617993'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn: ORDER_DATE,
    ...overrides,
  };
}

export function buildMedication(overrides: Partial<Medication> = {}): Medication {
  return { resourceType: 'Medication', id: nextId('med'), code: ndc('71287-219-02'), ...overrides };
}

export function searchset(resources: readonly FhirResource[]): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ resource })) };
}

export const BILLING_OPTIONS_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options';

/** A clinical code carrying the CRD ext-billing-options extension (e.g. HCPCS Q2053 next to an RxNorm code). */
export function withBillingOptions(clinical: CodeableConcept, billing: CodeableConcept): CodeableConcept {
  return { ...clinical, extension: [{ url: BILLING_OPTIONS_URL, valueCodeableConcept: billing }] };
}
