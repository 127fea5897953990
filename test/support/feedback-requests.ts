import { randomUUID } from 'node:crypto';

/** CDS Hooks 2.0 feedback bodies, shaped like the specification's examples. */

export interface FeedbackItemOptions {
  card?: string;
  outcome?: 'accepted' | 'overridden';
  acceptedSuggestions?: { id: string }[];
  overrideReason?: Record<string, unknown>;
  outcomeTimestamp?: string;
}

export function buildFeedbackItem(options: FeedbackItemOptions = {}): Record<string, unknown> {
  const outcome = options.outcome ?? 'overridden';
  const item: Record<string, unknown> = { card: options.card ?? randomUUID(), outcome, outcomeTimestamp: options.outcomeTimestamp ?? '2026-06-15T14:34:00Z' };
  if (options.acceptedSuggestions) item['acceptedSuggestions'] = options.acceptedSuggestions;
  if (options.overrideReason) item['overrideReason'] = options.overrideReason;
  return item;
}

export function buildFeedbackRequest(...items: Record<string, unknown>[]): { feedback: Record<string, unknown>[] } {
  return { feedback: items.length > 0 ? items : [buildFeedbackItem()] };
}
