import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { OperationOutcome } from 'fhir/r4.js';
import { recordFailure } from './answer-failure.js';
import { AccessTokenRefusal } from '../auth/access-token-refusal.js';
import { AuthFailure } from '../auth/auth-failure.js';
import { OAuthError, type OAuthErrorCode } from '../auth/oauth-error.js';
import { OperationOutcomeError, outcome } from '../errors/outcomes.js';
import { errorPageOf } from './error-page.js';
import { statusOf } from './outcome-status.js';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  message?: string;
  limit?: number;
  length?: number;
}

/** 413: how large the body was, how large it may be, and what to do. */
function tooLargeText(e: BodyParserError): string {
  const size = typeof e.length === 'number' && Number.isFinite(e.length) ? `${e.length} bytes` : 'too large';
  const limit = typeof e.limit === 'number' ? `${e.limit} bytes (${formatBytes(e.limit)})` : 'the configured limit';
  return `The request body is ${size}; this service accepts at most ${limit}. Send a smaller request, or ask the operator to raise BODY_LIMIT.`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} kB`;
  return `${n} bytes`;
}

/** RFC 6749 section 5.2: 400, but 401 for a client that failed to authenticate; 429 or 503 when it may try again later. */
const OAUTH_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_scope: 400,
  unsupported_grant_type: 400,
  temporarily_unavailable: 503,
};

function oauthStatus(error: OAuthError): number {
  return error.code === 'temporarily_unavailable' && error.options.throttled ? 429 : OAUTH_STATUS[error.code];
}

/**
 * The one error handler, and the one place statuses are chosen: every failure
 * leaves as an OperationOutcome with a clear message (src/errors/outcomes.ts), or,
 * on a page for people that set an error page (src/http/error-page.ts), as that
 * page with the same status. Bad input is a 4xx, never a 500; only a fault of our own is a
 * 500, and it says nothing about the request.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const page = errorPageOf(res);
    const send = (status: number, body: OperationOutcome) => {
      recordFailure(res, body);
      if (!page) {
        res.status(status).json(body);
        return;
      }
      // A page for people (the reviewer's page) shows the same failure with the same status, as HTML.
      Promise.resolve()
        .then(() => page(res, status, body))
        .catch((pageError: unknown) => {
          logger.error({ err: pageError instanceof Error ? { name: pageError.name, message: pageError.message } : String(pageError), path: req.path }, 'error page failed');
          if (!res.headersSent) res.status(status).type('text/plain').send(body.issue[0]?.details?.text ?? 'The request failed.');
        });
    };
    if (error instanceof OAuthError) {
      // The token endpoint speaks OAuth, not FHIR (oauth-error.ts): RFC 6749 section 5.2 JSON, never cached.
      if (error.options.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.options.retryAfterSeconds));
      res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
      res.status(oauthStatus(error)).json(error.body());
      return;
    }
    // RFC 6750 section 3: a refused access token is a 401 (invalid_token) or 403 (insufficient_scope) with WWW-Authenticate.
    if (error instanceof AccessTokenRefusal) res.set('WWW-Authenticate', error.challenge);
    if (error instanceof OperationOutcomeError) {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      send(statusOf(error.outcome), error.outcome);
      return;
    }
    if (error instanceof AuthFailure) {
      // RFC 6750 section 3: a refused bearer token is a 401 with WWW-Authenticate.
      res.set('WWW-Authenticate', error.challenge());
      send(401, error.outcome());
      return;
    }
    const e = (error ?? {}) as BodyParserError;
    switch (e.type) {
      case 'entity.parse.failed':
        send(400, outcome('invalid', `The request body is not valid JSON: ${String(e.message).slice(0, 200)}`));
        return;
      case 'entity.too.large':
        send(413, outcome('too-costly', tooLargeText(e)));
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        send(415, outcome('not-supported', `Unsupported request encoding: ${String(e.message).slice(0, 200)}`));
        return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      send(e.status, outcome('invalid', e.expose && e.message ? e.message.slice(0, 200) : 'The request could not be processed.'));
      return;
    }
    logger.error({ err: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error), path: req.path }, 'unhandled error');
    send(500, outcome('exception', 'The service failed to process this request. The failure has been logged.'));
  };
}
