import { isObject, objects, text, type Fail } from './fhir-json.js';

/**
 * An OperationOutcome as the service answers errors and warnings with: R4
 * requires issue 1..*, each with severity and code from their value sets; the
 * project (README "Errors as OperationOutcome") adds a human-readable
 * details.text on every issue.
 */
const SEVERITIES = ['fatal', 'error', 'warning', 'information'];
/** R4 IssueType (http://hl7.org/fhir/issue-type), required binding. */
const ISSUE_TYPES = [
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
];

/** Checks the OperationOutcome at `path`, reporting under `key` (the rule that asks for it). */
export function checkOperationOutcome(outcome: unknown, path: string, key: string, fail: Fail): void {
  if (!isObject(outcome) || outcome['resourceType'] !== 'OperationOutcome') return fail(key, `${path} must be an OperationOutcome`);
  const issues = objects(outcome['issue']);
  if (issues.length === 0) return fail(key, `${path} must have at least one issue (R4 OperationOutcome.issue 1..*)`);
  issues.forEach((issue, i) => {
    const at = `${path}.issue[${i}]`;
    if (!SEVERITIES.includes(issue['severity'] as string)) fail(key, `${at}.severity must be fatal, error, warning or information`);
    if (!ISSUE_TYPES.includes(issue['code'] as string)) fail(key, `${at}.code ${String(issue['code'])} is not an R4 issue type`);
    if (!text(isObject(issue['details']) ? issue['details']['text'] : undefined)) fail(key, `${at}.details.text must say what went wrong`);
  });
}

export function issueSeverities(outcome: unknown): string[] {
  return objects(isObject(outcome) ? outcome['issue'] : undefined).map((i) => String(i['severity']));
}
