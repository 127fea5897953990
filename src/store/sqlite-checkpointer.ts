import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the checkpointer copies the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 500;

/**
 * The checkpointer's own connection, in a worker thread (plain CommonJS so it
 * runs with or without tsx). PASSIVE checkpoints never wait for the service's
 * writes; a busy or failed one is tried again at the next interval.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint, e.g. the report command's) or transient: the next interval tries again.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

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
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, path, intervalMs: CHECKPOINT_INTERVAL_MS }, execArgv: [] });
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
