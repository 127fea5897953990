import type { Extension, FhirResource } from 'fhir/r4.js';
import { canonicalJson } from './coverage-assertion-id.js';
import { COVERAGE_INFORMATION_URL, coverageOf } from './coverage-information.js';
import type { CdsAction } from './types.js';

/**
 * The coverage-information system action: an `update` of the draft order
 * (same resourceType and id) carrying the extension.
 * - CRD resp-37: change nothing but the extension (a coverage-information
 *   extension for the same Coverage, or one too malformed to name its
 *   Coverage, is replaced; all else is kept as sent).
 * - CRD resp-35: no update when the order already carries the same coverage
 *   information (compared without its date).
 */
export function coverageInformationAction(order: FhirResource, extension: Extension, description: string): { action: CdsAction } | { carriedDate: string | undefined } {
  const coverage = coverageOf(extension);
  // The order as the EHR sent it (not shape-checked): only well-formed extensions are compared.
  const sent = (order as { extension?: unknown }).extension;
  // One extension sent as an object is read as a one-item array (and kept), like every element the service reads.
  const extensions = (Array.isArray(sent) ? sent : sent !== null && typeof sent === 'object' ? [sent] : []).filter((e): e is Extension => e !== null && typeof e === 'object');
  const existing = extensions.filter((e) => e.url === COVERAGE_INFORMATION_URL && coverageOf(e) === coverage);
  // The order already carries it: nothing to send; the audit record keeps the date it carries.
  if (existing.length === 1 && sameIgnoringDate(existing[0]!, extension)) return { carriedDate: (existing[0]!.extension ?? []).find((e) => e?.url === 'date')?.valueDate };
  // Replaced: ours for the same Coverage, and any coverage-information whose sub-extensions are unreadable (not an array).
  const kept = extensions.filter((e) => !(e.url === COVERAGE_INFORMATION_URL && (coverageOf(e) === coverage || !Array.isArray(e.extension))));
  const resource = { ...order, extension: [...kept, extension] } as FhirResource;
  return { action: { type: 'update', description, resource } };
}

function sameIgnoringDate(a: Extension, b: Extension): boolean {
  const strip = (e: Extension) => ({ ...e, extension: (Array.isArray(e.extension) ? e.extension : []).filter((s) => s?.url !== 'date') });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
