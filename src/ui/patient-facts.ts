import type { Condition, Coverage, Encounter, FhirResource, MedicationAdministration, MedicationRequest, Patient, Procedure, ServiceRequest } from 'fhir/r4.js';
import { z } from 'zod';
import { parseDay } from '../fhir/dates.js';
import { normalizedForms } from '../fhir/codes.js';
import { buildOrderRequest } from '../hooks/build-order-request.js';
import type { RecordSource } from '../fhir/record-sources.js';
import { MEMBER_ID_TYPE } from '../pas/pas-canonicals.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';

/**
 * The patient facts the preview page lets a user change, and how they become
 * a FHIR record and a complete CDS Hooks request. The coding systems are the
 * first URI the policy lists for each system, so the page's data is coded
 * the way the policy reads it.
 */
export const CLINICAL_STATUSES = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] as const;

export const PRIOR_CAR_T_CHOICES = {
  none: 'None on record',
  'procedure-38228': 'Procedure: CAR-T administration (CPT 38228), completed',
  'administration-q2041': 'Medication administration: Yescarta (HCPCS Q2041), completed',
  'history-z92850': 'Condition: personal history of CAR-T therapy (ICD-10-CM Z92.850)',
  'harvest-38225': 'Procedure: CAR-T cell harvest (CPT 38225), a year before the order',
} as const;
export type PriorCarTChoice = keyof typeof PRIOR_CAR_T_CHOICES;

/** How the record states the lineage of ALL (ICD-10-CM C91.0- cannot). */
export const LINEAGE_CHOICES = {
  '': 'Not stated (ICD-10-CM code only)',
  'b-cell-precursor': 'B-cell precursor (SNOMED CT 277571004 on the diagnosis)',
  't-cell': 'T-cell (the diagnosis says T-cell ALL)',
} as const;
export type LineageChoice = keyof typeof LINEAGE_CHOICES;

export const ORDER_CHOICES = {
  'tecartus-medication-request': 'Tecartus (HCPCS Q2053) MedicationRequest',
  'tecartus-service-request': 'Tecartus (HCPCS Q2053) ServiceRequest',
  'non-tecartus': 'Amoxicillin (not Tecartus)',
} as const;
export type OrderChoice = keyof typeof ORDER_CHOICES;

const fhirDay = (what: string) => z.string().refine((s) => parseDay(s) !== undefined, `${what} must be a date like 1961-03-14`);

export const PatientFacts = z.strictObject({
  hook: z.enum(['order-sign', 'order-select']).default('order-sign'),
  crdVersion: z.enum(['2.0', '2.2']).default('2.0'),
  orderDate: fhirDay('orderDate'),
  /** Empty: the Patient has no birth date. */
  birthDate: z.union([z.literal(''), fhirDay('birthDate')]),
  /** ICD-10-CM; empty: no diagnosis on record. */
  diagnosisCode: z
    .string()
    .trim()
    .regex(/^$|^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$/i, 'diagnosisCode must be an ICD-10-CM code like C83.18'),
  /** Empty: the Condition has no clinical status. */
  clinicalStatus: z.union([z.literal(''), z.enum(CLINICAL_STATUSES)]),
  /** For ALL: how the record states its lineage. */
  lineage: z.enum(Object.keys(LINEAGE_CHOICES) as [LineageChoice, ...LineageChoice[]]).default(''),
  priorCarT: z.enum(Object.keys(PRIOR_CAR_T_CHOICES) as [PriorCarTChoice, ...PriorCarTChoice[]]),
  setting: z.enum(['inpatient', 'outpatient']),
  refills: z.coerce.number().int().min(0).max(12),
  order: z.enum(Object.keys(ORDER_CHOICES) as [OrderChoice, ...OrderChoice[]]),
  /**
   * The order's FHIR id; default one per order kind. The page gives every
   * signing a new id, as an EHR's new order has: an approved prior
   * authorization (PAS) applies to its order only, so it does not carry over
   * to the next scenario signed (CRD q4: satisfied is per order).
   */
  orderId: z
    .string()
    .regex(/^[A-Za-z0-9\-.]{1,64}$/, 'orderId must be a FHIR id (letters, digits, - and ., at most 64)')
    .optional(),
});
export type PatientFacts = z.infer<typeof PatientFacts>;

