import type { RequestHandler } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import type { Logger } from '../logger.js';
import { cdsClientOf } from './cds-client.js';
import { OperationOutcomeError, outcome } from '../errors/outcomes.js';

export interface ClientRateLimitOptions {
  /** Calls per client per minute; 0 turns the limit off. */
  readonly perMinute: number;
  /** Shared store (Redis) when several instances serve; one instance's memory otherwise. */
  readonly store?: Store | undefined;
  readonly logger: Logger;
}

/**
 * Limits each CDS client, known by its JWT `iss` (set by authentication, which
 * runs first), to so many calls a minute. Beyond it: 429 with Retry-After and
 * an OperationOutcome. If the shared store fails, calls pass: the limit
 * protects the service, it must not take it down.
 */
export function clientRateLimit(options: ClientRateLimitOptions): RequestHandler | undefined {
  if (options.perMinute <= 0) return undefined;
  const windowMs = 60_000;
  return rateLimit({
    windowMs,
    limit: options.perMinute,
    keyGenerator: (_req, res) => `iss:${cdsClientOf(res)?.iss ?? 'unauthenticated'}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    // The key is the authenticated issuer, not an address, so the IP and proxy checks do not apply.
    validate: { trustProxy: false, xForwardedForHeader: false, forwardedHeader: false, keyGeneratorIpFallback: false },
    logger: {
      error: (error: unknown, message?: string) => options.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, message ?? 'rate limit store failed'),
      warn: (error: unknown, message?: string) => options.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, message ?? 'rate limit warning'),
    },
    ...(options.store ? { store: options.store } : {}),
    handler: (req, res, next) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + windowMs) - Date.now()) / 1000));
      options.logger.warn({ event: 'rate-limited', iss: cdsClientOf(res)?.iss, limitPerMinute: options.perMinute, path: req.path.slice(0, 200) }, 'call refused: rate limit');
      next(
        new OperationOutcomeError(outcome('throttled', `Too many calls from this client: the limit is ${options.perMinute} per minute. Retry after ${retryAfter} seconds.`), retryAfter),
      );
    },
  });
}
