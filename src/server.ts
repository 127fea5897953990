import cluster from 'node:cluster';
import { superviseWorkers } from './operations/workers.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './http/start-server.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
// Under WORKERS=N each worker's lines say which worker wrote them.
const logger = cluster.isWorker ? createLogger(config.logLevel).child({ worker: cluster.worker!.id }) : createLogger(config.logLevel);

// WORKERS=N: this process forks N workers that each run this file as below, on one port (src/operations/workers.ts).
if (config.workers > 1 && cluster.isPrimary) superviseWorkers(config, logger);
else await serve();

async function serve(): Promise<void> {
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
}
