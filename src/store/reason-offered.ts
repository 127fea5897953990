import type { CodeRef, FeedbackRecord } from './decision-store.js';

/**
 * Whether a feedback's override reason is one the card offered. CDS Hooks lets
 * the client send reasons of its own; those are kept and marked as not
 * offered. A reason without a system (lenient clients) matches on code.
 */
export function reasonOffered(feedback: FeedbackRecord, offered: readonly CodeRef[]): boolean | undefined {
  const reason = feedback.overrideReason;
  if (!reason) return undefined;
  return offered.some((o) => o.code === reason.code && (reason.system === undefined || o.system === reason.system));
}
