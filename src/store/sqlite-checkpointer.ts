import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './sqlite-checkpoint-worker.js';

/** How often the checkpointer copies the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 500;

/**
 * The worker is the module beside this one: sqlite-checkpoint-worker.js once
 * compiled, which a worker thread runs as it is; sqlite-checkpoint-worker.ts
 * when run from source with tsx (npm start, the tests). Node 20 does not give
 * a worker thread tsx's ESM loader, even with --import tsx in its execArgv
 * (the entry fails with ERR_UNKNOWN_FILE_EXTENSION), so the .ts module is
 * loaded through tsx's require hook in the thread.
 */
function startWorker(workerData: CheckpointWorkerData): Worker {
  const here = fileURLToPath(import.meta.url);
  const extension = extname(here);
  const worker = join(dirname(here), `sqlite-checkpoint-worker${extension}`);
  if (extension !== '.ts') return new Worker(worker, { workerData, execArgv: [] });
  const tsxRequire = fileURLToPath(import.meta.resolve('tsx/cjs/api'));
  const bootstrap = `require(${JSON.stringify(tsxRequire)}).require(${JSON.stringify(worker)}, __filename);`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
}

/**
 * Keeps SQLite's WAL checkpoints off the request path. By default SQLite
 * checkpoints inside the commit that crosses 1,000 WAL pages: that commit
 * (a hook answer waiting for its record) then copies pages into the database
 * file and fsyncs, tens of milliseconds on the event loop. Here the service's
 * connection never checkpoints (wal_autocheckpoint=0) and a worker thread
 * with its own connection does it every 500 ms. Durability is unchanged: a
 * committed transaction is in the WAL either way.
 *
 * If the worker stops unexpectedly, `onFailure` is told so the connection can
 * go back to checkpointing itself (the WAL must not grow without bound).
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(path: string, onFailure: () => void) {
    this.#worker = startWorker({ path, intervalMs: CHECKPOINT_INTERVAL_MS });
    // Never keeps the process alive on its own.
    this.#worker.unref();
    this.#worker.on('error', () => undefined);
    this.#exited = new Promise<void>((resolve) =>
      this.#worker.once('exit', () => {
        if (!this.#stopping) onFailure();
        resolve();
      }),
    );
  }

  /** A last checkpoint, then the worker's connection closes. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    // Waiting for it must keep the process alive until its last checkpoint is done.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#exited;
  }
}
