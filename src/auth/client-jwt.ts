import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { AsymmetricJwsAlgorithm } from '../config.js';
import { unavailable } from '../errors/outcomes.js';
import { AuthFailure } from './auth-failure.js';
import { KeysUnavailable, type KeyResolver } from './key-resolver.js';
import type { ReplayStore } from './replay-store.js';
import { jkuAllowed, type TrustedClient, type TrustedClients } from './trusted-clients.js';

/**
 * The checks every JWT a client signs with its own key goes through, shared
 * by the CDS Hooks bearer JWT (verify-cds-jwt.ts) and the SMART Backend
 * Services client assertion (verify-client-assertion.ts): both are signed by
 * a key of a client in the clients file, both name the endpoint as `aud` and
 * carry a `jti` that may be used once. Each verifier adds its own rules.
 */

/** The clients file and where their keys and used jtis are kept (src/auth/client-trust.ts). */
export interface ClientKeys {
  readonly clients: TrustedClients;
  readonly keys: KeyResolver;
  readonly replay: ReplayStore;
}

export interface ClientJwtSettings {
  readonly algorithms: readonly AsymmetricJwsAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly now: () => Date;
}

/** What one kind of token must carry beyond the shared checks. */
export interface ClientJwtRules {
  /** The endpoint's URL(s) as the client sees it; any one matches. */
  readonly audience: readonly string[];
  /** Claims that must be present (`iss`, `aud` are checked anyway). */
  readonly requiredClaims: readonly string[];
  /** Tokens issued (`iat`) longer ago are refused; `iat` is then required. */
  readonly maxAgeSeconds?: number | undefined;
  /** `sub` must equal `iss` (SMART: the client's own id). */
  readonly subjectIsIssuer?: boolean | undefined;
}

/** Reported with a refusal, for the log only (never sent, never the token). */
export interface RefusalContext {
  /** The `iss` the token claimed, if it could be read. */
  claimedIss?: string;
  /** The library's error code or our check's name. */
  check?: string;
  /** Extra operator-facing detail (e.g. which JWKS URL failed). */
  note?: string;
}

/** A token whose signature and claims passed the shared checks. */
export interface VerifiedClientJwt {
  readonly client: TrustedClient;
  readonly payload: JWTPayload & { readonly jti: string; readonly exp: number };
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Header `alg` (asymmetric, allow-listed), `kid` and `typ: JWT`; `iss` in the
 * clients file; a `jku` only when allow-listed for that issuer; the signature
 * by `kid`; `aud`; `exp` (and `iat` when a maximum age is set) within the clock
 * skew; a non-empty `jti`. CDS Hooks 2.0 "Trusting CDS Clients" and SMART
 * Backend Services "Authenticating to the Token endpoint" ask the same of
 * these. Throws AuthFailure, never quoting the token.
 */
export async function verifyClientJwt(token: string, trust: ClientKeys, settings: ClientJwtSettings, rules: ClientJwtRules, context: RefusalContext): Promise<VerifiedClientJwt> {
  if (!COMPACT_JWS.test(token)) throw new AuthFailure('malformed', 'it is not a compact JWS (three base64url parts separated by dots)');
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw new AuthFailure('malformed', 'its header or payload is not base64url-encoded JSON');
  }
  if (typeof claims.iss === 'string') context.claimedIss = claims.iss.slice(0, 200);

  // CDS Hooks and SMART: alg SHALL NOT be none or a symmetric algorithm; only the configured ones are trusted.
  if (typeof header.alg !== 'string' || !(settings.algorithms as readonly string[]).includes(header.alg)) {
    context.check = 'alg';
    throw new AuthFailure('untrusted', `its signing algorithm is not accepted (accepted: ${settings.algorithms.join(', ')})`);
  }
  if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') throw new AuthFailure('malformed', 'its header typ must be JWT');
  if (typeof header.kid !== 'string' || header.kid === '') throw new AuthFailure('malformed', 'its header has no kid');
  if (typeof claims.iss !== 'string' || claims.iss === '') throw new AuthFailure('malformed', 'it has no iss claim');

