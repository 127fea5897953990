import cluster from 'node:cluster';
import { Router } from 'express';
import { clusterMetricsSource } from './cluster-metrics.js';
import { unavailable } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * GET /metrics: Prometheus text format (prom-client). Outside authentication
 * like the probes; label values carry no PHI (see ServiceMetrics). Under
 * WORKERS=N it answers for all workers of the instance.
 */
export function metricsRoutes(metrics: ServiceMetrics, logger: Logger): Router {
  const router = Router();
  const collect = cluster.isWorker ? clusterMetricsSource(metrics.registry) : () => metrics.registry.metrics();
  router.get('/metrics', async (_req, res) => {
    let text: string;
    try {
      text = await collect();
    } catch (error) {
      logger.warn({ event: 'metrics-unavailable', err: { message: (error as Error).message } }, 'metrics could not be collected');
      throw unavailable('The metrics could not be collected. Try again shortly.');
    }
    res.set('Cache-Control', 'no-store').type(metrics.registry.contentType).send(text);
  });
  return router;
}
