import express, { type Express, type Response } from 'express';
import type { Config } from './config.js';
import type { RecordFetcher } from './fhir/gather-record.js';
import type { Discovery } from './hooks/discovery.js';
import type { HookResult } from './hooks/handle-order-hook.js';
import { hookRoutes } from './hooks/routes.js';
import { errorHandler } from './http/error-handler.js';
import { notFound } from './http/operation-outcome.js';
import { policyPageRoutes } from './http/policy-page.js';
import type { Logger } from './logger.js';
import type { CompiledPolicy } from './policy/compiled-policy.js';

export interface AppDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
  readonly now?: () => Date;
  /** Called with every answered hook call before the answer is sent (the audit store writes here). */
  readonly onAnswered?: (result: HookResult, res: Response) => Promise<void> | void;
}

/** Builds the service as an Express app; tests boot it in-process with supertest. */
export function createApp(deps: AppDependencies): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Requests with draftOrders and prefetched history easily exceed Express's 100 kB default.
  // strict: false lets a JSON string or number through to the request check, which says the body must be an object
  // (body-parser's strict mode would call valid JSON "not valid JSON").
  app.use(express.json({ limit: config.bodyLimit, strict: false, type: ['application/json', 'application/fhir+json', 'application/*+json'] }));

  app.use(
    hookRoutes({
      config,
      logger,
      hooks: { policy: deps.policy, discovery: deps.discovery, fetcher: deps.fetcher, now: deps.now ?? (() => new Date()) },
      onAnswered: deps.onAnswered,
    }),
  );
  app.use(policyPageRoutes(deps.policy, config.policyDir));

  app.use((req) => {
    throw notFound(`No such endpoint: ${req.method} ${req.path.slice(0, 100)}`);
  });
  app.use(errorHandler(logger));
  return app;
}
