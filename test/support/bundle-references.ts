import { isObject, objects, text, type Json } from './fhir-json.js';

/**
 * Resolving references inside a Bundle, the way FHIR R4 says
 * (bundle.html#references): an absolute URL or a urn:uuid matches an entry's
 * fullUrl exactly; a relative reference ("Patient/1") is made absolute with the
 * base of the fullUrl of the entry that holds it, when that fullUrl is a
 * RESTful URL. The Inferno PAS kit resolves the same way
 * (pas_bundle_validation.rb#check_presence_of_referenced_resources).
 */
export interface BundleEntry {
  readonly fullUrl: string | undefined;
  readonly resource: Json | undefined;
}

export function bundleEntries(bundle: unknown): BundleEntry[] {
  return objects(isObject(bundle) ? bundle['entry'] : undefined).map((e) => ({
    fullUrl: text(e['fullUrl']),
    resource: isObject(e['resource']) ? e['resource'] : undefined,
  }));
}

const RESTFUL = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The server base of a RESTful URL (https://ehr.example.org/fhir/Patient/1 → https://ehr.example.org/fhir). */
export function restBase(fullUrl: string | undefined): string | undefined {
  return fullUrl ? RESTFUL.exec(fullUrl)?.[1] : undefined;
}

/** The reference as an absolute URL (or urn), resolved against the fullUrl of the entry that holds it; undefined when it cannot be. */
export function absoluteReference(reference: string, holderFullUrl: string | undefined): string | undefined {
  const withoutHistory = reference.replace(/\/_history\/[^/]+$/, '');
  if (/^(https?:|urn:)/.test(withoutHistory)) return withoutHistory;
  const base = restBase(holderFullUrl);
  return base ? `${base}/${withoutHistory}` : undefined;
}

/** The entries a reference names: every entry whose fullUrl is the resolved reference. */
export function entriesNamed(entries: readonly BundleEntry[], reference: string, holderFullUrl: string | undefined): BundleEntry[] {
  const absolute = absoluteReference(reference, holderFullUrl);
  return absolute === undefined ? [] : entries.filter((e) => e.fullUrl === absolute);
}

export interface FoundReference {
  /** Where it is, e.g. "ClaimResponse.item[0].extension[1].valueReference". */
  readonly path: string;
  readonly reference: string;
}

/**
 * Every Reference (an object with a string `reference`) in a resource, except
 * references to contained resources ("#id"). `skip` leaves out an element of
 * the resource (its top-level name), with everything under it.
 */
export function referencesIn(resource: Json, skip: (element: string) => boolean = () => false): FoundReference[] {
  const found: FoundReference[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, `${path}[${i}]`));
      return;
    }
    if (!isObject(node)) return;
    const reference = text(node['reference']);
    if (reference && !reference.startsWith('#')) found.push({ path, reference });
    for (const [key, value] of Object.entries(node)) {
      if (key === 'resource' || key === 'contained') continue;
      visit(value, `${path}.${key}`);
    }
  };
  const type = String(resource['resourceType']);
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'contained' || skip(key)) continue;
    visit(value, `${type}.${key}`);
  }
  return found;
}

export interface UnresolvedReference extends FoundReference {
  /** The entry whose resource holds the reference. */
  readonly holder: string;
  /** How many entries it names (it must name exactly one). */
  readonly matches: number;
}

/**
 * Follows every reference from `start`, and from each resource reached, through
 * the Bundle. Returns the entries reached and the references that do not name
 * exactly one entry. `skip(resource, element)` leaves an element unfollowed.
 */
export function followReferences(
  entries: readonly BundleEntry[],
  start: BundleEntry,
  skip: (resource: Json, element: string, isStart: boolean) => boolean = () => false,
): { reached: Set<BundleEntry>; unresolved: UnresolvedReference[] } {
  const reached = new Set<BundleEntry>([start]);
  const unresolved: UnresolvedReference[] = [];
  const queue: BundleEntry[] = [start];
  while (queue.length > 0) {
    const entry = queue.shift()!;
    const resource = entry.resource;
    if (!resource) continue;
    for (const found of referencesIn(resource, (element) => skip(resource, element, entry === start))) {
      const named = entriesNamed(entries, found.reference, entry.fullUrl);
      if (named.length !== 1) unresolved.push({ ...found, holder: entry.fullUrl ?? '(no fullUrl)', matches: named.length });
      for (const next of named) {
        if (reached.has(next)) continue;
        reached.add(next);
        queue.push(next);
      }
    }
  }
  return { reached, unresolved };
}
