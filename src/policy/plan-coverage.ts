import type { Coverage, FhirResource, Identifier, Organization, Reference } from 'fhir/r4.js';
import { compareDays, earliestDay, latestDay, parseFhirDate, type Day } from '../fhir/dates.js';
import type { PatientRecord } from '../fhir/patient-record.js';
import { parseReference, referenceTo } from '../fhir/references.js';
import type { CompiledPolicy } from './compiled-policy.js';
import type { CoverageChoice, Evidence } from './decision.js';

/** Why no Coverage could be used, when active ones were sent. */
export interface CoverageProblem {
  readonly evidence: readonly Evidence[];
  readonly notes: readonly string[];
}

/**
 * The plan's own Coverage for the date of service (policy issue 10, rule 6):
 * - only a Coverage whose payor is the plan (its payer identifiers, e.g. CMS
 *   contract numbers matched on the value whatever the system, or its names),
 *   never another payer's, even when listed first or alone;
 * - its period must include the date of service; none for a patient recorded
 *   as deceased;
 * - among several of the plan's: the one the order names in `insurance`,
 *   then the lowest `Coverage.order`, then the first.
 * Active Coverages of which none can be used give a problem to report
 * (reason `eligibility`); no active Coverage at all gives neither.
 */
export function choosePlanCoverage(policy: CompiledPolicy, record: PatientRecord, order: FhirResource, serviceDay: Day): { choice?: CoverageChoice; problem?: CoverageProblem } {
  const active = record.coverages.filter((c) => c.status === 'active');
  if (active.length === 0) return {};
  const deceased = record.patient?.deceasedBoolean === true || typeof record.patient?.deceasedDateTime === 'string';
  const plans = active.filter((c) => isPlanCoverage(policy, record, c));
  const usable = deceased ? [] : plans.filter((c) => coversDay(c, serviceDay));
  if (usable.length === 0) {
    const describe = (c: Coverage, why: string): Evidence => ({ reference: referenceTo(c), description: `${describeCoverage(policy, record, c)}: ${why}` });
    const evidence = active.map((c) => {
      if (!plans.includes(c)) return describe(c, `not ${policy.definition.payer.name}`);
      if (deceased) return describe(c, 'the patient is recorded as deceased');
      const { start, end } = c.period ?? {};
      return describe(c, `its period ${start ?? '…'} to ${end ?? '…'} does not include ${dayText(serviceDay)}`);
    });
    return { problem: { evidence, notes: [] } };
  }
  const named = ((order as { insurance?: Reference[] }).insurance ?? [])
    .map((r) => parseReference(r?.reference))
    .map((ref) => usable.find((c) => ref?.resourceType === 'Coverage' && c.id === ref.id))
    .find((c) => c !== undefined);
  const ranked = [...usable].sort((a, b) => (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER));
  const chosen = named ?? ranked[0]!;
  return { choice: { reference: referenceTo(chosen), display: describeCoverage(policy, record, chosen), choice: active.length === 1 ? 'single' : 'several' } };
}

export function isPlanCoverage(policy: CompiledPolicy, record: PatientRecord, coverage: Coverage): boolean {
  const ids = new Set(policy.definition.payer.identifiers.map((i) => i.toUpperCase()));
  const isPlanId = (value: string | undefined) => typeof value === 'string' && (ids.has(value.trim().toUpperCase()) || ids.has(value.trim().toUpperCase().split('-')[0]!));
  const names = (value: string | undefined) => typeof value === 'string' && policy.payerName.test(value);
  for (const payor of Array.isArray(coverage.payor) ? coverage.payor : []) {
    if (isPlanId(payor.identifier?.value) || names(payor.display)) return true;
    const organization = organizationOf(record, coverage, payor);
    if (organization && ((organization.identifier ?? []).some((i: Identifier) => isPlanId(i.value)) || names(organization.name))) return true;
  }
  // A plan's class (group or plan) often carries its contract number, e.g. H5273-001.
  return (Array.isArray(coverage.class) ? coverage.class : []).some((c) => isPlanId(c.value) || names(c.name));
}

function organizationOf(record: PatientRecord, coverage: Coverage, payor: Reference): Organization | undefined {
  const reference = payor.reference;
  if (typeof reference !== 'string') return undefined;
  if (reference.startsWith('#')) return (coverage.contained ?? []).find((r) => r.resourceType === 'Organization' && r.id === reference.slice(1)) as Organization | undefined;
  const parsed = parseReference(reference);
  return parsed?.resourceType === 'Organization' ? record.organizations.find((o) => o.id === parsed.id) : undefined;
}

function coversDay(coverage: Coverage, day: Day): boolean {
  const start = parseFhirDate(coverage.period?.start);
  const end = parseFhirDate(coverage.period?.end);
  if (start && compareDays(earliestDay(start), day) > 0) return false;
  if (end && compareDays(latestDay(end), day) < 0) return false;
  return true;
}

/** How a card names a Coverage: the plan and the member id, not `Coverage/cov-1`. */
function describeCoverage(policy: CompiledPolicy, record: PatientRecord, coverage: Coverage): string {
  const payor = (Array.isArray(coverage.payor) ? coverage.payor : [])[0];
  const organization = payor ? organizationOf(record, coverage, payor) : undefined;
  const plan = (Array.isArray(coverage.class) ? coverage.class : []).find((c) => c.type?.coding?.some((t) => t.code === 'plan'))?.name;
  const payer = payor?.display ?? organization?.name ?? (isPlanCoverage(policy, record, coverage) ? policy.definition.payer.name : 'another payer');
  const member = coverage.subscriberId ?? (coverage.identifier ?? []).find((i) => i.type?.coding?.some((t) => t.code === 'MB'))?.value ?? coverage.identifier?.[0]?.value;
  return [plan && !payer.includes(plan) ? `${payer} ${plan}` : payer, member ? `member ID ${member}` : undefined].filter(Boolean).join(', ');
}

function dayText(day: Day): string {
  return `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
}
