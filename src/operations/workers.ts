import cluster, { type Worker } from 'node:cluster';
import { replayStoreKind } from '../auth/security-stores.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { answerMetricsRequests } from './cluster-metrics.js';

/**
 * Why these settings cannot be served by several workers, or undefined. Each
 * worker is a process of its own: what one keeps in memory, the others do
 * not see.
 */
export function clusterProblem(config: Config): string | undefined {
  if (replayStoreKind(config) === 'memory') {
    return 'WORKERS > 1 with JWT authentication needs a JWT replay store the workers share (REDIS_URL, or DATABASE_URL=postgres://...): with each worker remembering only its own jti values, a token replayed to another worker would be accepted';
  }
  if (config.database.kind === 'sqlite' && config.database.path === ':memory:') {
    return 'WORKERS > 1 cannot use DATABASE_URL=:memory: (each worker would keep its own decisions); use a file or PostgreSQL';
  }
  return undefined;
}

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
export function superviseWorkers(config: Config, logger: Logger): void {
  const count = config.workers;
  const log = logger.child({ role: 'primary' });
  const problem = clusterProblem(config);
  if (problem) {
    log.fatal({ event: 'cluster-refused', workers: count }, problem);
    process.exit(1);
  }
  if (config.rateLimitPerMinute > 0 && !config.redisUrl) {
    log.warn({ event: 'rate-limit-per-worker', workers: count }, `without REDIS_URL each worker counts the rate limit on its own: a client may make up to ${count} x RATE_LIMIT_PER_MINUTE calls a minute`);
  }
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
