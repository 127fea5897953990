import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './start-server.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
const logger = createLogger(config.logLevel);

try {
  const running = await startServer(config, logger);
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = true;
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      running.shutdown().then(
        (clean) => {
          logger.info({ clean }, 'stopped');
          process.exit(clean ? 0 : 1);
        },
        (error: Error) => {
          logger.error({ err: { message: error.message } }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
} catch (error) {
  logger.fatal({ err: { message: (error as Error).message } }, 'could not start');
  process.exit(1);
}
