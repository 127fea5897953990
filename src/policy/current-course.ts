import type { FhirResource, Identifier, Reference } from 'fhir/r4.js';
import type { PatientRecord } from '../fhir/patient-record.js';
import { parseReference, referenceTo } from '../fhir/references.js';

/**
 * The current Tecartus course: the orders signed in this call, the orders of
 * the same order set (same `groupIdentifier`), and every record that says it
 * carries one of them out (`basedOn`, `request`, `partOf`). None of these is
 * *prior* therapy, whatever they say about CAR-T (policy issue 10: "only this
 * course's records are excluded").
 */
export interface CurrentCourse {
  has(resource: FhirResource): boolean;
}

export function currentCourse(draftOrders: readonly FhirResource[], record: PatientRecord): CurrentCourse {
  const groups = new Set(draftOrders.map(groupKey).filter((k): k is string => k !== undefined));
  const orders = new Set(draftOrders.map(referenceTo));
  for (const r of [...record.medicationRequests, ...record.serviceRequests]) {
    const key = groupKey(r);
    if (key !== undefined && groups.has(key)) orders.add(referenceTo(r));
  }
  const carriesOut = (resource: FhirResource) =>
    linksOf(resource).some((ref) => {
      const parsed = parseReference(ref.reference);
      return parsed !== undefined && orders.has(`${parsed.resourceType}/${parsed.id}`);
    });
  return {
    has(resource) {
      if (orders.has(referenceTo(resource))) return true;
      const key = groupKey(resource);
      return (key !== undefined && groups.has(key)) || carriesOut(resource);
    },
  };
}

function groupKey(resource: FhirResource): string | undefined {
  const group = (resource as { groupIdentifier?: Identifier }).groupIdentifier;
  if (typeof group?.value !== 'string' || group.value === '') return undefined;
  return `${group.system ?? ''}|${group.value}`;
}

/** The references by which a record says which order it fulfils. */
function linksOf(resource: FhirResource): Reference[] {
  const r = resource as { basedOn?: Reference[]; request?: Reference; partOf?: Reference[] };
  return [...(Array.isArray(r.basedOn) ? r.basedOn : []), ...(r.request ? [r.request] : []), ...(Array.isArray(r.partOf) ? r.partOf : [])];
}
