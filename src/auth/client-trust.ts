import type { Config } from '../config.js';
import type { OutboundClient } from '../net/outbound-client.js';
import type { ClientKeys } from './client-jwt.js';
import { KeyResolver } from './key-resolver.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';
import type { TrustedClients } from './trusted-clients.js';

export interface ClientTrustOptions {
  readonly config: Config;
  /** The clients file's content; undefined in open development mode. */
  readonly trustedClients: TrustedClients | undefined;
  /** Fetches client key sets (jwksUrl, jku). */
  readonly outbound: OutboundClient;
  /** Shared across instances (PostgreSQL, Redis); this instance's memory when not given. */
  readonly replayStore?: ReplayStore | undefined;
}

/**
 * One registration serves CDS Hooks and SMART Backend Services: the clients
 * file's issuers and keys (one key cache, so a rotation is seen once) and one
 * replay store check both the hook JWTs and the token endpoint's client
 * assertions. Undefined in open development mode (no clients file).
 */
export function clientTrustFor(options: ClientTrustOptions): ClientKeys | undefined {
  const { config, trustedClients } = options;
  if (!trustedClients) return undefined;
  return {
    clients: trustedClients,
    keys: new KeyResolver({
      outbound: options.outbound,
      cacheMaxAgeMs: config.auth.jwksCacheSeconds * 1000,
      cooldownMs: config.auth.jwksCooldownSeconds * 1000,
      timeoutMs: config.auth.jwksTimeoutMs,
    }),
    replay: options.replayStore ?? new MemoryReplayStore(),
  };
}
