import type { DatabaseSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { DecisionStore } from './decision-store.js';
import { PostgresDecisionStore } from './postgres-decision-store.js';
import { SqliteDecisionStore } from './sqlite-decision-store.js';

/**
 * The store DATABASE_URL names: PostgreSQL for postgres:// URLs, otherwise an
 * SQLite file (./data/tecartus-cds.sqlite unless set). Both migrate on
 * start; `ready()` says when that is done (or why it failed), and every
 * operation waits for it.
 */
export function createDecisionStore(settings: DatabaseSettings, logger?: Logger): DecisionStore {
  if (settings.kind === 'postgres') return new PostgresDecisionStore({ url: settings.url, schema: settings.schema, poolMax: settings.poolMax, logger });
  return new SqliteDecisionStore({ path: settings.path, synchronous: settings.synchronous });
}

/** Where the store is, for logs: never the password. */
export function describeDatabase(settings: DatabaseSettings): Record<string, string> {
  if (settings.kind === 'sqlite') return { store: 'sqlite', path: settings.path, synchronous: settings.synchronous };
  try {
    const url = new URL(settings.url);
    return { store: 'postgres', host: url.host, database: url.pathname.replace(/^\//, ''), schema: settings.schema };
  } catch {
    return { store: 'postgres', schema: settings.schema };
  }
}
