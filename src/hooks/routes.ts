import { Router, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { cdsClientOf } from '../http/cds-client.js';
import type { Logger } from '../logger.js';
import { handleOrderHook, type HookDependencies, type HookResult } from './handle-order-hook.js';
import { responseBody } from './response-body.js';

export interface HookRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly hooks: HookDependencies;
  /** Called with every answered hook call before the answer is sent (audit store, metrics). */
  readonly onAnswered?: ((result: HookResult, res: Response) => Promise<void> | void) | undefined;
}

/** The CDS Hooks endpoints: discovery and the services. */
export function hookRoutes(options: HookRouteOptions): Router {
  const { config, logger, hooks } = options;
  const router = Router();

  // Discovery: https://cds-hooks.hl7.org/2.0/#discovery
  router.get('/cds-services', (_req, res) => {
    res.json(hooks.discovery.document);
  });

  // Calling a CDS Service: https://cds-hooks.hl7.org/2.0/#calling-a-cds-service
  router.post('/cds-services/:id', async (req, res) => {
    const started = performance.now();
    const result = await handleOrderHook({ serviceId: req.params.id, body: req.body, baseUrl: baseUrlOf(req, config), client: cdsClientOf(res)?.iss }, hooks);
    await options.onAnswered?.(result, res);
    // As res.json would send it, from the text the audit record hashed.
    res.type('json').send(responseBody(result.response));
    logger.info(
      {
        event: 'hook-call',
        hookInstance: result.request.hookInstance,
        serviceId: result.service.id,
        hook: result.service.hook,
        iss: cdsClientOf(res)?.iss,
        crdVersion: result.options.version,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        orders: result.judged.map((j) => ({
          order: j.decision.order.reference,
          determination: j.decision.determination,
          covered: j.coverageInformation?.covered,
          reasons: j.decision.findings.map((f) => f.code),
        })),
        cards: result.response.cards.length,
        systemActions: result.response.systemActions?.length ?? 0,
      },
      'hook answered',
    );
  });

  return router;
}

/** This service's base URL as the client sees it: PUBLIC_BASE_URL, else the request's own scheme and host. */
export function baseUrlOf(req: Request, config: Config): string {
  return config.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? `localhost:${config.port}`}`;
}
