import type { Response } from 'express';
import type { HookResult } from '../hooks/handle-order-hook.js';
import { cdsClientOf } from '../http/cds-client.js';
import { HttpError, outcome } from '../http/operation-outcome.js';
import type { Logger } from '../logger.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { DecisionStore } from './decision-store.js';
import { hookCallRecord } from './hook-call-record.js';

/** The client recorded when no authentication identified one (the open development mode). */
export const OPEN_DEVELOPMENT_MODE = 'open-development-mode';

export interface DecisionRecorderOptions {
  readonly store: DecisionStore;
  readonly policy: CompiledPolicy;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Told how long each write took and how it ended (the service's metrics). */
  readonly observeWrite?: ((outcome: 'recorded' | 'already-recorded' | 'failed', seconds: number) => void) | undefined;
}

/**
 * Records each hook call before its answer is sent (the app's onAnswered).
 * CRD found-11, found-37: the payer keeps every assertion and every hook
 * call; an assertion that cannot be kept must not be given, so a failed
 * write answers 503 (the client may retry) instead of the decision.
 */
export function decisionRecorder({ store, policy, logger, now, observeWrite }: DecisionRecorderOptions) {
  return async (result: HookResult, res: Response): Promise<void> => {
    const record = hookCallRecord({ result, clientIss: cdsClientOf(res)?.iss ?? OPEN_DEVELOPMENT_MODE, answeredAt: now(), policy });
    const started = performance.now();
    try {
      const outcome = await store.recordHookCall(record);
      observeWrite?.(outcome, (performance.now() - started) / 1000);
    } catch (error) {
      observeWrite?.('failed', (performance.now() - started) / 1000);
      throw storeUnavailable(logger, error, 'record-decision', { hookInstance: record.hookInstance });
    }
  };
}

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
