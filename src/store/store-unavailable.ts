import { HttpError, outcome } from '../http/operation-outcome.js';
import type { Logger } from '../logger.js';

/**
 * A store failure as a 503 OperationOutcome, logged with the database's
 * message and code only (they carry no request data).
 */
export function storeUnavailable(logger: Logger, error: unknown, operation: string, fields: Record<string, unknown> = {}): HttpError {
  const e = error as { message?: unknown; code?: unknown };
  logger.error({ event: 'store-unavailable', operation, ...fields, err: { message: String(e?.message ?? error).slice(0, 300), code: e?.code } }, 'decision store failed');
  const text =
    operation === 'record-decision'
      ? 'The coverage decision could not be recorded, so it is not given. Try again shortly.'
      : 'The decision store is unavailable. Try again shortly.';
  return new HttpError(503, outcome('transient', text), { 'Retry-After': '5' });
}
