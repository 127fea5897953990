import { dayIn, formatDay } from '../fhir/dates.js';
import type { ReportRows } from './decision-store.js';

/** Decisions per day, outcome and reason code; feedback per day, outcome, card finding and override reason. */
export interface DecisionReport {
  readonly decisions: readonly { day: string; outcome: string; reason: string; orders: number }[];
  readonly feedback: readonly { day: string; outcome: string; finding: string; reason: string; cards: number }[];
}

const OUTCOME_ORDER = ['not-covered', 'indeterminate', 'conditional', 'covered'];
const NONE = '-';

/**
 * Counts the report from the stored rows. Each order of each hook call counts
 * once (a retried hookInstance is not counted again), under each of its
 * finding codes, or under "-" when nothing stands in the way. Days are
 * calendar days in `timeZone`.
 */
export function summarizeReport(rows: ReportRows, timeZone: string): DecisionReport {
  const decisions = new Map<string, { day: string; outcome: string; reason: string; orders: number }>();
  const seen = new Set<string>();
  for (const d of [...rows.decisions].sort((a, b) => a.answeredAt.getTime() - b.answeredAt.getTime())) {
    const key = `${d.callKey}\n${d.order}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const day = formatDay(dayIn(timeZone, d.answeredAt));
    for (const reason of d.findings.length > 0 ? [...new Set(d.findings)] : [NONE]) {
      const k = `${day}\n${d.determination}\n${reason}`;
      const row = decisions.get(k) ?? { day, outcome: d.determination, reason, orders: 0 };
      row.orders += 1;
      decisions.set(k, row);
    }
  }
  const feedback = new Map<string, { day: string; outcome: string; finding: string; reason: string; cards: number }>();
  for (const f of rows.feedback) {
    const day = formatDay(dayIn(timeZone, f.outcomeTimestamp));
    const finding = f.finding ?? NONE;
    const reason = f.outcome === 'overridden' ? (f.reason ?? '(no reason given)') : NONE;
    const k = `${day}\n${f.outcome}\n${finding}\n${reason}`;
    const row = feedback.get(k) ?? { day, outcome: f.outcome, finding, reason, cards: 0 };
    row.cards += 1;
    feedback.set(k, row);
  }
  const rank = (outcome: string) => {
    const i = OUTCOME_ORDER.indexOf(outcome);
    return i < 0 ? OUTCOME_ORDER.length : i;
  };
  return {
    decisions: [...decisions.values()].sort((a, b) => a.day.localeCompare(b.day) || rank(a.outcome) - rank(b.outcome) || a.reason.localeCompare(b.reason)),
    feedback: [...feedback.values()].sort(
      (a, b) => a.day.localeCompare(b.day) || b.outcome.localeCompare(a.outcome) || a.finding.localeCompare(b.finding) || a.reason.localeCompare(b.reason),
    ),
  };
}

/** The report as plain-text tables. */
export function formatReport(report: DecisionReport, heading: { days: number; timeZone: string; store: string }): string {
  const lines = [`Tecartus coverage decisions and feedback, last ${heading.days} days (days in ${heading.timeZone}; store: ${heading.store})`, ''];
  lines.push('Decisions by outcome and reason code (orders)');
  lines.push(
    ...table(
      ['day', 'outcome', 'reason', 'orders'],
      report.decisions.map((r) => [r.day, r.outcome, r.reason, String(r.orders)]),
    ),
  );
  lines.push('', 'Feedback: accepted and overridden cards, by override reason');
  lines.push(
    ...table(
      ['day', 'outcome', 'card finding', 'override reason', 'cards'],
      report.feedback.map((r) => [r.day, r.outcome, r.finding, r.reason, String(r.cards)]),
    ),
  );
  return `${lines.join('\n')}\n`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return ['(none)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) => rows.every((r) => /^\d+$/.test(r[i]!)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
