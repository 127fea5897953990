import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { AccessTokenIssuer, readTokenRequest, type TokenRequest } from '../auth/access-token-issuer.js';
import type { ClientKeys } from '../auth/client-jwt.js';
import { OAuthError } from '../auth/oauth-error.js';
import { smartConfiguration, TOKEN_PATH } from '../auth/smart-configuration.js';
import { ClientAssertionVerifier } from '../auth/verify-client-assertion.js';
import type { Config } from '../config.js';
import { OperationOutcomeError } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import type { AccessTokenStore } from '../store/access-token-store.js';
import { baseUrlOf } from './base-url.js';
import { cdsClientOf, setCdsClient } from './cds-client.js';

export interface SmartRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The clients file, their keys and the replay store; undefined in open development mode. */
  readonly trust: ClientKeys | undefined;
  /** The per-client rate limit the hooks use (the same registration); undefined when off. */
  readonly limitPerClient?: RequestHandler | undefined;
  readonly tokens: AccessTokenStore;
  readonly now: () => Date;
}

const TOKEN_REQUEST = 'tokenRequest';

/**
 * SMART Backend Services for the payer's FHIR API: discovery
 * (`/.well-known/smart-configuration`, at the root and below the FHIR base
 * /fhir, where SMART clients look) and the token endpoint `POST /auth/token`.
 * Both are open; the token endpoint answers errors in OAuth's JSON (oauth-error.ts says why).
 */
export function smartRoutes(options: SmartRouteOptions): Router {
  const { config, logger, now } = options;
  const router = Router();
  const issuer = new AccessTokenIssuer({
    verifier: options.trust ? new ClientAssertionVerifier(options.trust, { algorithms: config.auth.algorithms, clockSkewSeconds: config.auth.clockSkewSeconds, now }) : undefined,
    tokens: options.tokens,
    ttlSeconds: config.auth.accessTokenTtlSeconds,
    logger,
    now,
  });

  // SMART "Conformance": JSON whatever the Accept header says.
  router.get(['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration'], (req, res) => {
    res.json(smartConfiguration(baseUrlOf(req, config), config.auth.algorithms));
  });

  router.post(
    TOKEN_PATH,
    // A token request is a few kilobytes of form fields (RFC 6749 section 4.4.2); only this route reads forms.
    express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 }),
    async (req, res, next) => {
      const request = readTokenRequest(req.body);
      const iss = await issuer.authenticate(request, tokenUrls(req, config));
      // Known from here on: the rate limit counts it per client, and the request log names it.
      setCdsClient(res, { iss });
      res.locals[TOKEN_REQUEST] = request;
      next();
    },
    ...(options.limitPerClient ? [options.limitPerClient] : []),
    async (_req, res) => {
      const answer = await issuer.issue(cdsClientOf(res)!.iss, res.locals[TOKEN_REQUEST] as TokenRequest);
      // RFC 6749 section 5.1: the answer carries a credential and must not be cached.
      res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json(answer);
    },
  );
  router.use(TOKEN_PATH, asOAuthError);
  return router;
}

/** The `aud` a client assertion must carry: the token URL as the client sees it (with or without a trailing slash). */
function tokenUrls(req: Request, config: Config): string[] {
  const url = `${baseUrlOf(req, config)}${TOKEN_PATH}`;
  return [url, `${url}/`];
}

/** The token endpoint's failures in OAuth's terms: a form that cannot be read, too many requests, a store that is down. */
const asOAuthError: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (error instanceof OAuthError) return next(error);
  if (error instanceof OperationOutcomeError) {
    const code = error.outcome.issue[0]?.code;
    if (code === 'throttled' || code === 'transient') {
      return next(new OAuthError('temporarily_unavailable', error.message, { retryAfterSeconds: error.retryAfterSeconds, throttled: code === 'throttled' }));
    }
    return next(error);
  }
  const parserError = error as { type?: unknown; status?: unknown };
  if (typeof parserError.type === 'string' && typeof parserError.status === 'number' && parserError.status < 500) {
    return next(new OAuthError('invalid_request', `the form could not be read (${parserError.type}); send it as application/x-www-form-urlencoded, UTF-8, under 64 kB`));
  }
  next(error);
};
