import type { FhirResource } from 'fhir/r4.js';
import { referenceTo } from '../../fhir/references.js';
import type { OrderCheck } from '../compiled-policy.js';
import type { Evidence } from '../decision.js';

/** Runs the policy's FHIRPath checks on one resource; each hit becomes a line of evidence. */
export function runChecks(checks: readonly OrderCheck[], resource: FhirResource): Evidence[] {
  const out: Evidence[] = [];
  for (const check of checks) {
    const values = check.evaluate(resource);
    if (values.length === 0) continue;
    out.push({ reference: referenceTo(resource), description: `${resource.resourceType} ${resource.id ?? ''}: ${check.label}: ${values.map(describeValue).join('; ')}`.replace('  ', ' ') });
  }
  return out;
}

/** A short reading of a FHIRPath result value: a number, a Quantity, a Timing, a Coding. */
function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  const v = value as Record<string, unknown>;
  if ('value' in v) return [v['value'], v['unit'] ?? v['code']].filter((x) => x !== undefined).join(' ');
  // A Coding (its code is a string); a Timing's code is a CodeableConcept.
  if (typeof v['code'] === 'string') return String(v['display'] ?? v['code']);
  if ('repeat' in v || 'event' in v || 'code' in v) {
    const repeat = v['repeat'] as Record<string, unknown> | undefined;
    const parts: string[] = [];
    if (repeat) for (const key of ['count', 'countMax', 'frequency', 'frequencyMax', 'period', 'periodUnit']) if (repeat[key] !== undefined) parts.push(`${key} ${String(repeat[key])}`);
    if (Array.isArray(v['event'])) parts.push(`${v['event'].length} event dates`);
    const code = v['code'] as { coding?: { code?: string }[] } | undefined;
    if (code?.coding?.[0]?.code) parts.push(`code ${code.coding[0].code}`);
    return parts.join(', ') || 'repeating timing';
  }
  return JSON.stringify(value).slice(0, 120);
}
