import { randomUUID } from 'node:crypto';
import type {
  Bundle,
  Claim,
  ClaimSupportingInfo,
  CodeableConcept,
  Coding,
  Coverage,
  FhirResource,
  Identifier,
  MedicationRequest,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  QuestionnaireResponse,
} from 'fhir/r4.js';
import { buildCoverage, buildPatient, buildTecartusOrder, ORDER_DATE, PATIENT_ID, SYSTEMS } from './fhir-factories.js';
import { CMS_PLACE_OF_SERVICE, MEMBER_ID_TYPE, PAS_EXTENSIONS, PAS_TEMP_CODES, X12 } from './pas-canonicals.js';

/**
 * A Da Vinci PAS 2.2.1 Claim/$submit request Bundle for a Tecartus
 * MedicationRequest, as a provider's EHR sends it: the Claim first
 * (use preauthorization), then every resource it references, each once, under
 * the EHR's RESTful fullUrls (spec-12 to spec-22). Every part is overridable;
 * pasRequestViolations (pas-conformance.ts) finds no fault in the default.
 */
export const EHR_BASE = 'https://ehr.example.org/fhir';
export const INSURER_ID = 'carepartners-ct';
export const REQUESTOR_ID = 'requesting-hospital';
export const REQUESTOR_NPI = { system: 'http://hl7.org/fhir/sid/us-npi', value: '1427052729' } as const;
export const MEMBER_ID = { system: 'https://www.carepartnersct.com/fhir/sid/member-id', value: 'CP0012345678' } as const;

export interface PasRequestOptions {
  /** Default buildTecartusOrder(); sent as status active (PAS profile-medicationrequest fixes status active, intent order). */
  order?: MedicationRequest;
  /** Default buildPatient() with the member id. */
  patient?: Patient;
  /** Default: the member's CarePartners coverage (member id, payor = the insurer). */
  coverage?: Coverage;
  /** The ordering practitioner; default Practitioner prac-1 (the order's requester). */
  practitioner?: Practitioner;
  /** The DTR QuestionnaireResponse, sent as supportingInfo additionalInformation. */
  questionnaireResponse?: QuestionnaireResponse;
  /** standard: processpriority normal, X12 level of service E (elective); expedited: stat, U (urgent). Default standard. */
  priority?: 'standard' | 'expedited';
  /** Claim.identifier, the request's trace number (PAS: system urn:trnorg:<TRN03>). */
  identifier?: Identifier;
  /** Claim.diagnosis, in order; default none. */
  diagnoses?: CodeableConcept[];
  /** Other resources the order or the QuestionnaireResponse references. */
  extraResources?: FhirResource[];
  /** The EHR's FHIR base for fullUrls; default https://ehr.example.org/fhir. */
  base?: string;
  /** The requesting organisation's identifier (PAS notifications are filtered on it); default REQUESTOR_NPI. */
  requestorIdentifier?: Identifier;
  /** Claim.created and Bundle.timestamp; default the order date, 09:00 Eastern. */
  created?: string;
}

