import type { Medication, Reference, Resource } from 'fhir/r4.js';

export interface ParsedReference {
  readonly resourceType: string;
  readonly id: string;
}

/**
 * Parses `Type/id`, an absolute `https://host/fhir/Type/id` (optionally with
 * `/_history/n`), or returns undefined for contained (`#id`) and other forms.
 */
export function parseReference(reference: string | undefined): ParsedReference | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference.trim());
  return m ? { resourceType: m[1]!, id: m[2]! } : undefined;
}

export function referenceTo(resource: { resourceType: string; id?: string | undefined }): string {
  return `${resource.resourceType}/${resource.id ?? '(no id)'}`;
}

/** Finds the Medication a reference points to: contained in the order, or among known Medications. */
export function resolveMedication(
  ref: Reference | undefined,
  container: { contained?: Resource[] | undefined },
  known: readonly Medication[],
): Medication | undefined {
  const reference = ref?.reference;
  if (typeof reference !== 'string') return undefined;
  if (reference.startsWith('#')) {
    const id = reference.slice(1);
    return container.contained?.find((r) => r.resourceType === 'Medication' && r.id === id) as Medication | undefined;
  }
  const parsed = parseReference(reference);
  if (!parsed || parsed.resourceType !== 'Medication') return undefined;
  return known.find((m) => m.id === parsed.id);
}