  const client = trust.clients.get(claims.iss);
  if (!client) {
    context.check = 'iss';
    throw new AuthFailure('untrusted', 'its issuer is not a trusted CDS client');
  }
  // Never fetch a jku that is not allow-listed for this issuer (jku injection).
  if (header.jku !== undefined && (typeof header.jku !== 'string' || !jkuAllowed(client, header.jku))) {
    context.check = 'jku';
    throw new AuthFailure('untrusted', "its jku is not on this issuer's allow-list");
  }
  const keys = trust.keys.keysFor(client, header.jku);
  if (!keys) {
    context.check = 'jku';
    throw new AuthFailure('untrusted', 'it names no jku and no keys are configured for its issuer');
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: [...settings.algorithms],
      issuer: client.iss,
      audience: [...rules.audience],
      typ: 'JWT',
      clockTolerance: settings.clockSkewSeconds,
      requiredClaims: [...rules.requiredClaims, 'exp', 'jti'],
      currentDate: settings.now(),
      ...(rules.maxAgeSeconds === undefined ? {} : { maxTokenAge: rules.maxAgeSeconds }),
      ...(rules.subjectIsIssuer ? { subject: client.iss } : {}),
    }));
  } catch (error) {
    throw refusal(error, rules.audience, context);
  }
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new AuthFailure('malformed', 'its jti claim must be a non-empty string');
  return { client, payload: payload as VerifiedClientJwt['payload'] };
}

/**
 * Records a token's jti until `lastAccepted` (seconds since the epoch); a
 * jti seen before is refused. A replay store that cannot be reached fails
 * closed (503): a possible replay is never accepted.
 */
export async function refuseReplay(replay: ReplayStore, key: string, lastAccepted: number, context: RefusalContext): Promise<void> {
  let first: boolean;
  try {
    first = await replay.firstUse(key, new Date(lastAccepted * 1000));
  } catch (error) {
    context.note = `replay store (${replay.kind}) failed: ${(error as Error).message}`;
    throw unavailable('The service cannot check tokens for replay right now; try again shortly.');
  }
  if (!first) {
    context.check = 'jti';
    throw new AuthFailure('replayed', 'its jti has been seen before; sign a new token for every call');
  }
}

/** jose's typed errors, as the category the client is told. */
function refusal(error: unknown, audience: readonly string[], context: RefusalContext): Error {
  if (error instanceof errors.JOSEError) context.check = error.code;
  if (error instanceof errors.JWTExpired) {
    return new AuthFailure('expired', error.claim === 'iat' ? 'its iat is further in the past than this service accepts' : 'its exp has passed');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new AuthFailure('malformed', `its ${error.claim} claim is missing`);
    switch (error.claim) {
      case 'aud':
        // The audience is this service's own public URL: telling it helps integrators fix the most common JWT mistake.
        return new AuthFailure('untrusted', `its aud does not name the endpoint called (expected ${audience[0]})`);
      case 'iat':
        return new AuthFailure('untrusted', 'its iat is in the future');
      case 'nbf':
        return new AuthFailure('untrusted', 'its nbf is in the future');
      case 'iss':
        return new AuthFailure('untrusted', 'its issuer is not a trusted CDS client');
      case 'sub':
        return new AuthFailure('untrusted', 'its sub must equal its iss (the client_id)');
      case 'typ':
        return new AuthFailure('malformed', 'its header typ must be JWT');
      default:
        return new AuthFailure('malformed', `its ${error.claim} claim is not valid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthFailure('untrusted', 'its signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthFailure('untrusted', 'no key of its issuer has its kid');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return new AuthFailure('untrusted', "several of its issuer's keys match its kid");
  if (error instanceof errors.JOSEAlgNotAllowed) return new AuthFailure('untrusted', 'its signing algorithm is not accepted');
  if (error instanceof KeysUnavailable) {
    context.check = 'jwks-fetch';
    context.note = error.message;
    return new AuthFailure('untrusted', "its issuer's keys could not be fetched to check it");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported || error instanceof errors.JOSEError) {
    return new AuthFailure('malformed', 'it is not a valid signed JWT');
  }
  if (error instanceof TypeError) return new AuthFailure('malformed', 'it is not a valid signed JWT');
  return error instanceof Error ? error : new Error(String(error));
}