const PATIENT_ID = 'preview-patient';
const ENCOUNTER_ID = 'preview-encounter';
const PRACTITIONER = 'Practitioner/preview-clinician';
/** The member id the plan issued (PAS profile-coverage: identifier[memberid] 1..1, type v2-0203 MB). */
const MEMBER_ID = { system: 'https://www.carepartnersct.com/fhir/sid/member-id', value: 'CP0000123456' } as const;

/** The FHIR resources the facts describe: the order and the patient's record. */
export function factsToResources(facts: PatientFacts, policy: CompiledPolicy): { order: FhirResource; record: FhirResource[] } {
  const system = systemsOf(policy);
  const subject = { reference: `Patient/${PATIENT_ID}` };
  const orderDay = parseDay(facts.orderDate)!;
  const daysBefore = (days: number) => new Date(Date.UTC(orderDay.year, orderDay.month - 1, orderDay.day - days)).toISOString().slice(0, 10);
  const outpatient = facts.setting === 'outpatient';

  const patient: Patient = { resourceType: 'Patient', id: PATIENT_ID, name: [{ family: 'Preview', given: ['Pat'] }], gender: 'female', ...(facts.birthDate ? { birthDate: facts.birthDate } : {}) };
  const coverage: Coverage = {
    resourceType: 'Coverage',
    id: 'preview-coverage',
    // PAS: the member id a prior authorization request is filed under; CRD names the Coverage by it on the Instructions card.
    identifier: [{ type: { coding: [{ ...MEMBER_ID_TYPE }] }, ...MEMBER_ID }],
    status: 'active',
    beneficiary: subject,
    payor: [{ display: policy.definition.payer.name }],
  };
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: ENCOUNTER_ID,
    status: 'in-progress',
    class: outpatient
      ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' }
      : { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
    subject,
  };
  const record: FhirResource[] = [patient, coverage, encounter];

  if (facts.diagnosisCode) {
    const condition: Condition = {
      resourceType: 'Condition',
      id: 'preview-diagnosis',
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      code: {
        coding: [
          { system: system.icd10cm, code: facts.diagnosisCode.toUpperCase(), ...displayOf(facts.diagnosisCode) },
          ...(facts.lineage === 'b-cell-precursor' ? [{ system: system.snomed, code: '277571004', display: 'B-cell acute lymphoblastic leukemia' }] : []),
        ],
        ...(facts.lineage === 't-cell' ? { text: 'T-cell acute lymphoblastic leukemia' } : {}),
      },
      subject,
      onsetDateTime: daysBefore(700),
      ...(facts.clinicalStatus ? { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: facts.clinicalStatus }] } } : {}),
    };
    record.push(condition);
  }
  record.push(...priorCarTResources(facts.priorCarT, system, subject, daysBefore));

  const common = {
    id: facts.orderId ?? (facts.order === 'tecartus-service-request' ? 'preview-tecartus-service-request' : facts.order === 'non-tecartus' ? 'preview-amoxicillin' : 'preview-tecartus-order'),
    status: 'draft' as const,
    intent: 'order' as const,
    subject,
    encounter: { reference: `Encounter/${ENCOUNTER_ID}` },
    authoredOn: facts.orderDate,
    requester: { reference: PRACTITIONER },
  };
  const category = outpatient ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' }] }] : undefined;
  const dispense = facts.refills > 0 ? { dispenseRequest: { numberOfRepeatsAllowed: facts.refills } } : {};
  let order: FhirResource;
  if (facts.order === 'tecartus-service-request') {
    const request: ServiceRequest = { resourceType: 'ServiceRequest', ...common, code: { coding: [{ system: system.hcpcs, code: 'Q2053' }], text: 'Tecartus (brexucabtagene autoleucel) IV infusion' } };
    order = request;
  } else if (facts.order === 'non-tecartus') {
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      ...common,
      medicationCodeableConcept: { coding: [{ system: system.rxnorm, code: '617993', display: 'amoxicillin 500 MG / clavulanate 125 MG Oral Tablet' }] },
      ...(category ? { category } : {}),
      ...dispense,
    };
    order = request;
  } else {
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      ...common,
      medicationCodeableConcept: { coding: [{ system: system.hcpcs, code: 'Q2053' }], text: 'Tecartus (brexucabtagene autoleucel) IV infusion' },
      ...(category ? { category } : {}),
      dosageInstruction: [{ text: 'Single IV infusion' }],
      ...dispense,
    };
    order = request;
  }
  return { order, record };
}