export function buildPasRequestBundle(options: PasRequestOptions = {}): Bundle {
  const base = options.base ?? EHR_BASE;
  const created = options.created ?? `${ORDER_DATE}T09:00:00-04:00`;
  const expedited = options.priority === 'expedited';
  const order: MedicationRequest = { ...(options.order ?? buildTecartusOrder()), status: 'active', intent: 'order' };
  const patient = options.patient ?? buildPatient({ identifier: [...(buildPatient().identifier ?? []), memberIdentifier()] });
  const coverage = options.coverage ?? buildPasCoverage();
  const practitioner = options.practitioner ?? buildPractitioner();
  const insurer: Organization = {
    resourceType: 'Organization',
    id: INSURER_ID,
    active: true,
    type: [{ coding: [{ system: X12.entityIdentifier, code: 'PR', display: 'Payer' }] }],
    name: 'CarePartners of Connecticut',
  };
  const requestor: Organization = { resourceType: 'Organization', id: REQUESTOR_ID, identifier: [options.requestorIdentifier ?? REQUESTOR_NPI], active: true, name: 'Requesting Hospital Cancer Center', address: [{ city: 'Hartford', state: 'CT', postalCode: '06106', country: 'US' }] };
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    id: `${practitioner.id}-role`,
    practitioner: { reference: `Practitioner/${practitioner.id}` },
    organization: { reference: `Organization/${requestor.id}` },
  };
  const supportingInfo: ClaimSupportingInfo[] = options.questionnaireResponse
    ? [
        {
          sequence: 1,
          category: { coding: [{ system: PAS_TEMP_CODES, code: 'additionalInformation' }] },
          extension: [
            {
              url: PAS_EXTENSIONS.documentInformation,
              extension: [
                { url: 'reportTypeCode', valueCodeableConcept: { coding: [{ system: X12.reportType, code: 'PY', display: "Physician's Report" }] } },
                { url: 'transmissionMethod', valueCodeableConcept: { coding: [{ system: X12.transmissionMethod, code: 'EL', display: 'Electronically Only' }] } },
              ],
            },
          ],
          valueReference: { reference: `QuestionnaireResponse/${options.questionnaireResponse.id}` },
        },
      ]
    : [];
  const claim: Claim = {
    resourceType: 'Claim',
    id: `pa-${order.id}`,
    extension: [
      { url: PAS_EXTENSIONS.levelOfServiceCode, valueCodeableConcept: { coding: [expedited ? { system: X12.levelOfService, code: 'U', display: 'Urgent' } : { system: X12.levelOfService, code: 'E', display: 'Elective' }] } },
      {
        url: PAS_EXTENSIONS.transmissionIdentifiers,
        extension: [
          { url: 'applicationSenderCode', valueString: 'EHRAPP' },
          { url: 'applicationReceiverCode', valueString: 'CAREPARTNERS' },
          // ISA06: the sending system's id, which a PAS Subscription filters on (org-identifier, spec-58).
          { url: 'interchangeSenderID', valueString: 'REQHOSP01' },
        ],
      },
    ],
    identifier: [options.identifier ?? { system: 'urn:trnorg:1234567890', value: `TRN-${order.id}` }],
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'preauthorization',
    patient: { reference: `Patient/${patient.id}` },
    created,
    insurer: { reference: `Organization/${insurer.id}` },
    provider: { reference: `PractitionerRole/${role.id}` },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: expedited ? 'stat' : 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: `Coverage/${coverage.id}` } }],
    ...(options.diagnoses?.length ? { diagnosis: options.diagnoses.map((diagnosisCodeableConcept, i) => ({ sequence: i + 1, diagnosisCodeableConcept })) } : {}),
    ...(supportingInfo.length > 0 ? { supportingInfo } : {}),
    item: [
      {
        sequence: 1,
        extension: [
          { url: PAS_EXTENSIONS.serviceItemRequestType, valueCodeableConcept: { coding: [{ system: X12.requestType, code: 'HS', display: 'Health Services Review' }] } },
          { url: PAS_EXTENSIONS.certificationType, valueCodeableConcept: { coding: [{ system: X12.certificationType, code: 'I', display: 'Initial' }] } },
          { url: PAS_EXTENSIONS.requestedService, valueReference: { reference: `MedicationRequest/${order.id}` } },
        ],
        // X12 1365 service type 1 (Medical Care): a drug given under the medical benefit.
        category: { coding: [{ system: X12.serviceType, code: '1', display: 'Medical Care' }] },
        productOrService: { coding: [billingCode(order)] },
        // CMS place of service 21 (inpatient hospital), where the order says Tecartus is given.
        locationCodeableConcept: { coding: [{ system: CMS_PLACE_OF_SERVICE, code: '21', display: 'Inpatient Hospital' }] },
        quantity: { value: 1 },
      },
    ],
  };
  const resources: FhirResource[] = [
    claim,
    patient,
    coverage,
    insurer,
    role,
    practitioner,
    requestor,
    order,
    ...(options.questionnaireResponse ? [options.questionnaireResponse] : []),
    ...(options.extraResources ?? []),
  ];
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` },
    type: 'collection',
    timestamp: created,
    entry: resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource })),
  };
}

export function memberIdentifier(): Identifier {
  return { type: { coding: [{ ...MEMBER_ID_TYPE }] }, ...MEMBER_ID };
}

/** The member's CarePartners coverage as PAS wants it: the member id (profile-coverage identifier[memberid] 1..1), the insurer as payor. */
export function buildPasCoverage(overrides: Partial<Coverage> = {}): Coverage {
  return buildCoverage({
    identifier: [memberIdentifier()],
    subscriberId: MEMBER_ID.value,
    relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }, { system: X12.relationship, code: '18' }] },
    beneficiary: { reference: `Patient/${PATIENT_ID}` },
    payor: [{ reference: `Organization/${INSURER_ID}` }],
    ...overrides,
  });
}

export function buildPractitioner(overrides: Partial<Practitioner> = {}): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: 'prac-1',
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }],
    name: [{ family: 'Oncologist', given: ['Olivia'] }],
    ...overrides,
  };
}

/** The order's HCPCS code under PAS's http:// system URI (CRD and payers also write https://), else its NDC. */
function billingCode(order: MedicationRequest): Coding {
  const codings = order.medicationCodeableConcept?.coding ?? [];
  const hcpcs = codings.find((c) => c.system === SYSTEMS.hcpcs || c.system === SYSTEMS.hcpcsHttps);
  if (hcpcs) return { system: SYSTEMS.hcpcs, code: hcpcs.code! };
  const ndc = codings.find((c) => c.system === SYSTEMS.ndc);
  if (ndc) return { system: SYSTEMS.ndc, code: ndc.code! };
  throw new Error(`MedicationRequest/${order.id} carries no HCPCS or NDC code for Claim.item.productOrService`);
}
