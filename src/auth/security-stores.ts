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

const isPostgresUrl = (url: string | undefined): url is string => url !== undefined && /^postgres(ql)?:\/\//.test(url);

/** Where JWT_REPLAY_STORE (with REDIS_URL and DATABASE_URL) keeps the jti values; `none` in open development mode. */
export function replayStoreKind(config: Config): 'redis' | 'postgres' | 'memory' | 'none' {
  if (config.auth.clientsFile === undefined) return 'none';
  const wanted = config.auth.replayStore;
  if (wanted === 'redis' || (wanted === 'auto' && config.redisUrl !== undefined)) return 'redis';
  if (wanted === 'postgres' || (wanted === 'auto' && isPostgresUrl(config.databaseUrl))) return 'postgres';
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
  const wanted = config.auth.replayStore;
  const needsReplay = config.auth.clientsFile !== undefined;
  const kind = replayStoreKind(config);
  const useRedisReplay = kind === 'redis';
  const usePostgresReplay = kind === 'postgres';
  if (wanted === 'redis' && !config.redisUrl) throw new Error('JWT_REPLAY_STORE=redis needs REDIS_URL');
  if (wanted === 'postgres' && !isPostgresUrl(config.databaseUrl)) throw new Error('JWT_REPLAY_STORE=postgres needs DATABASE_URL=postgres://…');

  let redis: RedisClient | undefined;
  if (config.redisUrl && (useRedisReplay || config.rateLimitPerMinute > 0)) redis = await connectRedis(config.redisUrl, logger);

  let replayStore: ReplayStore;
  if (useRedisReplay) replayStore = new RedisReplayStore(redis!, config.redisKeyPrefix);
  else if (usePostgresReplay) {
    try {
      replayStore = await PostgresReplayStore.open({ connectionString: config.databaseUrl!, schema: options.postgresSchema, logger });
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
