import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import { handleOrderHook, type HookDependencies, type HookResult } from '../hooks/handle-order-hook.js';
import type { Logger } from '../logger.js';
import { baseUrlOf } from './base-url.js';
import { cdsClientOf } from './cds-client.js';

export interface HookRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly hooks: HookDependencies;
  /** Told of every answered hook call (metrics; tests). */
  readonly onAnswered?: ((result: HookResult) => void) | undefined;
}

/** The CDS Hooks endpoints, for app.ts to mount: discovery and the service call. Thin: the story is in src/hooks/handle-order-hook.ts. */
export function hookRoutes(options: HookRouteOptions): { discovery: RequestHandler; serviceCall: RequestHandler } {
  const { config, logger, hooks } = options;

  // Discovery: https://cds-hooks.hl7.org/2.0/#discovery
  const discovery: RequestHandler = (_req, res) => {
    res.json(hooks.discovery.document);
  };

  // Calling a CDS Service: https://cds-hooks.hl7.org/2.0/#calling-a-cds-service
  const serviceCall: RequestHandler = async (req, res) => {
    const started = performance.now();
    const result = await handleOrderHook({ serviceId: String(req.params['id']), body: req.body, baseUrl: () => baseUrlOf(req, config), client: cdsClientOf(res)?.iss }, hooks);
    options.onAnswered?.(result);
    // As res.json would send it, from the text the audit record hashed.
    res.type('json').send(result.responseText);
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
          covered: j.coverageInformation?.values.covered,
          reasons: j.decision.findings.map((f) => f.code),
        })),
        cards: result.response.cards.length,
        systemActions: result.response.systemActions?.length ?? 0,
      },
      'hook answered',
    );
  };

  return { discovery, serviceCall };
}
