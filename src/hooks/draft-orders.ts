import type { FhirResource } from 'fhir/r4.js';
import type { HookRequest } from './request-schema.js';

/**
 * The resources of context.draftOrders as sent: every entry whose resource is
 * an object with a resourceType. Entries without one cannot be an order and
 * are passed over (an order that is not Tecartus never causes a 400).
 */
export function draftEntries(request: HookRequest): FhirResource[] {
  const out: FhirResource[] = [];
  for (const entry of request.context.draftOrders.entry ?? []) {
    const resource = (entry as { resource?: unknown } | null)?.resource;
    if (resource !== null && typeof resource === 'object' && !Array.isArray(resource) && typeof (resource as { resourceType?: unknown }).resourceType === 'string' && (resource as { resourceType: string }).resourceType !== '') {
      out.push(resource as FhirResource);
    }
  }
  return out;
}
