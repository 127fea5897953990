import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { cdsAuthentication } from './cds-authentication.js';
import type { ClientKeys } from './client-jwt.js';
import { CdsJwtVerifier } from './verify-cds-jwt.js';

/** The calls a CDS client must authenticate besides the service calls (which app.ts guards in their own route): feedback, coverage look-up. Discovery stays open. */
export const GUARDED_POSTS = ['/cds-services/:id/feedback'];
export const GUARDED_GETS = ['/coverage-assertions/:id'];

export interface GuardOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The clients file, their keys and the replay store (client-trust.ts); undefined in open development mode. */
  readonly trust: ClientKeys | undefined;
  /** The per-client rate limit (src/http/rate-limit.ts), shared with the token endpoint; undefined when off. */
  readonly limitPerClient?: RequestHandler | undefined;
  readonly now?: (() => Date) | undefined;
}

/** Authentication (JWT, or open development mode), then the per-client rate limit. */
export function guardCdsCalls(options: GuardOptions): RequestHandler[] {
  const { config, logger, trust } = options;
  const verifier = trust
    ? new CdsJwtVerifier(trust, { algorithms: config.auth.algorithms, clockSkewSeconds: config.auth.clockSkewSeconds, maxAgeSeconds: config.auth.maxAgeSeconds, now: options.now })
    : undefined;
  return [cdsAuthentication({ config, logger, verifier }), ...(options.limitPerClient ? [options.limitPerClient] : [])];
}
