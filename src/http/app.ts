import express, { type Express } from 'express';
import type { Store } from 'express-rate-limit';
import { coverageAssertionRoutes } from './coverage-assertion-routes.js';
import { clientTrustFor } from '../auth/client-trust.js';
import { guardFhirApi } from '../auth/fhir-api-guard.js';
import { GUARDED_GETS, GUARDED_POSTS, guardCdsCalls } from '../auth/guard-cds-calls.js';
import type { ReplayStore } from '../auth/replay-store.js';
import { trustedClientsFor, type TrustedClients } from '../auth/trusted-clients.js';
import type { Config } from '../config.js';
import { feedbackRoutes } from './feedback-routes.js';
import { createFhirRecordFetcher } from '../fhir/fhir-record-fetcher.js';
import type { RecordFetcher } from '../fhir/gather-record.js';
import { ResourceReader } from '../fhir/read-resource.js';
import { loadDtrContent, type DtrContent } from '../dtr/dtr-content.js';
import { fhirRoutes } from './fhir-routes.js';
import { pasRoutes } from './pas-routes.js';
import { storeUnavailable } from '../store/store-unavailable.js';
import { failuresAsUnavailable } from '../store/failures-as-unavailable.js';
import { findApprovedAuthorization } from '../pas/approved-authorization.js';
import { OPEN_DEVELOPMENT_MODE_ISS } from './cds-client.js';
import { fhirApiClientOf } from './fhir-api-client.js';
import type { Discovery } from '../hooks/discovery.js';
import type { HookResult } from '../hooks/handle-order-hook.js';
import { hookRoutes } from './hook-routes.js';
import { clientRateLimit } from './rate-limit.js';
import { cdsCors } from './cors.js';
import { errorHandler } from './error-handler.js';
import { healthRoutes } from '../operations/health-routes.js';
import { limitJsonDepth } from './json-depth.js';
import { notFound } from '../errors/outcomes.js';
import { POLICY_PAGE_STYLE_SOURCE, policyPageRoutes } from '../ui/policy-page.js';
import { requestLog } from './request-log.js';
import { securityHeaders } from './security-headers.js';
import { smartRoutes } from './smart-routes.js';
import type { Logger } from '../logger.js';
import { hookLatency } from '../operations/hook-latency.js';
import { ServiceMetrics } from '../operations/metrics.js';
import { metricsRoutes } from '../operations/metrics-routes.js';
import { OutboundClient } from '../net/outbound-client.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { createDecisionStore } from '../store/create-decision-store.js';
import type { DecisionStore } from '../store/decision-store.js';
import { hookCallRecorder } from '../store/hook-call-recorder.js';
import { previewPageRoutes } from '../ui/routes.js';
import type { PasDependencies } from '../pas/submit-claim.js';
import { reviewersFor, type ReviewerAccounts } from '../review/reviewers.js';
import type { PaRequestRecord } from '../store/pa-request-store.js';
import { reviewRoutes } from './review-routes.js';
import { createPasNotifications, pasDecisionOutbox, type PasNotifications } from '../pas/subscriptions/pas-notifications.js';
import { subscriptionRoutes } from './subscription-routes.js';

