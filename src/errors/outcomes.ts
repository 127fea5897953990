import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/**
 * Errors as values, in the style of Medplum's outcomes.ts: every failure is
 * an OperationOutcome with a clear message (and, where it helps, the request
 * path it concerns). Any layer may throw one; only the HTTP error handler
 * (src/http/error-handler.ts) turns its issue code into a status (CDS Hooks
 * 3.0 STU and CRD hook-10: non-2xx answers carry an OperationOutcome).
 */
export type IssueCode = OperationOutcomeIssue['code'];

export function issue(code: IssueCode, text: string, expression?: readonly string[]): OperationOutcomeIssue {
  return { severity: 'error', code, details: { text }, ...(expression && expression.length > 0 ? { expression: [...expression] } : {}) };
}

/** One error issue with a human message and, where it helps, the request path it concerns. */
export function outcome(code: IssueCode, text: string, expression?: readonly string[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [issue(code, text, expression)] };
}

/** An OperationOutcome thrown as an error. `retryAfterSeconds`: the failure is passing; the caller may try again then. */
export class OperationOutcomeError extends Error {
  constructor(
    readonly outcome: OperationOutcome,
    readonly retryAfterSeconds?: number,
  ) {
    super(outcome.issue[0]?.details?.text ?? outcome.issue[0]?.code ?? 'OperationOutcome');
    this.name = 'OperationOutcomeError';
  }
}

/** The request is wrong: every problem at once, each with its path. */
export const badRequestIssues = (issues: OperationOutcomeIssue[]) => new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: issues });
export const badRequest = (text: string, expression?: readonly string[]) => new OperationOutcomeError(outcome('invalid', text, expression));
export const notFound = (text: string) => new OperationOutcomeError(outcome('not-found', text));
/** Data the answer needs is missing and cannot be fetched (CDS Hooks: 412 Precondition Failed). */
export const incomplete = (text: string, expression?: readonly string[]) => new OperationOutcomeError(outcome('incomplete', text, expression));
/** Something the service depends on is down for now (a store, a replay cache). */
export const unavailable = (text: string, retryAfterSeconds = 5) => new OperationOutcomeError(outcome('transient', text), retryAfterSeconds);
