import type { CodeableConcept, Coding, Extension, FhirResource, Medication, MedicationRequest, ServiceRequest } from 'fhir/r4.js';
import type { CodeMatch } from '../fhir/code-set.js';
import { codingsOf, textsOf } from '../fhir/codes.js';
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
  | { readonly kind: 'match'; readonly match: CodeMatch; readonly identifiedBy: 'standard-code' }
  /** Named only in text or by a local code ("Tecartus", "brexucabtagene"): judged, with a note asking for a standard code. */
  | { readonly kind: 'match'; readonly text: string; readonly identifiedBy: 'text-or-local-code' }
  | { readonly kind: 'no-match' }
  /** The order names its drug only by a Medication reference we do not have yet. */
  | { readonly kind: 'unresolved-medication'; readonly reference: string };

/**
 * Whether an order is for the policy's product (Tecartus): coded as HCPCS
 * Q2053/C9073, RxNorm or NDC, on the MedicationRequest's medication, on a
 * Medication it references (contained, in draftOrders or in prefetch), on a
 * ServiceRequest's code, or in the CRD billing-options extension; failing
 * any such code, named in the words of those concepts (local formulary codes
 * and free text: policy issue 10, rule 4).
 */
export function matchPolicyOrder(order: FhirResource, policy: CompiledPolicy, medications: readonly Medication[]): PolicyOrderMatch {
  const product = policy.codeSets.tecartusProduct;
  // Only an order with no standard code at all: "tocilizumab (RxNorm) for Tecartus CRS" is another drug.
  const byWords = (...concepts: (CodeableConcept | undefined)[]): PolicyOrderMatch => {
    if (codingsOf(...concepts).some((c) => policy.aliases.keyOf(c.system) !== undefined)) return { kind: 'no-match' };
    // "Tecartus evaluation", "referral for Tecartus": a consultation about the drug, not an order for it.
    const text = textsOf(...concepts).find((t) => policy.policyProductName.test(t) && !policy.terms.notTherapyContext.test(t));
    return text === undefined ? { kind: 'no-match' } : { kind: 'match', text, identifiedBy: 'text-or-local-code' };
  };
  if (order.resourceType === 'MedicationRequest') {
    const request = order as MedicationRequest;
    const own = product.matchAny(conceptCodings(request.medicationCodeableConcept, request.extension));
    if (own) return { kind: 'match', match: own, identifiedBy: 'standard-code' };
    if (request.medicationReference) {
      const medication = resolveMedication(request.medicationReference, request, medications);
      if (!medication) {
        const reference = request.medicationReference.reference;
        if (typeof reference === 'string' && !reference.startsWith('#')) return { kind: 'unresolved-medication', reference };
        return byWords(request.medicationCodeableConcept, { text: request.medicationReference.display });
      }
      const viaMedication = product.matchAny(conceptCodings(medication.code, medication.extension));
      if (viaMedication) return { kind: 'match', match: viaMedication, identifiedBy: 'standard-code' };
      return byWords(medication.code, { text: request.medicationReference.display });
    }
    return byWords(request.medicationCodeableConcept);
  }
  if (order.resourceType === 'ServiceRequest') {
    const request = order as ServiceRequest;
    const m = product.matchAny(conceptCodings(request.code, request.extension));
    return m ? { kind: 'match', match: m, identifiedBy: 'standard-code' } : byWords(request.code);
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
