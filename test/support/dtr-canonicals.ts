/**
 * Canonical URLs and codes of Da Vinci DTR (2.2.0, with 2.0.1 where it
 * differs) and the SDC extensions a DTR Questionnaire uses, as the IG sources
 * spell them (HL7/davinci-dtr@2.2.0 input/fsh; notes: dtr-pas-spec.md §1).
 */
export type DtrVersion = '2.2' | '2.0.1';

const DTR_SD = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition';
const SDC_SD = 'http://hl7.org/fhir/uv/sdc/StructureDefinition';

export const DTR_EXTENSIONS = {
  qrCoverage: `${DTR_SD}/qr-coverage`,
  qrContext: `${DTR_SD}/qr-context`,
  intendedUse: `${DTR_SD}/intendedUse`,
  informationOrigin: `${DTR_SD}/information-origin`,
  alternativeExpression: `${DTR_SD}/alternativeExpression`,
} as const;

export const SDC_EXTENSIONS = {
  cqfLibrary: 'http://hl7.org/fhir/StructureDefinition/cqf-library',
  variable: 'http://hl7.org/fhir/StructureDefinition/variable',
  launchContext: `${SDC_SD}/sdc-questionnaire-launchContext`,
  itemPopulationContext: `${SDC_SD}/sdc-questionnaire-itemPopulationContext`,
  initialExpression: `${SDC_SD}/sdc-questionnaire-initialExpression`,
  candidateExpression: `${SDC_SD}/sdc-questionnaire-candidateExpression`,
  contextExpression: `${SDC_SD}/sdc-questionnaire-contextExpression`,
} as const;

export const CQL_CONTENT_TYPE = 'text/cql';
export const ELM_CONTENT_TYPE = 'application/elm+json';

/** $questionnaire-package output parameter names: the 2.2.0 OperationDefinition and profile; the 2.0.1 output profile (which Inferno validates). */
export const PACKAGE_OUTPUT_NAMES: Record<DtrVersion, { bundle: string; outcome: string }> = {
  '2.2': { bundle: 'packagebundle', outcome: 'outcome' },
  '2.0.1': { bundle: 'PackageBundle', outcome: 'operationOutcome' },
};

/** information-origin source codes: 2.2.0 dtr-informationorigin-codes (required); 2.0.1 CodeSystem temp (auto, its child override, manual). */
export const INFORMATION_ORIGINS: Record<DtrVersion, { all: readonly string[]; automatic: readonly string[]; payer: string }> = {
  '2.2': { all: ['auto-client', 'auto-server', 'override', 'manual'], automatic: ['auto-client', 'auto-server'], payer: 'auto-server' },
  '2.0.1': { all: ['auto', 'override', 'manual'], automatic: ['auto'], payer: 'auto' },
};

/** intendedUse binds CRD DocReason: CRD 2.2.1 coverage-information-codes (2.0.1: CodeSystem temp), plus v3-NullFlavor OTH. */
export const DOC_REASON: Record<DtrVersion, { system: string; codes: readonly string[] }> = {
  '2.2': { system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/coverage-information-codes', codes: ['withpa', 'withclaim', 'withorder', 'retain-doc'] },
  '2.0.1': { system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', codes: ['withpa', 'withclaim', 'withorder', 'retain-doc'] },
};
export const NULL_FLAVOR = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor';

/** The request and encounter types an order (and a 2.2 qr-context) may be. */
export const ORDER_TYPES = [
  'Appointment',
  'Encounter',
  'CommunicationRequest',
  'DeviceRequest',
  'MedicationRequest',
  'NutritionOrder',
  'ServiceRequest',
  'SupplyRequest',
  'VisionPrescription',
] as const;
/** 2.2.0 qr-context: CRD Device/Medication/Nutrition/ServiceRequest, Encounter, Appointment. */
export const QR_CONTEXT_TYPES_2_2 = ['DeviceRequest', 'MedicationRequest', 'NutritionOrder', 'ServiceRequest', 'Encounter', 'Appointment'] as const;
