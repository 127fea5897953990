/**
 * Lenient readers for FHIR JSON as it arrives (unknown shape), shared by the
 * DTR and PAS conformance checks, and the way those checks report a breach:
 * one plain sentence that starts with the rule it breaks ("oper-12: …").
 */
export type Json = Record<string, unknown>;

export function isObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** The objects of an array (anything else in it, or a non-array, reads as nothing). */
export function objects(x: unknown): Json[] {
  return Array.isArray(x) ? x.filter(isObject) : [];
}

/** A non-empty string, or undefined. */
export function text(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x : undefined;
}

export function extensionsOf(element: unknown, url: string): Json[] {
  return isObject(element) ? objects(element['extension']).filter((e) => e['url'] === url) : [];
}

export function codingsOf(concept: unknown): Json[] {
  return isObject(concept) ? objects(concept['coding']) : [];
}

/** True when some coding of the CodeableConcept has this system and one of these codes. */
export function hasCoding(concept: unknown, system: string, codes?: readonly string[]): boolean {
  return codingsOf(concept).some((c) => c['system'] === system && (!codes || codes.includes(c['code'] as string)));
}

/** `Type/id` of a resource, for messages. */
export function describe(resource: unknown): string {
  return isObject(resource) ? `${String(resource['resourceType'])}/${String(resource['id'] ?? '(no id)')}` : String(resource);
}

/** Reports a breach of the rule `key` (a statement key such as oper-12, or the profile or test kit that states it). */
export type Fail = (key: string, message: string) => void;

export function violationCollector(): { violations: string[]; fail: Fail } {
  const violations: string[] = [];
  return { violations, fail: (key, message) => violations.push(`${key}: ${message}`) };
}
