import type { FhirResource, Medication, Reference, Resource } from 'fhir/r4.js';

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

/**
 * The `medicationReference`s of medication records (orders, administrations,
 * statements) that point to a Medication neither contained nor among the
 * known ones: those the FHIR server must be asked for. Unique, in order.
 */
export function unresolvedMedicationReferences(resources: readonly FhirResource[], known: readonly Medication[]): string[] {
  const out = new Set<string>();
  for (const r of resources) {
    const holder = r as { medicationReference?: Reference; contained?: Resource[] };
    const reference = holder.medicationReference?.reference;
    if (typeof reference !== 'string' || reference.startsWith('#')) continue;
    if (parseReference(reference)?.resourceType !== 'Medication') continue;
    if (!resolveMedication(holder.medicationReference, holder, known)) out.add(reference);
  }
  return [...out];
}
