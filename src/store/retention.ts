import type { Logger } from '../logger.js';
import type { DecisionStore, PurgeCounts } from './decision-store.js';

const DAY_MS = 86_400_000;

/** The oldest moment kept: records from before it are purged. */
export function retentionCutoff(now: Date, retentionDays: number): Date {
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

/** Purges records older than the retention period; logs what went. */
export async function purgeExpiredRecords(store: DecisionStore, retentionDays: number, now: Date, logger?: Logger): Promise<PurgeCounts> {
  const cutoff = retentionCutoff(now, retentionDays);
  const counts = await store.purgeBefore(cutoff);
  logger?.info({ event: 'retention-purge', retentionDays, cutoff: cutoff.toISOString(), ...counts }, 'purged records past retention');
  return counts;
}

export interface RetentionSchedule {
  readonly store: DecisionStore;
  readonly retentionDays: number;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly intervalMs?: number;
}

/**
 * Purges on start and then once a day. Several instances sharing PostgreSQL
 * may all do so: a purge deletes by date and repeats harmlessly. The timer
 * does not keep the process alive. Returns a function that stops it.
 */
export function scheduleRetentionPurge({ store, retentionDays, logger, now = () => new Date(), intervalMs = DAY_MS }: RetentionSchedule): () => void {
  const run = () => {
    purgeExpiredRecords(store, retentionDays, now(), logger).catch((error: unknown) =>
      logger.error({ event: 'retention-purge', err: { message: error instanceof Error ? error.message : String(error) } }, 'retention purge failed'),
    );
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
