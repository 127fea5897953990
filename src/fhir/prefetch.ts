import type { Bundle, FhirResource, Medication, OperationOutcome, Organization } from 'fhir/r4.js';
import type { UnavailablePart } from './patient-record.js';
import type { RecordSource } from './record-sources.js';

/** What one prefetch key held. */
export type PrefetchValue =
  /** The client ran the query and found nothing (CDS Hooks: the value is null). */
  | { readonly state: 'empty' }
  /** The resources the query returned; `next` is the link to further pages, if any. */
  | { readonly state: 'data'; readonly resources: readonly FhirResource[]; readonly next?: string | undefined }
  /** The key is absent, or the client's query failed (an OperationOutcome in its place). */
  | { readonly state: 'missing'; readonly reason: string };

export interface PrefetchReading {
  readonly values: ReadonlyMap<string, PrefetchValue>;
  /** Medications found anywhere in prefetch (searchsets may _include them). */
  readonly medications: readonly Medication[];
  /** Organizations found anywhere in prefetch (a Coverage's payor). */
  readonly organizations: readonly Organization[];
  /** Keys whose value is not what the template can return: that part of the record is unreadable (not queried: the EHR did answer). */
  readonly unreadable: readonly UnavailablePart[];
}

/**
 * Reads the prefetch values for the record sources, following CDS Hooks 2.0:
 * null = no data; absent or an OperationOutcome = not prefetched (the service
 * must query); otherwise the resource or searchset Bundle.
 */
export function readPrefetch(prefetch: Readonly<Record<string, unknown>> | undefined, sources: readonly RecordSource[]): PrefetchReading {
  const values = new Map<string, PrefetchValue>();
  const unreadable: UnavailablePart[] = [];
  const medications: Medication[] = [];
  const organizations: Organization[] = [];
  const all = prefetch ?? {};

  for (const value of Object.values(all)) {
    collect(value, 'Medication', medications);
    collect(value, 'Organization', organizations);
  }

  for (const source of sources) {
    if (!Object.hasOwn(all, source.key)) {
      values.set(source.key, { state: 'missing', reason: 'not prefetched' });
      continue;
    }
    const value = all[source.key];
    const path = `prefetch.${source.key}`;
    if (value === null) {
      values.set(source.key, { state: 'empty' });
      continue;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      values.set(source.key, { state: 'empty' });
      unreadable.push({ part: source.part, reason: `${path} must be a ${source.resourceType}${source.kind === 'search' ? ' searchset Bundle' : ''}, an OperationOutcome or null, not ${Array.isArray(value) ? 'an array' : `a ${typeof value}`}` });
      continue;
    }
    const resource = value as FhirResource;
    if (resource.resourceType === 'OperationOutcome') {
      values.set(source.key, { state: 'missing', reason: `the EHR's prefetch query failed: ${outcomeText(resource)}` });
      continue;
    }
    if (resource.resourceType === source.resourceType) {
      values.set(source.key, { state: 'data', resources: [resource] });
      continue;
    }
    if (resource.resourceType === 'Bundle') {
      const bundle = resource as Bundle;
      // One entry sent as an object is read as a one-item array; an entry that holds no resource makes the part unreadable.
      const entries: unknown[] = Array.isArray(bundle.entry) ? bundle.entry : bundle.entry !== undefined && bundle.entry !== null ? [bundle.entry] : [];
      const resources: FhirResource[] = [];
      entries.forEach((e, i) => {
        const r = (e as { resource?: unknown } | null)?.resource;
        if (r !== null && typeof r === 'object' && typeof (r as { resourceType?: unknown }).resourceType === 'string') {
          if ((r as FhirResource).resourceType === source.resourceType) resources.push(r as FhirResource);
        } else {
          unreadable.push({ part: source.part, reason: `${path}.entry[${i}].resource is not a FHIR resource` });
        }
      });
      const next = (Array.isArray(bundle.link) ? bundle.link : []).find((l) => l?.relation === 'next')?.url;
      values.set(source.key, { state: 'data', resources, next: typeof next === 'string' ? next : undefined });
      continue;
    }
    values.set(source.key, { state: 'empty' });
    unreadable.push({ part: source.part, reason: `${path} must be a ${source.resourceType}${source.kind === 'search' ? ' searchset Bundle' : ''}, an OperationOutcome or null, not ${typeof resource.resourceType === 'string' ? `a ${resource.resourceType}` : 'an object without a resourceType'}` });
  }
  return { values, medications, organizations, unreadable };
}

export function outcomeText(outcome: OperationOutcome): string {
  const texts = (Array.isArray(outcome.issue) ? outcome.issue : []).map((i) => i?.details?.text ?? i?.diagnostics ?? i?.code).filter((t): t is string => typeof t === 'string');
  return texts.length > 0 ? texts.join('; ').slice(0, 300) : 'no details given';
}

function collect<T extends FhirResource>(value: unknown, type: T['resourceType'], into: T[]): void {
  if (value === null || typeof value !== 'object') return;
  const resource = value as FhirResource;
  if (resource.resourceType === type) into.push(resource as T);
  else if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    for (const e of resource.entry) if (e?.resource?.resourceType === type) into.push(e.resource as T);
  }
}
