import type { Response } from 'express';
import type { HookResult } from '../hooks/handle-order-hook.js';
import { cdsClientOf, OPEN_DEVELOPMENT_MODE_ISS } from '../http/cds-client.js';
import type { Logger } from '../logger.js';
import type { DecisionStore } from './decision-store.js';
import { hookCallRecord } from './hook-call-record.js';
import { storeUnavailable } from './store-unavailable.js';

export interface DecisionRecorderOptions {
  readonly store: DecisionStore;
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
export function decisionRecorder({ store, logger, now, observeWrite }: DecisionRecorderOptions) {
  return async (result: HookResult, res: Response): Promise<void> => {
    const record = hookCallRecord({ result, clientIss: cdsClientOf(res)?.iss ?? OPEN_DEVELOPMENT_MODE_ISS, answeredAt: now() });
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
