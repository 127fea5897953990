import type { Coverage, FhirResource } from 'fhir/r4.js';
import { parseReference, referenceTo } from '../fhir/references.js';
import type { CoverageChoice } from './decision.js';

/**
 * The service is the plan's own endpoint, so any active Coverage the EHR sends
 * is taken as the plan's (a payer identifier is not required). With several
 * active ones, the one the order names in `insurance` wins, else the first.
 */
export function chooseCoverage(coverages: readonly Coverage[], order: FhirResource): CoverageChoice | undefined {
  const active = coverages.filter((c) => c.status === 'active');
  if (active.length === 0) return undefined;
  const named = ((order as { insurance?: { reference?: string }[] }).insurance ?? [])
    .map((r) => parseReference(r.reference))
    .find((ref) => ref?.resourceType === 'Coverage' && active.some((c) => c.id === ref.id));
  const chosen = named ? active.find((c) => c.id === named.id)! : active[0]!;
  return { reference: referenceTo(chosen), choice: active.length === 1 ? 'single' : 'several' };
}
