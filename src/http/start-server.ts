import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDependencies } from './app.js';
import { openSecurityStores } from '../auth/security-stores.js';
import { trustedClientsFor } from '../auth/trusted-clients.js';
import type { Config } from '../config.js';
import { checkFhirServerAccess } from '../fhir/fhir-server-access.js';
import { loadDiscovery } from '../hooks/discovery.js';
import type { Logger } from '../logger.js';
import { loadPolicy } from '../policy/load-policy.js';
import { createDecisionStore, describeDatabase } from '../store/create-decision-store.js';
import type { DecisionStore } from '../store/decision-store.js';
import { scheduleRetentionPurge } from '../store/retention.js';
import { reviewersFor } from '../review/reviewers.js';
import { OutboundClient } from '../net/outbound-client.js';
import { ServiceMetrics } from '../operations/metrics.js';
import { createPasNotifications } from '../pas/subscriptions/pas-notifications.js';

export interface RunningServer {
  readonly server: http.Server;
  /** Where it listens, e.g. https://0.0.0.0:3000. */
  readonly url: string;
  readonly port: number;
  /** Stops taking connections, lets in-flight requests finish (up to SHUTDOWN_TIMEOUT_MS), closes the stores. True when nothing had to be cut off. */
  shutdown(): Promise<boolean>;
}

/** Refuses configurations that must never serve: production without trusted clients. */
export function assertSafeToServe(config: Config): void {
  if (config.production && !config.auth.clientsFile) {
    throw new Error(
      'refusing to start: NODE_ENV=production but CDS_CLIENTS_FILE is not set. Without it the service would accept calls from anyone (open development mode). Configure the trusted CDS clients (docs/security.md).',
    );
  }
}

/**
 * Starts the service: checks the configuration, opens the shared stores,
 * listens over HTTPS only (TLS 1.2 or later) when TLS_CERT_FILE and
 * TLS_KEY_FILE are set, plain HTTP otherwise, with request and header
 * timeouts. `extra` lets the caller add dependencies (e.g. the records store);
 * `onShutdown` closes what the caller opened, after the last request is done.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  extra: Partial<AppDependencies> = {},
  onShutdown: () => Promise<void> = async () => {},
): Promise<RunningServer> {
  assertSafeToServe(config);
  if (!config.auth.clientsFile) {
    logger.warn(
      { event: 'open-development-mode', host: config.host },
      '*** OPEN DEVELOPMENT MODE: CDS_CLIENTS_FILE is not set, so hook, feedback and look-up calls are accepted WITHOUT any JWT, and the FHIR API (/fhir) WITHOUT any access token, from anyone. Never expose this service to a network or to real patient data. ***',
    );
  }
  // Everything read from files first, so a mistake stops start-up before any connection is opened.
  const policy = extra.policy ?? loadPolicy(config.policyDir);
  const discovery = extra.discovery ?? loadDiscovery(config.discoveryFile);
  const trustedClients = extra.trustedClients ?? trustedClientsFor(config);
  if (trustedClients) logger.info({ clients: [...trustedClients.values()].map((c) => c.name ?? c.iss) }, `trusting ${trustedClients.size} CDS client(s)`);
  // Issue 14: where each client may send the service, said before serving (and refused in production when unbounded).
  checkFhirServerAccess(config, trustedClients, logger);
  const reviewers = extra.reviewers ?? reviewersFor(config);
  if (reviewers) logger.info({ event: 'review-page', accounts: reviewers.size }, `the reviewer's page is served at /review for ${reviewers.size} account(s)`);
  const decisionStore = extra.store ? undefined : await openDecisionStore(config, logger);
  const store = extra.store ?? decisionStore!;
  const stopRetentionPurge = scheduleRetentionPurge({ store, retentionDays: config.retentionDays, logger });
  const securityStores = await openSecurityStores(config, logger).catch(async (error: unknown) => {
    stopRetentionPurge();
    await decisionStore?.close();
    throw error;
  });
  const stores = {
    async close() {
      stopRetentionPurge();
      await securityStores.close();
      await decisionStore?.close();
    },
  };
  // PAS notifications: their delivery loop runs while the server does, on the app's metrics and outbound client (docs/pas.md "Notifications").
  const metrics = extra.metrics ?? new ServiceMetrics();
  const outbound = extra.outbound ?? new OutboundClient();
  const notifications = extra.notifications ?? createPasNotifications({ config, logger, store, trustedClients, outbound, observer: metrics.pasNotifications });
  let app: ReturnType<typeof createApp>;
  try {
    app = createApp({ config, logger, policy, discovery, trustedClients, reviewers, replayStore: securityStores.replayStore, rateLimitStore: securityStores.rateLimitStore, store, metrics, outbound, notifications, ...extra });
  } catch (error) {
    await stores.close();
    throw error;
  }

  // Node checks request and header timeouts on this interval (30 s by default, too coarse for short timeouts).
  const serverOptions = { requestTimeout: config.requestTimeoutMs, headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: Math.min(5000, Math.ceil(config.headersTimeoutMs / 2)) };
  let server: http.Server;
  try {
    server = config.tls
      ? https.createServer({ ...serverOptions, cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), minVersion: 'TLSv1.2' }, app)
      : http.createServer(serverOptions, app);
  } catch (error) {
    await stores.close();
    throw new Error(`cannot set up TLS from TLS_CERT_FILE/TLS_KEY_FILE: ${(error as Error).message}`);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await stores.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  notifications.start();
  const port = (server.address() as AddressInfo).port;
  const url = `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info(
    { port, host: config.host, tls: config.tls !== undefined, authentication: config.auth.clientsFile ? 'jwt' : 'open-development-mode', policy: policy.definition.id, policyVersion: policy.definition.version },
    `listening on ${url}`,
  );

  let stopping: Promise<boolean> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      let clean = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections with no request in flight would hold close() open; requests in flight are left to finish.
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        clean = false;
        logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at the shutdown deadline; closing their connections');
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await notifications.stop();
      await onShutdown();
      await stores.close();
      return clean;
    })());
  return { server, url, port, shutdown };
}

/** A decision that cannot be recorded must not be given: no usable store, no service. */
async function openDecisionStore(config: Config, logger: Logger): Promise<DecisionStore> {
  const store = createDecisionStore(config.database, logger);
  try {
    await store.ready();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new Error(`the decision store cannot be used (${describeDatabase(config.database).store}): ${error instanceof Error ? error.message : String(error)}`);
  }
  logger.info({ ...describeDatabase(config.database), retentionDays: config.retentionDays }, 'decision store ready');
  return store;
}
