import type { OrderDecisionRecord, StoredAssertion } from './decision-store.js';

/** An order decision that carried a given coverage-assertion-id, with its call's time. */
export interface AssertionRow {
  readonly answeredAt: Date;
  readonly patientId: string;
  readonly hook: string;
  readonly record: OrderDecisionRecord;
}

/**
 * The assertion behind an id, from every decision that carried it. The id is
 * a hash of everything the assertion rests on (coverage-assertion-id.ts), so
 * re-signs and retries that carry it repeat the same decision; the first is
 * kept for each order, with the first and last time it was asserted.
 */
export function assertionFromRows(assertionId: string, rows: readonly AssertionRow[]): StoredAssertion | undefined {
  const sorted = [...rows].sort((a, b) => a.answeredAt.getTime() - b.answeredAt.getTime());
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return undefined;
  const orders = new Map<string, OrderDecisionRecord>();
  for (const row of sorted) if (!orders.has(row.record.order)) orders.set(row.record.order, row.record);
  return {
    assertionId,
    patientId: first.patientId,
    hook: first.hook,
    coverage: first.record.coverage,
    firstAssertedAt: first.answeredAt,
    lastAssertedAt: last.answeredAt,
    orders: [...orders.values()],
  };
}
