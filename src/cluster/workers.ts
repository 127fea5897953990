import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../logger.js';
import { answerMetricsRequests } from './cluster-metrics.js';

/** A worker that dies this soon after it started listening is restarted only after this pause (no restart storm). */
const RESTART_PAUSE_MS = 1_000;

/**
 * WORKERS=N (node:cluster): this process becomes the primary and forks N
 * workers, each a complete service (src/server.ts) listening on the same
 * port; the primary accepts the connections and hands them to the workers in
 * turn. The primary answers no requests itself. It
 * - restarts a worker that dies after it started listening;
 * - stops (exit code 1) when a worker dies before listening: the same
 *   configuration would fail again (e.g. the store cannot be opened);
 * - passes SIGTERM/SIGINT to the workers, which finish their requests in
 *   flight, and exits when all have;
 * - collects the workers' metrics for GET /metrics (cluster-metrics.ts).
 */
export function superviseWorkers(count: number, logger: Logger): void {
  const log = logger.child({ role: 'primary' });
  let stopping = false;
  const listening = new WeakSet<Worker>();
  answerMetricsRequests();

  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', () => listening.add(worker));
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const alive = Object.keys(cluster.workers ?? {}).length;
    if (stopping) {
      if (alive === 0) {
        log.info('all workers stopped');
        process.exit();
      }
      return;
    }
    if (!listening.has(worker)) {
      log.fatal({ event: 'worker-failed-to-start', pid: worker.process.pid, code, signal }, 'a worker exited before listening; stopping');
      stopAll(1);
      return;
    }
    log.error({ event: 'worker-died', pid: worker.process.pid, code, signal }, 'a worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_PAUSE_MS).unref();
  });

  const stopAll = (exitCode: number) => {
    stopping = true;
    process.exitCode = exitCode;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit();
    for (const w of workers) w.process.kill('SIGTERM');
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      log.info({ signal, workers: count }, 'stopping the workers');
      stopAll(0);
    });
  }

  log.info({ workers: count }, `starting ${count} workers`);
  for (let i = 0; i < count; i++) fork();
}
