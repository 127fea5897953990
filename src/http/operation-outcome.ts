import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

export type IssueCode = OperationOutcomeIssue['code'];

/** One error issue with a human message and, where it helps, the request path it concerns. */
export function outcome(code: IssueCode, text: string, expression?: readonly string[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [issue(code, text, expression)] };
}

export function issue(code: IssueCode, text: string, expression?: readonly string[]): OperationOutcomeIssue {
  return { severity: 'error', code, details: { text }, ...(expression && expression.length > 0 ? { expression: [...expression] } : {}) };
}

/**
 * An error that carries its HTTP status and OperationOutcome. Route handlers
 * throw it; the one error handler sends it (CDS Hooks 3.0 STU and CRD hook-10:
 * non-2xx answers carry an OperationOutcome).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(outcome.issue[0]?.details?.text ?? `HTTP ${status}`);
    this.name = 'HttpError';
  }
}

export const badRequestIssues = (issues: OperationOutcomeIssue[]) => new HttpError(400, { resourceType: 'OperationOutcome', issue: issues });
export const notFound = (text: string) => new HttpError(404, outcome('not-found', text));
export const preconditionFailed = (text: string, expression?: readonly string[]) => new HttpError(412, outcome('incomplete', text, expression));
