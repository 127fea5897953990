import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { loadDiscovery } from './hooks/discovery.js';
import { createLogger } from './logger.js';
import { loadPolicy } from './policy/load-policy.js';
import { createDecisionStore, describeDatabase } from './store/create-decision-store.js';
import type { DecisionStore } from './store/decision-store.js';
import { scheduleRetentionPurge } from './store/retention.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const policy = loadPolicy(config.policyDir);
const discovery = loadDiscovery(config.discoveryFile);
// A decision that cannot be recorded must not be given: no store, no service.
let store: DecisionStore;
try {
  store = createDecisionStore(config.database, logger);
  await store.ready();
} catch (error) {
  logger.fatal({ ...describeDatabase(config.database), err: { message: error instanceof Error ? error.message : String(error) } }, 'the decision store cannot be used');
  process.exit(1);
}
logger.info({ ...describeDatabase(config.database), retentionDays: config.retentionDays }, 'decision store ready');
const stopRetentionPurge = scheduleRetentionPurge({ store, retentionDays: config.retentionDays, logger });
const app = createApp({ config, logger, policy, discovery, store });

const server = app.listen(config.port, config.host, (error?: Error) => {
  if (error) {
    logger.fatal({ err: { message: error.message } }, 'could not start');
    process.exit(1);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, host: config.host, policy: policy.definition.id, policyVersion: policy.definition.version }, `listening on http://${config.host}:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    logger.info({ signal }, 'shutting down');
    stopRetentionPurge();
    server.close(() => {
      store.close().finally(() => process.exit(0));
    });
  });
}
