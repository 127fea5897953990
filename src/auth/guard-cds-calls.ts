import type { RequestHandler } from 'express';
import type { Store } from 'express-rate-limit';
import type { Config } from '../config.js';
import { clientRateLimit } from '../http/rate-limit.js';
import type { Logger } from '../logger.js';
import type { OutboundClient } from '../net/outbound-client.js';
import { cdsAuthentication } from './cds-authentication.js';
import { KeyResolver } from './key-resolver.js';
import { MemoryReplayStore, type ReplayStore } from './replay-store.js';
import { trustedClientsFor, type TrustedClients } from './trusted-clients.js';
import { CdsJwtVerifier } from './verify-cds-jwt.js';

/** The calls a CDS client must authenticate: services, feedback, coverage look-up. Discovery stays open. */
export const GUARDED_POSTS = ['/cds-services/:id', '/cds-services/:id/feedback'];
export const GUARDED_GETS = ['/coverage-assertions/:id'];

export interface GuardOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The clients file's content; read from CDS_CLIENTS_FILE when not given. */
  readonly trustedClients?: TrustedClients | undefined;
  /** Fetches client key sets (jwksUrl, jku). */
  readonly outbound: OutboundClient;
  /** Shared across instances (PostgreSQL, Redis); this instance's memory when not given. */
  readonly replayStore?: ReplayStore | undefined;
  readonly rateLimitStore?: Store | undefined;
  readonly now?: (() => Date) | undefined;
}

/** Authentication (JWT, or open development mode), then the per-client rate limit. */
export function guardCdsCalls(options: GuardOptions): RequestHandler[] {
  const { config, logger } = options;
  const clients = options.trustedClients ?? trustedClientsFor(config);
  const verifier = clients
    ? new CdsJwtVerifier(
        clients,
        new KeyResolver({
          outbound: options.outbound,
          cacheMaxAgeMs: config.auth.jwksCacheSeconds * 1000,
          cooldownMs: config.auth.jwksCooldownSeconds * 1000,
          timeoutMs: config.auth.jwksTimeoutMs,
        }),
        options.replayStore ?? new MemoryReplayStore(),
        { algorithms: config.auth.algorithms, clockSkewSeconds: config.auth.clockSkewSeconds, maxAgeSeconds: config.auth.maxAgeSeconds, now: options.now },
      )
    : undefined;
  const limit = clientRateLimit({ perMinute: config.rateLimitPerMinute, store: options.rateLimitStore, logger });
  return [cdsAuthentication({ config, logger, verifier }), ...(limit ? [limit] : [])];
}
