import type { OperationOutcomeIssue } from 'fhir/r4.js';
import type { z } from 'zod';
import { issue } from './outcomes.js';

/**
 * A zod error as OperationOutcome issues, each with the path it concerns. A
 * field that is absent is `required`, one with the wrong type `invalid`: parse
 * with `{ reportInput: true }` so the issues carry the input that tells them apart.
 */
export function zodIssues(error: z.ZodError): OperationOutcomeIssue[] {
  return error.issues.slice(0, 20).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const code = i.code === 'invalid_type' && i.input === undefined ? 'required' : 'invalid';
    return issue(code, path ? `${path} ${i.message}` : i.message, path ? [path] : undefined);
  });
}
