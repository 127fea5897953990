import type { Logger } from '../logger.js';
import type { DecisionStore, HookCallRecord } from './decision-store.js';
import { storeUnavailable } from './store-unavailable.js';

export interface HookCallRecorderOptions {
  readonly store: DecisionStore;
  readonly logger: Logger;
  /** Told how long each write took and how it ended (the service's metrics). */
  readonly observeWrite?: ((outcome: 'recorded' | 'already-recorded' | 'failed', seconds: number) => void) | undefined;
}

/**
 * Keeps each audit record (CRD found-11, found-37: the payer keeps every
 * assertion and every hook call). An assertion that cannot be kept must not be
 * given: a failed write throws a passing error, answered 503 (the client may retry).
 */
export function hookCallRecorder({ store, logger, observeWrite }: HookCallRecorderOptions): (record: HookCallRecord) => Promise<void> {
  return async (record) => {
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
