import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { zodIssues } from '../http/zod-issues.js';
import { badRequestIssues, issue } from '../http/operation-outcome.js';
import { hookRequestAsIs, HookRequestSchema, type HookRequest } from './request-schema.js';

/**
 * Validates a hook call's body for the service's hook. Every problem is
 * reported at once, each with the path it concerns, in a 400
 * OperationOutcome (CRD hook-13/14).
 */
export function parseHookRequest(body: unknown, hook: 'order-sign' | 'order-select'): HookRequest {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequestIssues([issue('invalid', 'The request body must be a JSON object (Content-Type: application/json) holding a CDS Hooks request.')]);
  }
  // A well-formed body (nearly every one) is used as sent; zod's parse would copy it whole. Any other goes
  // through the schema, which names every problem.
  // reportInput: zodIssues tells a missing field (required) from a wrong one (invalid) by the issue's input.
  const parsed = hookRequestAsIs(body) ? ({ success: true, data: body as HookRequest } as const) : HookRequestSchema.safeParse(body, { reportInput: true });
  const issues: OperationOutcomeIssue[] = parsed.success ? [] : zodIssues(parsed.error);
  if (parsed.success) {
    const request = parsed.data;
    if (request.hook !== hook) issues.push(issue('invalid', `hook is "${request.hook}" but this service answers "${hook}"`, ['hook']));
    if (hook === 'order-select') {
      const selections = request.context.selections;
      if (!selections || selections.length === 0) {
        issues.push(issue('required', 'context.selections is required for order-select and must name at least one draft order', ['context.selections']));
      } else {
        const known = new Set((request.context.draftOrders.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`));
        selections.forEach((s, i) => {
          if (!known.has(s)) issues.push(issue('invalid', `context.selections[${i}] "${s}" is not an order in context.draftOrders`, [`context.selections[${i}]`]));
        });
      }
    }
    if (issues.length === 0) return request;
  }
  throw badRequestIssues(issues);
}
