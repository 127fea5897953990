import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { accessTokenSha256, type AccessTokenStore } from '../store/access-token-store.js';
import { storeUnavailable } from '../store/store-unavailable.js';
import { AuthFailure } from './auth-failure.js';
import type { RefusalContext } from './client-jwt.js';
import { OAuthError } from './oauth-error.js';
import { grantScopes } from './smart-scopes.js';
import type { ClientAssertionVerifier } from './verify-client-assertion.js';

/** RFC 7523 section 2.2: how the client authenticates (SMART: the only one accepted). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A token request whose form is well made: the client's assertion and the scopes it asks for. */
export interface TokenRequest {
  readonly assertion: string;
  readonly scope: string | undefined;
  /** RFC 7523 section 3: optional; when given it must be the assertion's `iss`. */
  readonly clientId: string | undefined;
}

/** The token endpoint's answer (RFC 6749 section 5.1; SMART Backend Services "Response"). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
  readonly scope: string;
}

// RFC 6749 section 3.2: "Request and response parameters MUST NOT be included more than once"; unknown ones are ignored.
const once = (name: string, max: number) =>
  z
    .unknown()
    .refine((v) => !Array.isArray(v), { message: `${name} is given more than once` })
    .pipe(z.string({ error: `${name} must be text` }).max(max, `${name} is longer than ${max} characters`))
    .optional();

const TokenForm = z.looseObject({
  grant_type: once('grant_type', 100),
  client_assertion_type: once('client_assertion_type', 200),
  client_assertion: once('client_assertion', 16_384),
  client_id: once('client_id', 1000),
  scope: once('scope', 4000),
});

/**
 * Reads a token request (SMART Backend Services: `grant_type=client_credentials`,
 * `client_assertion_type`, `client_assertion`, `scope`, form-encoded). Throws
 * OAuthError: invalid_request for a missing or repeated parameter,
 * unsupported_grant_type, and invalid_client when the client authenticates
 * some other way or not at all (RFC 6749 section 5.2: "no client
 * authentication included, or unsupported authentication method").
 */
export function readTokenRequest(form: unknown): TokenRequest {
  if (form === null || typeof form !== 'object' || Array.isArray(form)) {
    throw new OAuthError('invalid_request', 'send the token request as application/x-www-form-urlencoded (RFC 6749 section 4.4.2)');
  }
  const parsed = TokenForm.safeParse(form);
  if (!parsed.success) throw new OAuthError('invalid_request', parsed.error.issues.map((i) => i.message).join('; '));
  const f = parsed.data;
  if (f.grant_type === undefined || f.grant_type === '') throw new OAuthError('invalid_request', 'grant_type is required: client_credentials');
  if (f.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'this token endpoint grants client_credentials only (SMART Backend Services)');
  if (f.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
    throw new OAuthError('invalid_client', `authenticate with a signed JWT: client_assertion_type=${CLIENT_ASSERTION_TYPE} and client_assertion (private_key_jwt)`);
  }
  if (f.client_assertion === undefined || f.client_assertion === '') throw new OAuthError('invalid_client', 'client_assertion is required: a JWT signed with your private key');
  return { assertion: f.client_assertion, scope: f.scope, clientId: f.client_id };
}

export interface AccessTokenIssuerOptions {
  /** Undefined in open development mode: no client can authenticate (and /fhir needs no token). */
  readonly verifier: ClientAssertionVerifier | undefined;
  readonly tokens: AccessTokenStore;
  readonly ttlSeconds: number;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** The token endpoint's two steps: who is asking (its assertion), then the token it is given. */
export class AccessTokenIssuer {
  constructor(private readonly options: AccessTokenIssuerOptions) {}

  /** The client_id the request's assertion proves; OAuthError invalid_client otherwise. */
  async authenticate(request: TokenRequest, tokenUrl: readonly string[]): Promise<string> {
    const { verifier, logger } = this.options;
    if (!verifier) throw new OAuthError('invalid_client', 'no clients are registered (open development mode: the FHIR API needs no token)');
    const context: RefusalContext = {};
    let iss: string;
    try {
      iss = await verifier.verify(request.assertion, tokenUrl, context);
    } catch (error) {
      if (!(error instanceof AuthFailure)) throw error;
      logger.warn({ event: 'token-refused', error: 'invalid_client', category: error.category, reason: error.detail, check: context.check, claimedIss: context.claimedIss, note: context.note }, 'token request refused: client assertion');
      throw new OAuthError('invalid_client', `client_assertion refused (${error.category}): ${error.detail}`);
    }
    if (request.clientId !== undefined && request.clientId !== iss) throw new OAuthError('invalid_client', 'client_id is not the issuer of the client_assertion');
    return iss;
  }

  /** Grants the scopes asked for (invalid_scope otherwise) and records a new opaque token, by its SHA-256 only. */
  async issue(clientIss: string, request: TokenRequest): Promise<TokenResponse> {
    const { tokens, ttlSeconds, logger } = this.options;
    // RFC 6749 section 3.3: without a scope the request uses a default or fails as invalid_scope; SMART Backend Services requires one.
    if (request.scope === undefined || request.scope.trim() === '') throw this.refuseScope(clientIss, 'scope is required: ask for system/ scopes, e.g. system/Questionnaire.rs');
    const grant = grantScopes(request.scope);
    if ('refused' in grant) throw this.refuseScope(clientIss, `${grant.refused.slice(0, 100)} cannot be granted: ${grant.reason}`);
    const token = randomBytes(32).toString('base64url');
    const issuedAt = this.options.now();
    try {
      await tokens.issue({ tokenSha256: accessTokenSha256(token), clientIss, scopes: grant.granted, issuedAt, expiresAt: new Date(issuedAt.getTime() + ttlSeconds * 1000) });
    } catch (error) {
      const unavailable = storeUnavailable(logger, error, 'issue-access-token');
      throw new OAuthError('temporarily_unavailable', unavailable.message, { retryAfterSeconds: unavailable.retryAfterSeconds });
    }
    logger.info({ event: 'access-token-issued', iss: clientIss, scopes: grant.granted, expiresIn: ttlSeconds }, 'access token issued');
    return { access_token: token, token_type: 'bearer', expires_in: ttlSeconds, scope: grant.granted.join(' ') };
  }

  private refuseScope(clientIss: string, description: string): OAuthError {
    this.options.logger.warn({ event: 'token-refused', error: 'invalid_scope', iss: clientIss }, 'token request refused: scope');
    return new OAuthError('invalid_scope', description);
  }
}
