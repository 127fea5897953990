import { Writable } from 'node:stream';
import { trustedClientsFor } from '../../src/auth/trusted-clients.js';
import { loadConfig, type NotificationConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { OutboundClient } from '../../src/net/outbound-client.js';
import { ServiceMetrics } from '../../src/operations/metrics.js';
import { PasNotifications } from '../../src/pas/subscriptions/pas-notifications.js';
import { createDecisionStore } from '../../src/store/create-decision-store.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { createTestApp, type TestApp } from './test-app.js';

/** Retries in milliseconds, so a test sees backoff happen. */
export const FAST_RETRIES: Partial<NotificationConfig> = { retryBaseMs: 40, retryMaxMs: 400, pollMs: 20, timeoutMs: 2000 };

export interface NotificationTestApp extends TestApp {
  readonly notifications: PasNotifications;
  readonly metrics: ServiceMetrics;
  readonly outbound: OutboundClient;
  /** The delivery loop's log lines. */
  readonly deliveryLogs: string[];
  /** Stops the delivery loop and closes the outbound client (the store is the caller's to close). */
  close(): Promise<void>;
}

/**
 * The real app with a handle on its PAS notifications (as the server has):
 * tests run the delivery loop (`notifications.start()`) or one pass of it
 * (`notifications.delivery.deliverDue()`). The store is in memory unless one
 * is given (a restart opens a second app over the same store).
 */
export function createNotificationTestApp(
  env: Record<string, string> = {},
  options: { settings?: Partial<NotificationConfig>; store?: DecisionStore; random?: () => number } = {},
): NotificationTestApp {
  const config = loadConfig({ LOG_LEVEL: 'info', DATABASE_URL: ':memory:', ...env });
  const store = options.store ?? createDecisionStore(config.database);
  const metrics = new ServiceMetrics();
  const outbound = new OutboundClient();
  const deliveryLogs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      deliveryLogs.push(String(chunk));
      done();
    },
  });
  const notifications = new PasNotifications({
    store: store.pasSubscriptions(),
    outbound,
    trustedClients: trustedClientsFor(config),
    settings: { ...config.pasNotifications, ...options.settings },
    logger: createLogger('info', sink),
    observer: metrics.pasNotifications,
    random: options.random,
  });
  const app = createTestApp(env, { store, metrics, outbound, notifications });
  return {
    ...app,
    notifications,
    metrics,
    outbound,
    deliveryLogs,
    close: async () => {
      await notifications.stop();
      outbound.close();
    },
  };
}
