import { OperationOutcomeError, unavailable } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';

/**
 * A store failure as a passing (transient) OperationOutcome, logged with the database's
 * message and code only (they carry no request data).
 */
export function storeUnavailable(logger: Logger, error: unknown, operation: string, fields: Record<string, unknown> = {}): OperationOutcomeError {
  const e = error as { message?: unknown; code?: unknown };
  logger.error({ event: 'store-unavailable', operation, ...fields, err: { message: String(e?.message ?? error).slice(0, 300), code: e?.code } }, 'decision store failed');
  const text =
    operation === 'record-decision'
      ? 'The coverage decision could not be recorded, so it is not given. Try again shortly.'
      : 'The decision store is unavailable. Try again shortly.';
  return unavailable(text);
}
