import type { Duration, Timing } from 'fhir/r4.js';
import { daysBetween, parseDay } from '../../fhir/dates.js';
import { referenceTo } from '../../fhir/references.js';
import type { AssessmentContext, CriterionAssessment } from '../assessment-context.js';
import type { Evidence } from '../decision.js';
import { runChecks } from './order-checks.js';

/** Timing codes that repeat by definition (HL7 GTSAbbreviation). */
const REPEATING_CODES = new Set(['BID', 'TID', 'QID', 'QD', 'QOD', 'Q4H', 'Q6H', 'Q8H', 'WK', 'MO', 'AM', 'PM']);
const DAYS_PER_UNIT: Readonly<Record<string, number>> = { s: 1 / 86_400, min: 1 / 1440, h: 1 / 24, d: 1, day: 1, days: 1, wk: 7, week: 7, mo: 30, a: 365 };

/**
 * Limitation: Tecartus is a one-time infusion (policy issue 10, rule 4). An
 * order asks for more when it allows refills or more than one bag, carries
 * more than one dosage instruction, or its timing repeats; two or more
 * Tecartus orders in one call ask for more too, each of them. A single
 * bounded infusion ("once": count 1, or frequency 1 within one day) does not.
 */
export function assessOneInfusion(context: AssessmentContext): CriterionAssessment {
  const { order, policy } = context;
  const reference = referenceTo(order);
  const evidence: Evidence[] = [...runChecks(policy.orderChecks.repeatDosing, order)];

  const dosages = (order as { dosageInstruction?: { timing?: Timing }[] }).dosageInstruction ?? [];
  if (dosages.length > 1) evidence.push({ reference, description: `${reference}: ${dosages.length} dosage instructions` });
  const timings = [...dosages.map((d) => d.timing), (order as { occurrenceTiming?: Timing }).occurrenceTiming].filter((t): t is Timing => t !== undefined);
  for (const timing of timings) {
    const repeats = howTimingRepeats(timing);
    if (repeats) evidence.push({ reference, description: `${reference}: dosage timing that repeats: ${repeats}` });
  }

  const others = context.policyOrders.filter((o) => referenceTo(o) !== reference);
  if (others.length > 0) evidence.push({ reference, description: `${others.length + 1} Tecartus orders are signed together: ${[reference, ...others.map(referenceTo)].join(', ')}` });

  if (evidence.length === 0) {
    if (context.unavailable.has('order')) return { result: { criterion: 'one-infusion', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy: ['order'] };
    return { result: { criterion: 'one-infusion', status: 'met', evidence: [] }, findings: [] };
  }
  return {
    result: { criterion: 'one-infusion', status: 'not-met', finding: 'repeat-dosing', evidence },
    findings: [{ code: 'repeat-dosing', determination: policy.definition.findings['repeat-dosing'].determination, evidence, notes: [], facts: {} }],
  };
}

/** How a timing asks for more than one administration, or undefined for a single one. */
export function howTimingRepeats(timing: Timing): string | undefined {
  const events = timing.event ?? [];
  if (events.length > 1) return `${events.length} event dates`;
  const code = (timing.code?.coding ?? []).find((c) => typeof c.code === 'string' && REPEATING_CODES.has(c.code.toUpperCase()));
  if (code) return `code ${code.code}`;
  const r = timing.repeat;
  if (!r) return undefined;
  if ((r.count ?? 1) > 1) return `count ${r.count}`;
  if ((r.countMax ?? 1) > 1) return `countMax ${r.countMax}`;
  if ((r.frequency ?? 1) > 1) return `frequency ${r.frequency}${r.period !== undefined ? ` per ${r.period} ${r.periodUnit ?? ''}`.trimEnd() : ''}`;
  if ((r.frequencyMax ?? 1) > 1) return `frequencyMax ${r.frequencyMax}`;
  // A period with no count repeats unless the bounds hold a single period ("once": frequency 1 within one day).
  if (r.period !== undefined && r.count === undefined && !boundedToOnePeriod(r)) return `every ${r.period} ${r.periodUnit ?? ''}`.trimEnd() + ' with no end';
  return undefined;
}

function boundedToOnePeriod(r: NonNullable<Timing['repeat']>): boolean {
  const periodDays = (r.period ?? 0) * (DAYS_PER_UNIT[r.periodUnit ?? 'd'] ?? 1);
  const bounds = boundsInDays(r.boundsDuration ?? r.boundsRange?.high, r.boundsPeriod);
  return bounds !== undefined && bounds <= Math.max(periodDays, 1);
}

function boundsInDays(duration: Duration | undefined, period: { start?: string; end?: string } | undefined): number | undefined {
  if (duration?.value !== undefined) return duration.value * (DAYS_PER_UNIT[duration.code ?? duration.unit ?? 'd'] ?? NaN);
  const start = parseDay(period?.start);
  const end = parseDay(period?.end);
  if (start && end) return daysBetween(start, end) + 1;
  return undefined;
}
