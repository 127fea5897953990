import type { Response } from 'express';
import type { OperationOutcome } from 'fhir/r4.js';

/** What the request log may say about a refused call: issue codes and the request paths they concern, never the text. */
export interface AnswerFailure {
  readonly codes: readonly string[];
  readonly expressions: readonly string[];
}

const KEY = 'answerFailure';

/** Called by the error handler with the OperationOutcome it sends. */
export function recordFailure(res: Response, outcome: OperationOutcome): void {
  const issues = outcome.issue.slice(0, 10);
  const failure: AnswerFailure = {
    codes: [...new Set(issues.map((i) => i.code))],
    // Paths name request fields (e.g. context.patientId), not their values; keys the client invented are cut short.
    expressions: issues.flatMap((i) => i.expression ?? []).map((e) => e.slice(0, 120)),
  };
  res.locals[KEY] = failure;
}

export function failureOf(res: Response): AnswerFailure | undefined {
  return res.locals[KEY] as AnswerFailure | undefined;
}
