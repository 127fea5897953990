import type { Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { connectRedis, redactUrl, type RedisClient } from '../redis.js';
import { PostgresReplayStore } from './postgres-replay-store.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';
import { RedisReplayStore } from './redis-replay-store.js';

/** The stores authentication and the rate limit share between instances, and how to close them. */
export interface SecurityStores {
  readonly replayStore: ReplayStore;
  /** Undefined: the rate limiter keeps its counts in this instance's memory. */
  readonly rateLimitStore?: Store | undefined;
  close(): Promise<void>;
}

/** Where JWT_REPLAY_STORE (with REDIS_URL and DATABASE_URL) keeps the jti values; `none` in open development mode. */
export function replayStoreKind(config: Config): 'redis' | 'postgres' | 'memory' | 'none' {
  if (config.auth.clientsFile === undefined) return 'none';
  const wanted = config.auth.replayStore;
  if (wanted === 'redis' || (wanted === 'auto' && config.redisUrl !== undefined)) return 'redis';
  if (wanted === 'postgres' || (wanted === 'auto' && config.database.kind === 'postgres')) return 'postgres';
  return 'memory';
}

/**
 * Opens the replay store JWT_REPLAY_STORE asks for: `auto` takes Redis when
 * REDIS_URL is set, else PostgreSQL when DATABASE_URL is postgres://…, else
 * memory (right for one instance only). The rate limit counts in Redis when
 * REDIS_URL is set. Only needed with a clients file: open development mode
 * checks no tokens.
 */
export async function openSecurityStores(config: Config, logger: Logger, options: { postgresSchema?: string } = {}): Promise<SecurityStores> {
  // loadConfig already refused a replay store whose server is not configured.
  const kind = replayStoreKind(config);
  const needsReplay = kind !== 'none';
  const useRedisReplay = kind === 'redis';

  let redis: RedisClient | undefined;
  if (config.redisUrl && (useRedisReplay || config.rateLimitPerMinute > 0)) redis = await connectRedis(config.redisUrl, logger);

  let replayStore: ReplayStore;
  if (useRedisReplay) replayStore = new RedisReplayStore(redis!, config.redisKeyPrefix);
  else if (kind === 'postgres' && config.database.kind === 'postgres') {
    try {
      // The replay table lives beside the decision tables, in DATABASE_SCHEMA.
      replayStore = await PostgresReplayStore.open({ connectionString: config.database.url, schema: options.postgresSchema ?? config.database.schema, logger });
    } catch (error) {
      redis?.destroy();
      throw error;
    }
  } else replayStore = new MemoryReplayStore();

  const rateLimitStore =
    redis && config.rateLimitPerMinute > 0
      ? new RedisStore({ sendCommand: (...args: string[]) => redis.sendCommand(args), prefix: `${config.redisKeyPrefix}rate-limit:` })
      : undefined;

  logger.info(
    { replayStore: needsReplay ? replayStore.kind : 'unused (open development mode)', rateLimit: config.rateLimitPerMinute > 0 ? `${config.rateLimitPerMinute}/min per client${rateLimitStore ? ' (redis)' : ' (memory)'}` : 'off', redis: config.redisUrl ? redactUrl(config.redisUrl) : undefined },
    'security stores ready',
  );
  return {
    replayStore,
    rateLimitStore,
    async close() {
      await replayStore.close();
      if (redis?.isOpen) await redis.close();
    },
  };
}
