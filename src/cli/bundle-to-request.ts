import type { Bundle, FhirResource, Medication } from 'fhir/r4.js';
import type { CrdVersion } from '../hooks/crd-options.js';
import { buildOrderRequest } from '../hooks/build-order-request.js';
import type { RecordSource } from '../fhir/record-sources.js';
import { parseReference, referenceTo } from '../fhir/references.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../policy/find-policy-orders.js';
import { CliInputError } from './cli-input-error.js';

export interface BundleOptions {
  readonly hook: 'order-sign' | 'order-select';
  /** `Type/id` of the orders to judge; without it, the Bundle's draft orders and active Tecartus orders. */
  readonly orders?: readonly string[] | undefined;
  readonly crdVersion?: CrdVersion | undefined;
  /** The service's record sources: the prefetch keys to fill. */
  readonly sources: readonly RecordSource[];
}

export interface BundleRequest {
  readonly request: Record<string, unknown>;
  /** `Type/id` of the orders put in draftOrders. */
  readonly orders: readonly string[];
}

/**
 * Turns a FHIR Bundle holding one patient's record and the order into the
 * CDS Hooks request an EHR would send: the orders go to draftOrders, the rest
 * of the record to prefetch under discovery's keys. The orders are the
 * Bundle's order resources with status draft, plus any active MedicationRequest
 * or ServiceRequest for Tecartus (an order being signed is often stored active).
 */
export function bundleToOrderRequest(bundle: Bundle, policy: CompiledPolicy, options: BundleOptions): BundleRequest {
  const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is FhirResource => r !== undefined && r !== null);
  const orders = chooseOrders(resources, policy, options.orders);
  for (const order of orders) {
    if (!order.id) throw new CliInputError(`The Bundle's ${order.resourceType} order has no id; CDS Hooks draftOrders need one.`);
  }

  const patients = resources.filter((r) => r.resourceType === 'Patient');
  if (patients.length > 1) throw new CliInputError(`The Bundle holds ${patients.length} Patients; it must hold one patient's record.`);
  const patientId = patients[0]?.id ?? subjectOf(orders[0]!, 'Patient');
  if (!patientId) throw new CliInputError('The Bundle has no Patient with an id, and the order names no Patient subject.');

  const encounters = resources.filter((r) => r.resourceType === 'Encounter');
  const orderEncounter = subjectOf(orders[0]!, 'Encounter', 'encounter');
  const encounterId = orderEncounter ?? (encounters.length === 1 ? encounters[0]!.id : undefined);

  const requester = (orders[0] as { requester?: { reference?: string } }).requester?.reference;
  const userType = parseReference(requester)?.resourceType;
  const userId = userType && ['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'].includes(userType) ? requester! : 'Practitioner/unknown';

  const request = buildOrderRequest({
    hook: options.hook,
    patientId,
    userId,
    encounterId,
    orders,
    record: resources.filter((r) => r.resourceType !== 'Bundle'),
    crdVersion: options.crdVersion,
    sources: options.sources,
  });
  return { request, orders: orders.map(referenceTo) };
}

function chooseOrders(resources: readonly FhirResource[], policy: CompiledPolicy, wanted: readonly string[] | undefined): FhirResource[] {
  if (wanted && wanted.length > 0) {
    return wanted.map((ref) => {
      const found = resources.find((r) => referenceTo(r) === ref);
      if (!found) throw new CliInputError(`--order ${ref}: the Bundle holds no ${ref}.`);
      return found;
    });
  }
  const medications = resources.filter((r): r is Medication => r.resourceType === 'Medication');
  const orders = resources.filter((r) => {
    if (!ORDER_RESOURCE_TYPES.has(r.resourceType)) return false;
    const status = (r as { status?: string }).status;
    if (status === 'draft') return true;
    return status === 'active' && (r.resourceType === 'MedicationRequest' || r.resourceType === 'ServiceRequest') && matchPolicyOrder(r, policy, medications).kind === 'match';
  });
  if (orders.length === 0) {
    throw new CliInputError(
      'The Bundle holds no order to judge: no order resource with status draft and no active Tecartus MedicationRequest or ServiceRequest. Name the order with --order Type/id.',
    );
  }
  return orders;
}

/** The id of the resource of `type` a reference element of the order points to. */
function subjectOf(order: FhirResource, type: string, element = 'subject'): string | undefined {
  const parsed = parseReference((order as unknown as Record<string, { reference?: string } | undefined>)[element]?.reference);
  return parsed?.resourceType === type ? parsed.id : undefined;
}
