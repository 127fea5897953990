import type { Coding, FhirResource } from 'fhir/r4.js';
import type { CodeMatch } from '../fhir/code-set.js';
import { referenceTo } from '../fhir/references.js';
import type { Evidence } from './decision.js';

/**
 * Builds the evidence line a clinician reads, in the form
 * "Procedure 38228, CAR-T administration, 2025-03-02".
 */
export function codedEvidence(
  resource: FhirResource,
  match: CodeMatch,
  label: string,
  date: string | undefined,
  qualifier?: string,
): Evidence {
  return evidenceOf(resource, match.coding, match.coding.code ?? match.entry.code, label, date, qualifier);
}

/** Evidence from free text (trial products with no code): the text is quoted. */
export function textEvidence(resource: FhirResource, text: string, label: string, date: string | undefined, qualifier?: string): Evidence {
  const quoted = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return evidenceOf(resource, undefined, `"${quoted}"`, label, date, qualifier);
}

function evidenceOf(
  resource: FhirResource,
  coding: Coding | undefined,
  shown: string,
  label: string,
  date: string | undefined,
  qualifier: string | undefined,
): Evidence {
  const parts = [`${resource.resourceType} ${shown}`, label];
  if (qualifier) parts.push(qualifier);
  parts.push(date ?? 'undated');
  return {
    reference: referenceTo(resource),
    description: parts.join(', '),
    code: coding?.code ? { system: coding.system, code: coding.code, display: coding.display } : undefined,
    date,
  };
}

/** Fills `{name}` placeholders; unknown names are left as written. */
export function fillText(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
