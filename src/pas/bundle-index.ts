import type { Bundle, FhirResource } from 'fhir/r4.js';

export interface IndexedEntry {
  readonly fullUrl?: string | undefined;
  readonly resource: FhirResource;
}

/**
 * Resolves references between the entries of a Bundle as FHIR R4 says
 * (Bundle "Resolving references in Bundles"): an absolute URL or urn:uuid
 * matches a fullUrl; a relative `Type/id` is read against the base of the
 * referring entry's fullUrl, and failing that by type and id.
 */
export class BundleIndex {
  readonly entries: readonly IndexedEntry[];
  readonly #byFullUrl = new Map<string, IndexedEntry>();
  readonly #byTypeAndId = new Map<string, IndexedEntry[]>();

  constructor(bundle: Bundle) {
    this.entries = (bundle.entry ?? []).flatMap((e) => (e?.resource ? [{ fullUrl: e.fullUrl, resource: e.resource as FhirResource }] : []));
    for (const entry of this.entries) {
      if (entry.fullUrl) this.#byFullUrl.set(entry.fullUrl, entry);
      const key = `${entry.resource.resourceType}/${entry.resource.id ?? ''}`;
      this.#byTypeAndId.set(key, [...(this.#byTypeAndId.get(key) ?? []), entry]);
    }
  }

  /** The entry a reference written in `holder` points to, if the Bundle has exactly one. */
  resolve(reference: string | undefined, holder?: IndexedEntry): IndexedEntry | undefined {
    if (typeof reference !== 'string' || reference.startsWith('#')) return undefined;
    const exact = this.#byFullUrl.get(reference);
    if (exact) return exact;
    const relative = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    if (!relative) return undefined;
    const base = holder?.fullUrl && /^https?:/.test(holder.fullUrl) ? holder.fullUrl.replace(/[A-Z][A-Za-z]+\/[^/]+(?:\/_history\/[^/]+)?$/, '') : undefined;
    const fromBase = base ? this.#byFullUrl.get(`${base}${relative[1]}/${relative[2]}`) : undefined;
    if (fromBase) return fromBase;
    const byId = this.#byTypeAndId.get(`${relative[1]}/${relative[2]}`) ?? [];
    return byId.length === 1 ? byId[0] : undefined;
  }

  ofType<T extends FhirResource['resourceType']>(type: T): Extract<FhirResource, { resourceType: T }>[] {
    return this.entries.filter((e) => e.resource.resourceType === type).map((e) => e.resource as Extract<FhirResource, { resourceType: T }>);
  }

  entryOf(resource: FhirResource): IndexedEntry | undefined {
    return this.entries.find((e) => e.resource === resource);
  }

  /**
   * The entries reachable from `start` by references, each once, in the
   * order reached (a PAS response returns every resource its ClaimResponse
   * references, and theirs).
   */
  closure(start: readonly { reference: string | undefined; holder?: IndexedEntry | undefined }[]): IndexedEntry[] {
    const seen = new Set<IndexedEntry>();
    const queue = start.map((s) => this.resolve(s.reference, s.holder)).filter((e): e is IndexedEntry => e !== undefined);
    while (queue.length > 0) {
      const entry = queue.shift()!;
      if (seen.has(entry)) continue;
      seen.add(entry);
      for (const reference of referencesIn(entry.resource)) {
        const next = this.resolve(reference, entry);
        if (next && !seen.has(next)) queue.push(next);
      }
    }
    return [...seen];
  }
}

/** Every `reference` string inside a resource (contained resources' own references included). */
export function referencesIn(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [key, child] of Object.entries(v)) {
      if (key === 'reference' && typeof child === 'string') out.push(child);
      else walk(child);
    }
  };
  walk(value);
  return out;
}
