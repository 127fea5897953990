import express, { type Express, type Response } from 'express';
import type { Store } from 'express-rate-limit';
import { coverageAssertionRoutes } from './assertions/coverage-assertion-routes.js';
import { GUARDED_GETS, GUARDED_POSTS, guardCdsCalls } from './auth/guard-cds-calls.js';
import type { ReplayStore } from './auth/replay-store.js';
import { trustedClientsFor, type TrustedClients } from './auth/trusted-clients.js';
import type { Config } from './config.js';
import { feedbackRoutes } from './feedback/feedback-routes.js';
import { createFhirRecordFetcher } from './fhir/fhir-record-fetcher.js';
import type { RecordFetcher } from './fhir/gather-record.js';
import { ResourceReader } from './fhir/read-resource.js';
import type { Discovery } from './hooks/discovery.js';
import type { HookResult } from './hooks/handle-order-hook.js';
import { hookRoutes } from './hooks/routes.js';
import { cdsCors } from './http/cors.js';
import { errorHandler } from './http/error-handler.js';
import { healthRoutes } from './http/health-routes.js';
import { limitJsonDepth } from './http/json-depth.js';
import { notFound } from './http/operation-outcome.js';
import { POLICY_PAGE_STYLE_SOURCE, policyPageRoutes } from './http/policy-page.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import type { Logger } from './logger.js';
import { hookLatency } from './metrics/hook-latency.js';
import { ServiceMetrics } from './metrics/metrics.js';
import { metricsRoutes } from './metrics/metrics-routes.js';
import { OutboundClient } from './net/outbound-client.js';
import type { CompiledPolicy } from './policy/compiled-policy.js';
import { createDecisionStore } from './store/create-decision-store.js';
import type { DecisionStore } from './store/decision-store.js';
import { decisionRecorder } from './store/record-decisions.js';
import { previewPageRoutes } from './ui/routes.js';

export interface AppDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
  readonly now?: () => Date;
  /** Called with every answered hook call before the answer is sent (the audit store writes here). */
  readonly onAnswered?: (result: HookResult, res: Response) => Promise<void> | void;
  /** Where decisions and feedback are kept; by default a store opened from config.database. The caller that passes one closes it. */
  readonly store?: DecisionStore;
  /** Trusted CDS clients; read from CDS_CLIENTS_FILE when not given. */
  readonly trustedClients?: TrustedClients | undefined;
  /** JWT replay store shared by instances (src/auth/security-stores.ts); this instance's memory when not given. */
  readonly replayStore?: ReplayStore | undefined;
  /** Shared rate-limit counts (Redis); this instance's memory when not given. */
  readonly rateLimitStore?: Store | undefined;
  /** The Prometheus metrics GET /metrics shows; a fresh set per app unless given. */
  readonly metrics?: ServiceMetrics;
  /** Sends every outbound request (FHIR queries, key sets); one with the system resolver unless given (tests map host names). */
  readonly outbound?: OutboundClient | undefined;
}

/** Builds the service as an Express app; tests boot it in-process with supertest. */
export function createApp(deps: AppDependencies): Express {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const store = deps.store ?? createDecisionStore(config.database, logger);
  const metrics = deps.metrics ?? new ServiceMetrics();
  const trustedClients = deps.trustedClients ?? trustedClientsFor(config);
  // Issue 14: every request the service sends goes out through this one client and its address rules.
  const outbound = deps.outbound ?? new OutboundClient();
  const recordDecision = decisionRecorder({ store, logger, now, observeWrite: metrics.storeWrites });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.tls !== undefined || config.publicBaseUrl?.startsWith('https:') === true, styleSources: [POLICY_PAGE_STYLE_SOURCE] }));
  // Operability (README "Performance and scaling"): probes and metrics, outside authentication, no PHI.
  app.use(healthRoutes({ store, policy: deps.policy, logger }), metricsRoutes(metrics, logger));
  // Hook latency is timed from arrival, so refusals (401, 413, 400) are counted too.
  app.post('/cds-services/:id', hookLatency(metrics, deps.discovery));
  app.use(['/cds-services', '/coverage-assertions'], cdsCors(config.corsOrigins));
  // Authentication comes before the body is read, so strangers cannot make the service parse large bodies.
  const guard = guardCdsCalls({ config, logger, trustedClients, outbound, replayStore: deps.replayStore, rateLimitStore: deps.rateLimitStore, now });
  app.post(GUARDED_POSTS, ...guard);
  app.get(GUARDED_GETS, ...guard);
  // Requests with draftOrders and prefetched history easily exceed Express's 100 kB default.
  // strict: false lets a JSON string or number through to the request check, which says the body must be an object
  // (body-parser's strict mode would call valid JSON "not valid JSON").
  app.use(express.json({ limit: config.bodyLimit, strict: false, type: ['application/json', 'application/fhir+json', 'application/*+json'] }));
  app.use(limitJsonDepth());

  app.use(
    hookRoutes({
      config,
      logger,
      hooks: {
        policy: deps.policy,
        discovery: deps.discovery,
        // The EHR's FHIR server is queried for what prefetch lacks (src/fhir/fhir-record-fetcher.ts), if the client may name it.
        fetcher: deps.fetcher ?? createFhirRecordFetcher({ settings: config.fhirQueries, logger, outbound, trustedClients, observer: metrics.fhirQueries }),
        reader: new ResourceReader(),
        now,
      },
      // The decision is recorded before the answer leaves (a failed write answers 503).
      onAnswered: async (result, res) => {
        await recordDecision(result, res);
        metrics.countDecisions(result.judged);
        await deps.onAnswered?.(result, res);
      },
    }),
  );
  app.use(feedbackRoutes({ store, discovery: deps.discovery, logger, now }));
  app.use(coverageAssertionRoutes(store, logger));
  app.use(policyPageRoutes(deps.policy, config.policyDir));
  if (config.previewPage) app.use(previewPageRoutes({ policy: deps.policy, discovery: deps.discovery, now }));

  app.use((req) => {
    throw notFound(`No such endpoint: ${req.method} ${req.path.slice(0, 100)}`);
  });
  app.use(errorHandler(logger));
  return app;
}
