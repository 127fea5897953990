import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { z } from 'zod';
import { zodIssues } from '../errors/zod-issues.js';
import { badRequestIssues, issue } from '../errors/outcomes.js';

/**
 * CDS Hooks 2.0 feedback (https://cds-hooks.hl7.org/2.0/#feedback), validated
 * once at the edge and leniently, as the spec asks of services:
 * - `overrideReason.reason` may carry only code and system (the sandbox);
 * - a bare Coding as `overrideReason` (the pre-2020 sandbox) is read as its reason;
 * - `acceptedSuggestions` may be absent on an accepted card (this service's
 *   cards carry no suggestions, so there is nothing to list);
 * - `outcomeTimestamp` may carry any offset; it is kept in UTC.
 */
const Coding = z.looseObject({
  system: z.string({ error: 'must be a string' }).min(1).optional(),
  code: z.string({ error: 'is required' }).min(1, 'must not be empty'),
  display: z.string({ error: 'must be a string' }).optional(),
});

const OverrideReason = z.preprocess(
  (value) => (isObject(value) && !('reason' in value) && !('userComment' in value) && 'code' in value ? { reason: value } : value),
  z.looseObject({
    reason: Coding.optional(),
    userComment: z.string({ error: 'must be a string' }).max(4000, 'is longer than 4000 characters').optional(),
  }),
);

const FeedbackItem = z.looseObject({
  card: z.string({ error: 'is required (the uuid of the card)' }).min(1, 'must not be empty').max(256, 'is longer than 256 characters'),
  outcome: z.enum(['accepted', 'overridden'], { error: 'must be accepted or overridden' }),
  acceptedSuggestions: z
    .array(z.looseObject({ id: z.string({ error: 'is required (the uuid of the suggestion)' }).min(1).max(256) }), { error: 'must be an array' })
    .max(100)
    .optional(),
  overrideReason: OverrideReason.optional(),
  outcomeTimestamp: z.iso.datetime({ offset: true, local: true, error: 'must be an ISO 8601 date-time such as 2021-12-11T10:05:31Z' }),
});

const FeedbackRequestSchema = z.looseObject({
  feedback: z.array(FeedbackItem, { error: 'is required: an array of feedback items' }).min(1, 'must hold at least one item').max(500, 'holds more than 500 items'),
});

export interface FeedbackItem {
  readonly card: string;
  readonly outcome: 'accepted' | 'overridden';
  readonly acceptedSuggestions: readonly string[];
  readonly overrideReason?: { readonly system?: string | undefined; readonly code: string; readonly display?: string | undefined } | undefined;
  readonly userComment?: string | undefined;
  readonly outcomeTimestamp: Date;
}

export function parseFeedbackRequest(body: unknown): FeedbackItem[] {
  if (!isObject(body)) throw badRequestIssues([issue('invalid', 'The request body must be a JSON object holding a "feedback" array (CDS Hooks 2.0 feedback).')]);
  const parsed = FeedbackRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw badRequestIssues(zodIssues(parsed.error));
  const issues: OperationOutcomeIssue[] = [];
  const items = parsed.data.feedback.map((f, i): FeedbackItem => {
    if (f.outcome === 'accepted' && f.overrideReason) issues.push(issue('invalid', `feedback[${i}].overrideReason is only for overridden cards`, [`feedback[${i}].overrideReason`]));
    if (f.outcome === 'overridden' && f.acceptedSuggestions?.length) {
      issues.push(issue('invalid', `feedback[${i}].acceptedSuggestions is only for accepted cards`, [`feedback[${i}].acceptedSuggestions`]));
    }
    const reason = f.overrideReason?.reason;
    return {
      card: f.card,
      outcome: f.outcome,
      acceptedSuggestions: (f.acceptedSuggestions ?? []).map((s) => s.id),
      overrideReason: reason ? { system: reason.system, code: reason.code, display: reason.display } : undefined,
      userComment: f.overrideReason?.userComment || undefined,
      // A time without an offset is read as UTC, as CDS Hooks requires it to be.
      outcomeTimestamp: new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(f.outcomeTimestamp) ? f.outcomeTimestamp : `${f.outcomeTimestamp}Z`),
    };
  });
  if (issues.length > 0) throw badRequestIssues(issues);
  return items;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
