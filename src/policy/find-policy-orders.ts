import type { CodeableConcept, Coding, Extension, FhirResource, Medication, MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import type { CodeMatch } from '../fhir/code-set.js';
import { codingsOf } from '../fhir/codes.js';
import { resolveMedication } from '../fhir/references.js';
import type { CompiledPolicy } from './compiled-policy.js';

/** CRD 2.2 ext-billing-options: billing codes (e.g. HCPCS Q2053) sent next to the clinical code. */
export const BILLING_OPTIONS_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options';

/** Order resource types CDS Hooks order-sign/order-select may carry (R4). */
export const ORDER_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'MedicationRequest',
  'ServiceRequest',
  'DeviceRequest',
  'NutritionOrder',
  'VisionPrescription',
  'CommunicationRequest',
]);

export type PolicyOrderMatch =
  | { readonly kind: 'match'; readonly match: CodeMatch }
  | { readonly kind: 'no-match' }
  /** The order names its drug only by a Medication reference we do not have yet. */
  | { readonly kind: 'unresolved-medication'; readonly reference: string };

/**
 * Whether an order is for the policy's product (Tecartus): coded as HCPCS
 * Q2053/C9073, RxNorm or NDC, on the MedicationRequest's medication, on a
 * Medication it references (contained, in draftOrders or in prefetch), on a
 * ServiceRequest's code, or in the CRD billing-options extension.
 */
export function matchPolicyOrder(order: FhirResource, policy: CompiledPolicy, medications: readonly Medication[]): PolicyOrderMatch {
  const product = policy.codeSets.tecartusProduct;
  if (order.resourceType === 'MedicationRequest') {
    const request = order as MedicationRequest;
    const own = product.matchAny(conceptCodings(request.medicationCodeableConcept, request.extension));
    if (own) return { kind: 'match', match: own };
    if (request.medicationReference) {
      const medication = resolveMedication(request.medicationReference, request, medications);
      if (!medication) {
        const reference = request.medicationReference.reference;
        return typeof reference === 'string' && !reference.startsWith('#') ? { kind: 'unresolved-medication', reference } : { kind: 'no-match' };
      }
      const viaMedication = product.matchAny(conceptCodings(medication.code, medication.extension));
      if (viaMedication) return { kind: 'match', match: viaMedication };
    }
    return { kind: 'no-match' };
  }
  if (order.resourceType === 'ServiceRequest') {
    const request = order as ServiceRequest;
    const m = product.matchAny(conceptCodings(request.code, request.extension));
    return m ? { kind: 'match', match: m } : { kind: 'no-match' };
  }
  return { kind: 'no-match' };
}

function conceptCodings(concept: CodeableConcept | undefined, rootExtensions: Extension[] | undefined): Coding[] {
  const codings = codingsOf(concept);
  for (const ext of [...(concept?.extension ?? []), ...(rootExtensions ?? [])]) {
    if (ext.url !== BILLING_OPTIONS_URL) continue;
    codings.push(...codingsOf(ext.valueCodeableConcept));
    if (ext.valueCoding) codings.push(ext.valueCoding);
  }
  return codings;
}
