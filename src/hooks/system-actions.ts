import type { Extension, FhirResource } from 'fhir/r4.js';
import { canonicalJson } from './coverage-assertion-id.js';
import { COVERAGE_INFORMATION_URL, coverageOf } from './coverage-information.js';
import type { CdsAction } from './types.js';

/**
 * The coverage-information system action: an `update` of the draft order
 * (same resourceType and id) carrying the extension.
 * - CRD resp-37: change nothing but the extension (a coverage-information
 *   extension for the same Coverage is replaced; all else is kept as sent).
 * - CRD resp-35: no update when the order already carries the same coverage
 *   information (compared without its date).
 */
export function coverageInformationAction(order: FhirResource, extension: Extension, description: string): CdsAction | undefined {
  const coverage = coverageOf(extension);
  const existing = ((order as { extension?: Extension[] }).extension ?? []).filter((e) => e.url === COVERAGE_INFORMATION_URL && coverageOf(e) === coverage);
  if (existing.length === 1 && sameIgnoringDate(existing[0]!, extension)) return undefined;
  const kept = ((order as { extension?: Extension[] }).extension ?? []).filter((e) => !(e.url === COVERAGE_INFORMATION_URL && coverageOf(e) === coverage));
  const resource = { ...order, extension: [...kept, extension] } as FhirResource;
  return { type: 'update', description, resource };
}

function sameIgnoringDate(a: Extension, b: Extension): boolean {
  const strip = (e: Extension) => ({ ...e, extension: (e.extension ?? []).filter((s) => s.url !== 'date') });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
