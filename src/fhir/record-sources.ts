import type { RecordPart } from './patient-record.js';

/**
 * Where each part of the record comes from: its prefetch key (the CRD key name
 * where CRD has one) and the FHIR query behind it. discovery.json advertises
 * exactly these templates (a test keeps the two in step), and the FHIR client
 * runs the same template when prefetch lacks the key.
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
}

export const RECORD_SOURCES: readonly RecordSource[] = [
  { key: 'patient', part: 'patient', resourceType: 'Patient', kind: 'read', template: 'Patient/{{context.patientId}}', needs: ['patientId'] },
  {
    key: 'coverage',
    part: 'coverage',
    resourceType: 'Coverage',
    kind: 'search',
    template: 'Coverage?patient={{context.patientId}}&status=active',
    needs: ['patientId'],
  },
  { key: 'encounter', part: 'encounter', resourceType: 'Encounter', kind: 'read', template: 'Encounter/{{context.encounterId}}', needs: ['encounterId'] },
  { key: 'conditions', part: 'conditions', resourceType: 'Condition', kind: 'search', template: 'Condition?patient={{context.patientId}}', needs: ['patientId'] },
  { key: 'procedures', part: 'procedures', resourceType: 'Procedure', kind: 'search', template: 'Procedure?patient={{context.patientId}}', needs: ['patientId'] },
  {
    key: 'medicationRequests',
    part: 'medicationRequests',
    resourceType: 'MedicationRequest',
    kind: 'search',
    template: 'MedicationRequest?patient={{context.patientId}}',
    needs: ['patientId'],
  },
  {
    key: 'medicationAdministrations',
    part: 'medicationAdministrations',
    resourceType: 'MedicationAdministration',
    kind: 'search',
    template: 'MedicationAdministration?patient={{context.patientId}}',
    needs: ['patientId'],
  },
  {
    key: 'medicationStatements',
    part: 'medicationStatements',
    resourceType: 'MedicationStatement',
    kind: 'search',
    template: 'MedicationStatement?patient={{context.patientId}}',
    needs: ['patientId'],
  },
];

/** Replaces {{context.x}} tokens; each value is URL-encoded. */
export function fillTemplate(template: string, context: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{\{\s*context\.(\w+)\s*\}\}/g, (_, name: string) => {
    const value = context[name];
    return typeof value === 'string' ? encodeURIComponent(value) : '';
  });
}

/** The sources that apply to a call: those whose context fields are present. */
export function sourcesFor(context: Readonly<Record<string, unknown>>): RecordSource[] {
  return RECORD_SOURCES.filter((s) => s.needs.every((n) => typeof context[n] === 'string' && context[n] !== ''));
}
