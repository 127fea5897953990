import type { PaRequestRecord } from '../store/pa-request-store.js';

/** Time from receipt to decision, in hours. */
export interface DecisionTimes {
  readonly decided: number;
  readonly averageHours?: number | undefined;
  readonly medianHours?: number | undefined;
}

/**
 * The prior authorization figures a Medicare Advantage plan publishes
 * (CMS-0057-F): requests received, approved automatically or after review,
 * denied, still pending, overdue, and the time to a decision for standard
 * and expedited requests.
 */
export interface PaReport {
  readonly received: number;
  readonly approvedAutomatically: number;
  readonly approvedAfterReview: number;
  readonly denied: number;
  /** Waiting for a reviewer (pended, or more information asked for). */
  readonly pending: number;
  /** Past the deadline: still waiting, or decided after it. */
  readonly overdue: number;
  readonly standard: DecisionTimes;
  readonly expedited: DecisionTimes;
}

export function summarizePaRequests(requests: readonly PaRequestRecord[], now: Date): PaReport {
  const decided = requests.filter((r) => r.status === 'certified' || r.status === 'not-certified');
  const open = requests.filter((r) => r.status === 'pended' || r.status === 'information-requested');
  const times = (priority: PaRequestRecord['priority']): DecisionTimes => {
    const hours = decided.filter((r) => r.priority === priority && r.decidedAt).map((r) => (r.decidedAt!.getTime() - r.receivedAt.getTime()) / 3_600_000).sort((a, b) => a - b);
    if (hours.length === 0) return { decided: 0 };
    const middle = Math.floor(hours.length / 2);
    const median = hours.length % 2 === 1 ? hours[middle]! : (hours[middle - 1]! + hours[middle]!) / 2;
    return { decided: hours.length, averageHours: hours.reduce((a, b) => a + b, 0) / hours.length, medianHours: median };
  };
  return {
    received: requests.length,
    approvedAutomatically: decided.filter((r) => r.status === 'certified' && r.decidedBy === 'engine').length,
    approvedAfterReview: decided.filter((r) => r.status === 'certified' && r.decidedBy !== 'engine').length,
    denied: decided.filter((r) => r.status === 'not-certified').length,
    pending: open.length,
    overdue: open.filter((r) => r.dueAt < now).length + decided.filter((r) => r.decidedAt && r.decidedAt > r.dueAt).length,
    standard: times('standard'),
    expedited: times('expedited'),
  };
}

/** The figures as plain-text lines for `npm run report`. */
export function formatPaReport(report: PaReport): string {
  const hours = (h: number | undefined) => (h === undefined ? '-' : h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(1)} h`);
  const rows: [string, string][] = [
    ['requests received', String(report.received)],
    ['approved automatically', String(report.approvedAutomatically)],
    ['approved after review', String(report.approvedAfterReview)],
    ['denied (all by a reviewer)', String(report.denied)],
    ['pending review', String(report.pending)],
    ['overdue (past 72 h, 24 h expedited)', String(report.overdue)],
    ['time to decision, standard: average / median', `${hours(report.standard.averageHours)} / ${hours(report.standard.medianHours)} (${report.standard.decided} decided)`],
    ['time to decision, expedited: average / median', `${hours(report.expedited.averageHours)} / ${hours(report.expedited.medianHours)} (${report.expedited.decided} decided)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['Prior authorization requests (Da Vinci PAS)', ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`)].join('\n') + '\n';
}