export interface AppDependencies {
  readonly config: Config;
  readonly logger: Logger;
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
  readonly now?: () => Date;
  /** Told of every answered hook call (tests look at the result here). */
  readonly onAnswered?: (result: HookResult) => void;
  /** Where decisions and feedback are kept; by default a store opened from config.database. The caller that passes one closes it. */
  readonly store?: DecisionStore;
  /** Trusted CDS clients; read from CDS_CLIENTS_FILE when not given. */
  readonly trustedClients?: TrustedClients | undefined;
  /** JWT replay store shared by instances (src/auth/security-stores.ts); this instance's memory when not given. */
  readonly replayStore?: ReplayStore | undefined;
  /** Shared rate-limit counts (Redis); this instance's memory when not given. */
  readonly rateLimitStore?: Store | undefined;
  /** The policy's DTR content (Questionnaire, Libraries, ValueSets); read from the policy directory unless given. */
  readonly dtr?: DtrContent | undefined;
  /** The Prometheus metrics GET /metrics shows; a fresh set per app unless given. */
  readonly metrics?: ServiceMetrics;
  /** Sends every outbound request (FHIR queries, key sets); one with the system resolver unless given (tests map host names). */
  readonly outbound?: OutboundClient | undefined;
  /** The reviewer's page accounts; read from REVIEWERS_FILE when not given (none: /review is not served). */
  readonly reviewers?: ReviewerAccounts | undefined;
  /** Told of each PA request a reviewer's decision changed; by default its organisation's PAS subscriptions are notified. */
  readonly notifyPaDecision?: ((request: PaRequestRecord) => void | Promise<void>) | undefined;
  /** PAS subscriptions and notifications; one on the store unless given. Its delivery loop is started by the server (start-server.ts), not here. */
  readonly notifications?: PasNotifications | undefined;
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
  const notifications = deps.notifications ?? createPasNotifications({ config, logger, store, trustedClients, outbound, observer: metrics.pasNotifications });
  const recordCall = hookCallRecorder({ store, logger, observeWrite: metrics.storeWrites });
  const dtr = deps.dtr ?? loadDtrContent(deps.policy.definition, config.policyDir);
  const reader = new ResourceReader();
  const paRequests = store.paRequests();
  // The FHIR API's and the reviewer's page's store calls: a store that fails answers 503 (try again), not 500.
  const paRequestsOrUnavailable = failuresAsUnavailable(paRequests, logger, 'pa-requests');
  const decisions = failuresAsUnavailable(store, logger, 'decisions');
  const findAssertion = (id: string) => decisions.findAssertion(id);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.tls !== undefined || config.publicBaseUrl?.startsWith('https:') === true, styleSources: [POLICY_PAGE_STYLE_SOURCE] }));
  // Authentication comes before the body is read, so strangers cannot make the service parse large bodies.
  // One registration (the clients file's keys, one replay store, one per-client rate limit) serves CDS Hooks and SMART.
  const trust = clientTrustFor({ config, trustedClients, outbound, replayStore: deps.replayStore });
  const limitPerClient = clientRateLimit({ perMinute: config.rateLimitPerMinute, store: deps.rateLimitStore, logger });
  const guard = guardCdsCalls({ config, logger, trust, limitPerClient, now });
  const cors = cdsCors(config.corsOrigins);
  // Requests with draftOrders and prefetched history easily exceed Express's 100 kB default.
  // strict: false lets a JSON string or number through to the request check, which says the body must be an object
  // (body-parser's strict mode would call valid JSON "not valid JSON"). A body already read is not read again.
  const parseJson = express.json({ limit: config.bodyLimit, strict: false, type: ['application/json', 'application/fhir+json', 'application/*+json'] });
  const hooks = hookRoutes({
    config,
    logger,
    hooks: {
      policy: deps.policy,
      discovery: deps.discovery,
      // The EHR's FHIR server is queried for what prefetch lacks (src/fhir/fhir-record-fetcher.ts), if the client may name it.
      fetcher: deps.fetcher ?? createFhirRecordFetcher({ settings: config.fhirQueries, logger, outbound, trustedClients, observer: metrics.fhirQueries }),
      reader,
      now,
      questionnaire: dtr.questionnaireCanonical,
      // A store that cannot be read loses only the "satisfied" shortcut: the answer still says PA is needed, and the
      // write that follows decides whether the answer is given at all (503 when the store is down).
      findApproval: (patientId, order, serviceDate) =>
        findApprovedAuthorization(paRequests, patientId, order, serviceDate).catch((error: unknown) => {
          storeUnavailable(logger, error, 'find-approval');
          return undefined;
        }),
      // Each call that judged a Tecartus order is recorded before the answer leaves (a failed write answers 503).
      recordCall,
    },
    onAnswered: (result) => {
      metrics.countDecisions(result.judged);
      deps.onAnswered?.(result);
    },
  });
  // A CDS service call, the call a CRD service gets most, is one route: each layer in front of it costs every call (docs/performance.md).
  // Its latency is timed from arrival, so refusals (401, 413, 400) are counted too; CORS first, so a browser client can read a refusal.
  app.post('/cds-services/:id', hookLatency(metrics, deps.discovery), cors, ...guard, parseJson, hooks.serviceCall);
  app.use(['/cds-services', '/coverage-assertions', '/fhir'], cors);
  app.post(GUARDED_POSTS, ...guard);
  app.get(GUARDED_GETS, ...guard);
  app.get('/cds-services', hooks.discovery);
  // Operability (docs/operations.md): probes and metrics, outside authentication, no PHI.
  app.use(healthRoutes({ store, policy: deps.policy, logger }), metricsRoutes(metrics, logger));
  // SMART Backend Services (docs/security.md): discovery and the token endpoint are open; /fhir needs an access token (not GET /fhir/metadata).
  const accessTokens = store.accessTokens();
  app.use(smartRoutes({ config, logger, trust, limitPerClient, tokens: accessTokens, now }));
  app.use('/fhir', guardFhirApi({ tokens: accessTokens, openDevelopmentMode: trust === undefined, logger, now }));
  app.use(parseJson);
  // Hook calls (above) check the depth of each part of the body as they read it; every other body is checked whole, here.
  app.use(limitJsonDepth());
  // The payer's FHIR API (Da Vinci DTR).
  app.use(
    fhirRoutes({
      config,
      logger,
      packages: { content: dtr, policy: deps.policy, reader, findAssertion, now },
      errors: failuresAsUnavailable(store.questionnaireErrors(), logger, 'questionnaire-errors'),
      clientOf: fhirApiClientOf,
    }),
  );
  // Da Vinci PAS: prior authorization requests decided on the same engine (issue 13).
  // A reviewer's decision and its PAS notifications are written in one transaction (docs/pas.md "Notifications").
  const pas: PasDependencies = { policy: deps.policy, reader, requests: paRequestsOrUnavailable, findAssertion, questionnaireCanonical: dtr.questionnaireCanonical, now, decisionOutbox: pasDecisionOutbox(notifications) };
  app.use(
    pasRoutes({
      config,
      logger,
      pas,
      clientOf: (res) => fhirApiClientOf(res)?.iss ?? OPEN_DEVELOPMENT_MODE_ISS,
      onSubmitted: (r) => metrics.countPaOutcome('engine', r.status, r.priority, r.status === 'certified' ? 0 : undefined),
    }),
  );
  metrics.watchPaQueue(() => paRequests.open(), now);
  // The reviewer's page for the plan's UM staff: password sign-in and its own session cookie, apart from the clients' tokens.
  app.use(
    reviewRoutes({
      config,
      logger,
      pas,
      sessions: failuresAsUnavailable(store.reviewerSessions(), logger, 'reviewer-sessions'),
      accounts: deps.reviewers ?? reviewersFor(config),
      // PAS notifications are queued with the decision itself (pas.decisionOutbox); this hook is for anything more.
      notify: deps.notifyPaDecision ?? (() => undefined),
      // A request for information is not a decision: the clock keeps running.
      onDecided: (r) => metrics.countPaOutcome('reviewer', r.status, r.priority, r.status === 'information-requested' || !r.decidedAt ? undefined : (r.decidedAt.getTime() - r.receivedAt.getTime()) / 3_600_000),
    }),
  );
  // PAS notifications (issue 13 item 5): the Subscription API; each subscription belongs to the client whose access token created it.
  app.use(subscriptionRoutes({ config, notifications, clientOf: (res) => fhirApiClientOf(res)?.iss }));
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
