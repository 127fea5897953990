import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import { zodIssues } from '../errors/zod-issues.js';
import { draftEntries } from './draft-orders.js';
import { wellFormedAsSent } from './compiled-request-check.js';
import { HookRequestSchema, type HookRequest } from './request-schema.js';

/**
 * Validates a hook call's body for the service's hook: what CDS Hooks
 * requires, every problem at once, each with the path it concerns, in a 400
 * OperationOutcome (CRD hook-13/14).
 */
export function parseHookRequest(body: unknown, hook: 'order-sign' | 'order-select'): HookRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequestIssues([issue('invalid', 'The request body must be a JSON object (Content-Type: application/json) holding a CDS Hooks request.')]);
  }
  // The fast path for a request sent as CDS Hooks says; zod for the rest, and for the words of any 400.
  const asSent = wellFormedAsSent(body);
  if (asSent) return withHookRules(asSent, hook);
  // reportInput: zodIssues tells a missing field (required) from a wrong one (invalid) by the issue's input.
  const parsed = HookRequestSchema.safeParse(body, { reportInput: true });
  if (parsed.success) return withHookRules(parsed.data, hook);
  throw badRequestIssues(zodIssues(parsed.error).map((i) => withHook(i, hook)));
}

/** What CDS Hooks requires of the service's own hook: the hook named, and order-select's selections among the draft orders. */
function withHookRules(request: HookRequest, hook: 'order-sign' | 'order-select'): HookRequest {
  const issues: OperationOutcomeIssue[] = [];
  if (request.hook !== hook) issues.push(issue('invalid', `hook is "${request.hook}" but this service answers "${hook}"`, ['hook']));
  if (hook === 'order-select') {
    const selections = request.context.selections;
    if (!selections || selections.length === 0) {
      issues.push(issue('required', 'context.selections is required for order-select and must name at least one draft order', ['context.selections']));
    } else {
      const known = new Set(draftEntries(request).map((r) => `${r.resourceType}/${r.id}`));
      selections.forEach((s, i) => {
        if (!known.has(s)) issues.push(issue('invalid', `context.selections[${i}] "${s}" is not an order in context.draftOrders`, [`context.selections[${i}]`]));
      });
    }
  }
  if (issues.length > 0) throw badRequestIssues(issues);
  return request;
}

/** "context.draftOrders is required for order-sign": the hook named where CDS Hooks requires a field for it. */
function withHook(i: OperationOutcomeIssue, hook: string): OperationOutcomeIssue {
  if (i.code !== 'required' || i.expression?.[0] !== 'context.draftOrders') return i;
  return issue('required', `context.draftOrders is required for ${hook}: the draft orders, as a FHIR Bundle`, ['context.draftOrders']);
}
