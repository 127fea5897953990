import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { loadDiscovery } from './hooks/discovery.js';
import { createLogger } from './logger.js';
import { loadPolicy } from './policy/load-policy.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const policy = loadPolicy(config.policyDir);
const discovery = loadDiscovery(config.discoveryFile);
const app = createApp({ config, logger, policy, discovery });

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
    server.close(() => process.exit(0));
  });
}
