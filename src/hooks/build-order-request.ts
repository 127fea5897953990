import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, FhirResource } from 'fhir/r4.js';
import { sourcesFor, type RecordSource } from '../fhir/record-sources.js';
import { referenceTo } from '../fhir/references.js';
import type { CrdVersion } from './crd-options.js';

export interface OrderRequestInput {
  readonly hook: 'order-sign' | 'order-select';
  readonly patientId: string;
  readonly userId: string;
  readonly encounterId?: string | undefined;
  /** The orders being signed or selected (they go to context.draftOrders). */
  readonly orders: readonly FhirResource[];
  /** The patient's record: every resource the prefetch templates could return, in any order. */
  readonly record: readonly FhirResource[];
  readonly crdVersion?: CrdVersion | undefined;
  /** The service's record sources (its discovery prefetch templates): the prefetch keys to fill. */
  readonly sources: readonly RecordSource[];
}

/**
 * A complete CDS Hooks order-sign or order-select request whose prefetch holds
 * the patient's record, keyed exactly as discovery.json asks (the record
 * sources): a read key holds its resource, a search key a searchset Bundle (an
 * empty one when the record has nothing of that type: the query ran and found
 * nothing). A read key whose resource is not in the record is left out, so
 * the service treats it as not prefetched (CDS Hooks: it must then query, or
 * answer 412 without a fhirServer).
 */
export function buildOrderRequest(input: OrderRequestInput): Record<string, unknown> {
  const context: Record<string, unknown> = {
    userId: input.userId,
    patientId: input.patientId,
    ...(input.encounterId ? { encounterId: input.encounterId } : {}),
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: input.orders.map((resource) => ({ resource })) },
  };
  // CDS Hooks order-select: selections name the newly selected orders; here, all of them.
  if (input.hook === 'order-select') context['selections'] = input.orders.map(referenceTo);

  const orderRefs = new Set(input.orders.map(referenceTo));
  const history = input.record.filter((r) => !orderRefs.has(referenceTo(r)));
  const ids: Record<string, string | undefined> = { patientId: input.patientId, encounterId: input.encounterId };
  const prefetch: Record<string, FhirResource> = {};
  for (const source of sourcesFor(input.sources, context)) {
    const ofType = history.filter((r) => r.resourceType === source.resourceType);
    if (source.kind === 'read') {
      const wanted = ids[source.needs[0]!];
      const found = ofType.find((r) => r.id === wanted);
      if (found) prefetch[source.key] = found;
      continue;
    }
    // The coverage template asks for active Coverages only.
    const matches = source.key === 'coverage' ? ofType.filter((r) => (r as { status?: string }).status === 'active') : ofType;
    const entry: BundleEntry[] = matches.map((resource) => ({ resource, search: { mode: 'match' } }));
    // Like `_include=MedicationRequest:medication`: Medications travel with the order history.
    if (source.key === 'medicationRequests') {
      for (const resource of history.filter((r) => r.resourceType === 'Medication')) entry.push({ resource, search: { mode: 'include' } });
    }
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: matches.length, entry };
    prefetch[source.key] = bundle;
  }

  const request: Record<string, unknown> = { hookInstance: randomUUID(), hook: input.hook, context, prefetch };
  if (input.crdVersion) request['extension'] = { 'davinci-crd.requestedVersion': input.crdVersion };
  return request;
}
