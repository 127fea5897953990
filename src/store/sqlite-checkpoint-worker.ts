import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The checkpointer's thread (sqlite-checkpointer.ts): its own connection to
 * the service's file, a PASSIVE checkpoint every interval. PASSIVE never
 * waits for the service's writes; a busy or failed one is tried again at the
 * next interval. The 'stop' message runs a last checkpoint and closes.
 */
export interface CheckpointWorkerData {
  readonly path: string;
  readonly intervalMs: number;
}

const port = parentPort;
if (!port) throw new Error('sqlite-checkpoint-worker runs in a worker thread');
const { path, intervalMs } = workerData as CheckpointWorkerData;
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 100');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy (another checkpoint, e.g. the report command's) or transient: the next interval tries again.
  }
}

const timer = setInterval(checkpoint, intervalMs);
port.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  port.close();
});
