import type { RecordPart } from './patient-record.js';

/**
 * Where each part of the record comes from: its prefetch key and the FHIR
 * query behind it. The templates are discovery.json's, read once at start-up:
 * the service asks EHRs for exactly what it would query itself, and runs the
 * same template when prefetch lacks a key (one source, no copy to keep in step).
 *
 * Only CDS Hooks 2.0 tokens are used: {{context.patientId}} and
 * {{context.encounterId}}. CRD 2.2's FHIRPath tokens are not CDS Hooks 2.0.
 */
export interface RecordSource {
  readonly key: string;
  readonly part: RecordPart;
  readonly resourceType: string;
  /** A read returns one resource; a search returns a searchset Bundle. */
  readonly kind: 'read' | 'search';
  readonly template: string;
  /** Context fields the template needs; without them the part is not asked for. */
  readonly needs: readonly ('patientId' | 'encounterId')[];
  /**
   * A supplementary part (service order, observation and encounter history):
   * read when prefetched or queryable, but a request that neither prefetches
   * it nor names a fhirServer is still answered (it only adds weaker signs;
   * EHRs set up for the core templates keep working).
   */
  readonly supplementary: boolean;
}

const SUPPLEMENTARY: ReadonlySet<string> = new Set(['serviceRequests', 'observations', 'encounters']);

/** The record parts a prefetch key may fill; a discovery document naming another key is a configuration error. */
const PARTS: ReadonlySet<string> = new Set<RecordPart>([
  'patient',
  'coverage',
  'encounter',
  'conditions',
  'procedures',
  'medicationRequests',
  'medicationAdministrations',
  'medicationStatements',
  'serviceRequests',
  'observations',
  'encounters',
]);

/** The record sources a service's prefetch templates describe. Throws on a template the service cannot run. */
export function recordSources(templates: Readonly<Record<string, string>>): RecordSource[] {
  return Object.entries(templates).map(([key, template]) => {
    if (!PARTS.has(key)) throw new Error(`prefetch key "${key}" is not a part of the record the policy reads (${[...PARTS].join(', ')})`);
    const match = /^([A-Z][A-Za-z]+)(\/|\?)/.exec(template);
    if (!match) throw new Error(`prefetch template "${key}" must be a relative FHIR read (Type/{{context.x}}) or search (Type?...): ${template}`);
    const needs = [...template.matchAll(/\{\{\s*context\.(\w+)\s*\}\}/g)].map((m) => m[1]!);
    for (const n of needs) if (n !== 'patientId' && n !== 'encounterId') throw new Error(`prefetch template "${key}" uses context.${n}; only patientId and encounterId are supported`);
    return { key, part: key as RecordPart, resourceType: match[1]!, kind: match[2] === '/' ? 'read' : 'search', template, needs: needs as RecordSource['needs'], supplementary: SUPPLEMENTARY.has(key) };
  });
}

/** Replaces {{context.x}} tokens; each value is URL-encoded. */
export function fillTemplate(template: string, context: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{\{\s*context\.(\w+)\s*\}\}/g, (_, name: string) => {
    const value = context[name];
    return typeof value === 'string' ? encodeURIComponent(value) : '';
  });
}

/** The sources that apply to a call: those whose context fields are present. */
export function sourcesFor(sources: readonly RecordSource[], context: Readonly<Record<string, unknown>>): RecordSource[] {
  return sources.filter((s) => s.needs.every((n) => typeof context[n] === 'string' && context[n] !== ''));
}