/** The complete CDS Hooks request for the facts. */
export function factsToRequest(facts: PatientFacts, policy: CompiledPolicy, sources: readonly RecordSource[]): Record<string, unknown> {
  const { order, record } = factsToResources(facts, policy);
  return buildOrderRequest({
    hook: facts.hook,
    patientId: PATIENT_ID,
    userId: PRACTITIONER,
    encounterId: ENCOUNTER_ID,
    orders: [order],
    record,
    crdVersion: facts.crdVersion,
    sources,
  });
}

function priorCarTResources(choice: PriorCarTChoice, system: Systems, subject: { reference: string }, daysBefore: (d: number) => string): FhirResource[] {
  switch (choice) {
    case 'none':
      return [];
    case 'procedure-38228': {
      const p: Procedure = { resourceType: 'Procedure', id: 'preview-car-t', status: 'completed', code: { coding: [{ system: system.cpt, code: '38228' }] }, subject, performedDateTime: daysBefore(450) };
      return [p];
    }
    case 'harvest-38225': {
      const p: Procedure = { resourceType: 'Procedure', id: 'preview-harvest', status: 'completed', code: { coding: [{ system: system.cpt, code: '38225' }] }, subject, performedDateTime: daysBefore(365) };
      return [p];
    }
    case 'administration-q2041': {
      const a: MedicationAdministration = {
        resourceType: 'MedicationAdministration',
        id: 'preview-yescarta',
        status: 'completed',
        medicationCodeableConcept: { coding: [{ system: system.hcpcs, code: 'Q2041' }], text: 'Yescarta (axicabtagene ciloleucel)' },
        subject,
        effectiveDateTime: daysBefore(450),
      };
      return [a];
    }
    case 'history-z92850': {
      const c: Condition = {
        resourceType: 'Condition',
        id: 'preview-car-t-history',
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
        code: { coding: [{ system: system.icd10cm, code: 'Z92.850', display: 'Personal history of Chimeric Antigen Receptor T-cell therapy' }] },
        subject,
        recordedDate: daysBefore(300),
      };
      return [c];
    }
  }
}

interface Systems {
  readonly icd10cm: string;
  readonly hcpcs: string;
  readonly cpt: string;
  readonly rxnorm: string;
  readonly snomed: string;
}

function systemsOf(policy: CompiledPolicy): Systems {
  const uris = policy.definition.codeSystems as Partial<Record<string, readonly string[]>>;
  const first = (key: keyof Systems) => {
    const uri = uris[key]?.[0];
    if (!uri) throw new Error(`the policy lists no URI for the ${key} code system`);
    return uri;
  };
  return { icd10cm: first('icd10cm'), hcpcs: first('hcpcs'), cpt: first('cpt'), rxnorm: first('rxnorm'), snomed: first('snomed') };
}

/** ICD-10-CM codes the page offers, with their titles; any other code may be typed in. */
export const DIAGNOSIS_CHOICES: readonly { readonly code: string; readonly display: string }[] = [
  { code: 'C83.18', display: 'Mantle cell lymphoma, lymph nodes of multiple sites' },
  { code: 'C83.10', display: 'Mantle cell lymphoma, unspecified site' },
  { code: 'C83.1A', display: 'Mantle cell lymphoma, in remission' },
  { code: 'C91.02', display: 'Acute lymphoblastic leukemia, in relapse' },
  { code: 'C91.00', display: 'Acute lymphoblastic leukemia not having achieved remission' },
  { code: 'C91.01', display: 'Acute lymphoblastic leukemia, in remission' },
  { code: 'C83.38', display: 'Diffuse large B-cell lymphoma, lymph nodes of multiple sites' },
  { code: 'C91.10', display: 'Chronic lymphocytic leukemia of B-cell type not having achieved remission' },
];

function displayOf(code: string): { display?: string } {
  const [form] = normalizedForms('icd10cm', code);
  const known = DIAGNOSIS_CHOICES.find((d) => normalizedForms('icd10cm', d.code)[0] === form);
  return known ? { display: known.display } : {};
}
