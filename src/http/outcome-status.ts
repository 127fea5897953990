import type { OperationOutcome } from 'fhir/r4.js';
import type { IssueCode } from '../errors/outcomes.js';

/** The HTTP status an OperationOutcome's first issue code stands for (Medplum's getStatus, narrowed to the codes this service uses). */
const STATUS: Partial<Record<IssueCode, number>> = {
  invalid: 400,
  structure: 400,
  required: 400,
  value: 400,
  invariant: 400,
  'business-rule': 422,
  'not-found': 404,
  deleted: 410,
  incomplete: 412,
  'too-costly': 413,
  'not-supported': 415,
  throttled: 429,
  login: 401,
  security: 401,
  expired: 401,
  forbidden: 403,
  conflict: 409,
  duplicate: 409,
  transient: 503,
  timeout: 503,
  exception: 500,
};

export function statusOf(outcome: OperationOutcome): number {
  const code = outcome.issue[0]?.code;
  return (code && STATUS[code]) || 400;
}
