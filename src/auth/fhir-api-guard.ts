import type { Request, RequestHandler } from 'express';
import { OPEN_DEVELOPMENT_MODE_ISS } from '../http/cds-client.js';
import { setFhirApiClient } from '../http/fhir-api-client.js';
import type { Logger } from '../logger.js';
import { accessTokenSha256, type AccessTokenRecord, type AccessTokenStore } from '../store/access-token-store.js';
import { storeUnavailable } from '../store/store-unavailable.js';
import { insufficientScope, invalidAccessToken, type AccessTokenRefusal } from './access-token-refusal.js';
import { fhirAccessFor, OFFERED_SCOPES, scopesAllow, scopeText } from './smart-scopes.js';

export interface FhirApiGuardOptions {
  readonly tokens: AccessTokenStore;
  /** No clients file: every call is let in, as the hooks are (docs/security.md, open development mode). */
  readonly openDevelopmentMode: boolean;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * Guards the payer's FHIR API, mounted at /fhir for every method before the
 * body is read: the call needs `Authorization: Bearer <access token>` from
 * the token endpoint, unexpired, whose scopes grant what the call needs
 * (smart-scopes.ts). SMART Backend Services: "The resource server SHALL
 * validate the access token and ensure that it has not expired and that its
 * scope covers the requested resource." GET metadata and SMART discovery are
 * open. The caller (iss and scopes) is recorded for the routes.
 */
export function guardFhirApi(options: FhirApiGuardOptions): RequestHandler {
  const { tokens, logger, now } = options;
  return async (req, res, next) => {
    const access = fhirAccessFor(req.method, req.path);
    if (access.kind === 'open') {
      next();
      return;
    }
    if (options.openDevelopmentMode) {
      setFhirApiClient(res, { iss: OPEN_DEVELOPMENT_MODE_ISS, scopes: OFFERED_SCOPES });
      next();
      return;
    }
    const call = `${req.method} /fhir${req.path.slice(0, 100)}`;
    let token: string;
    try {
      token = bearerToken(req);
    } catch (error) {
      throw refused(logger, call, error as AccessTokenRefusal);
    }
    let record: AccessTokenRecord | undefined;
    try {
      record = await tokens.find(accessTokenSha256(token));
    } catch (error) {
      throw storeUnavailable(logger, error, 'find-access-token');
    }
    if (!record) throw refused(logger, call, invalidAccessToken('unknown'));
    if (record.expiresAt.getTime() <= now().getTime()) throw refused(logger, call, invalidAccessToken('expired'), record.clientIss);
    setFhirApiClient(res, { iss: record.clientIss, scopes: record.scopes });
    if (access.kind === 'unoffered') throw refused(logger, call, insufficientScope(call, undefined), record.clientIss);
    if (!scopesAllow(record.scopes, access.scope)) throw refused(logger, call, insufficientScope(call, scopeText(access.scope)), record.clientIss);
    next();
  };
}

/** RFC 6750 section 2.1: `Authorization: Bearer <token>` (scheme case-insensitive). */
function bearerToken(req: Request): string {
  const header = req.get('authorization');
  if (header === undefined || header.trim() === '') throw invalidAccessToken('missing');
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) throw invalidAccessToken('malformed');
  return match[1]!;
}

/** Logs a refusal with its challenge (fixed text) and the client, never the token. */
function refused(logger: Logger, call: string, error: AccessTokenRefusal, iss?: string): AccessTokenRefusal {
  logger.warn({ event: 'fhir-api-refused', challenge: error.challenge, iss, call }, 'FHIR API call refused');
  return error;
}
