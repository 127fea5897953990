import type { BundleEntry } from './bundle-references.js';
import { describe, isObject, objects, text, type Fail, type Json } from './fhir-json.js';

/**
 * What the PAS Bundle profiles (profile-pas-request-bundle,
 * profile-pas-response-bundle, the inquiry Bundles) have in common: a
 * collection with a timestamp (and, for requests and responses, the
 * submitter's transaction identifier), entries with fullUrl and resource and
 * no search/request/response; each resource instance at most once (spec-14,
 * spec-31).
 */
export function checkBundleShape(bundle: unknown, path: string, profile: string, fail: Fail, expect: { identifier: boolean }): bundle is Json {
  if (!isObject(bundle) || bundle['resourceType'] !== 'Bundle') {
    fail(profile, `${path} must be a Bundle`);
    return false;
  }
  if (bundle['type'] !== 'collection') fail(profile, `${path}.type must be collection`);
  const identifier = isObject(bundle['identifier']) ? bundle['identifier'] : undefined;
  if (expect.identifier && (!text(identifier?.['system']) || !text(identifier?.['value']))) fail(profile, `${path}.identifier (the submitter's transaction id, system and value) is required`);
  if (!text(bundle['timestamp'])) fail(profile, `${path}.timestamp is required`);
  const entries = objects(bundle['entry']);
  if (entries.length === 0) fail(profile, `${path} has no entry (1..*)`);
  entries.forEach((e, i) => {
    if (!text(e['fullUrl'])) fail(profile, `${path}.entry[${i}].fullUrl is required`);
    if (!isObject(e['resource'])) fail(profile, `${path}.entry[${i}].resource is required`);
    for (const element of ['search', 'request', 'response']) if (e[element] !== undefined) fail(profile, `${path}.entry[${i}].${element} is not allowed`);
  });
  return true;
}

/** Each resource instance at most once: no fullUrl twice, no resource type and id twice. */
export function checkDuplicates(entries: readonly BundleEntry[], key: string, fail: Fail, path = 'the Bundle'): void {
  const seen = new Set<string>();
  for (const e of entries) {
    for (const name of [e.fullUrl, e.resource?.['id'] !== undefined ? describe(e.resource) : undefined]) {
      if (name === undefined) continue;
      if (seen.has(name)) fail(key, `${name} appears twice in ${path}; each resource instance appears at most once`);
      seen.add(name);
    }
  }
}

