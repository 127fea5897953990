import type { RedisClient } from '../redis.js';
import type { ReplayStore } from './replay-store.js';

/**
 * The replay store in Redis, shared by every instance: `SET key NX PXAT`
 * records a token atomically and Redis forgets it when it could no longer be
 * accepted.
 */
export class RedisReplayStore implements ReplayStore {
  readonly kind = 'redis';

  constructor(
    private readonly client: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    const at = Math.max(expiresAt.getTime(), Date.now() + 1000);
    const reply = await this.client.set(`${this.keyPrefix}jti:${key}`, '1', { condition: 'NX', expiration: { type: 'PXAT', value: at } });
    return reply === 'OK';
  }

  /** The Redis connection is shared (rate limit) and closed by its owner. */
  async close(): Promise<void> {}
}
