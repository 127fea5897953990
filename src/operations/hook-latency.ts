import type { RequestHandler } from 'express';
import type { Discovery } from '../hooks/discovery.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Times each CDS Hooks service call from its arrival to the last byte of the
 * answer (body reading and any refusal included), by service id and HTTP
 * status. An id that is not one of ours is counted as `unknown`, so a label
 * never holds what a client made up.
 */
export function hookLatency(metrics: ServiceMetrics, discovery: Discovery): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const id: unknown = req.params['id'];
    const service = typeof id === 'string' && discovery.services.has(id) ? id : 'unknown';
    res.once('finish', () => {
      metrics.hookDuration.observe({ service, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    next();
  };
}
