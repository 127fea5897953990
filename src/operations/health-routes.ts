import { Router } from 'express';
import type { Logger } from '../logger.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { DecisionStore } from '../store/decision-store.js';
import { storeUnavailable } from '../store/store-unavailable.js';

/** A readiness check waits at most this long for the store (a probe must not hang on an unreachable database). */
const STORE_PING_TIMEOUT_MS = 2_000;

export interface HealthOptions {
  readonly store: DecisionStore;
  readonly policy: CompiledPolicy;
  readonly logger: Logger;
}

/**
 * Probes for orchestrators and load balancers. They sit outside
 * authentication and say nothing about patients or clients.
 * - GET /healthz: the process is up and answering (liveness).
 * - GET /readyz: it can answer hook calls: the policy is loaded and the
 *   decision store answers (a decision that cannot be recorded is not given,
 *   so without the store the service is not ready: 503 with an OperationOutcome).
 */
export function healthRoutes({ store, policy, logger }: HealthOptions): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'up' });
  });

  router.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(store.ping(), STORE_PING_TIMEOUT_MS);
    } catch (error) {
      throw storeUnavailable(logger, error, 'readiness');
    }
    res.set('Cache-Control', 'no-store').json({
      status: 'ready',
      store: store.kind,
      policy: { id: policy.definition.id, version: policy.definition.version },
    });
  });

  return router;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the decision store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
