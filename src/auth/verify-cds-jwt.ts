import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { AsymmetricJwsAlgorithm } from '../config.js';
import { unavailable } from '../errors/outcomes.js';
import { AuthFailure } from './auth-failure.js';
import { KeysUnavailable, type KeyResolver } from './key-resolver.js';
import { replayKey, type ReplayStore } from './replay-store.js';
import { jkuAllowed, type TrustedClients } from './trusted-clients.js';

export interface VerifierOptions {
  readonly algorithms: readonly AsymmetricJwsAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly maxAgeSeconds: number;
  readonly now?: () => Date;
}

/** The caller a token proved to be. */
export interface VerifiedCaller {
  readonly iss: string;
  readonly tenant?: string | undefined;
  readonly jti: string;
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

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Checks a CDS client's JWT the way CDS Hooks 2.0 "Trusting CDS Clients" and
 * the cds-hooks.org best practices ask: header `alg` (asymmetric, allow-listed),
 * `kid` and `typ: JWT`; `iss` on the allow-list; a `jku` only when allow-listed
 * for that issuer; the signature by `kid`; `aud` = the endpoint called; `exp`
 * and `iat` with a small clock skew; `jti` never seen before. `sub` is not
 * required (it is not a CDS Hooks claim).
 */
export class CdsJwtVerifier {
  private readonly now: () => Date;

  constructor(
    private readonly clients: TrustedClients,
    private readonly keys: KeyResolver,
    private readonly replay: ReplayStore,
    private readonly options: VerifierOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * @param audience the endpoint's URL(s) as the client sees it; any one matches.
   * @param context filled with what the log may say about a refusal.
   */
  async verify(token: string, audience: readonly string[], context: RefusalContext = {}): Promise<VerifiedCaller> {
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

    // CDS Hooks: alg SHALL NOT be none or a symmetric algorithm; only the configured ones are trusted.
    if (typeof header.alg !== 'string' || !(this.options.algorithms as readonly string[]).includes(header.alg)) {
      context.check = 'alg';
      throw new AuthFailure('untrusted', `its signing algorithm is not accepted (accepted: ${this.options.algorithms.join(', ')})`);
    }
    if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') throw new AuthFailure('malformed', 'its header typ must be JWT');
    if (typeof header.kid !== 'string' || header.kid === '') throw new AuthFailure('malformed', 'its header has no kid');
    if (typeof claims.iss !== 'string' || claims.iss === '') throw new AuthFailure('malformed', 'it has no iss claim');

    const client = this.clients.get(claims.iss);
    if (!client) {
      context.check = 'iss';
      throw new AuthFailure('untrusted', 'its issuer is not a trusted CDS client');
    }
    // Never fetch a jku that is not allow-listed for this issuer (jku injection).
    if (header.jku !== undefined && (typeof header.jku !== 'string' || !jkuAllowed(client, header.jku))) {
      context.check = 'jku';
      throw new AuthFailure('untrusted', "its jku is not on this issuer's allow-list");
    }
    const keys = this.keys.keysFor(client, header.jku);
    if (!keys) {
      context.check = 'jku';
      throw new AuthFailure('untrusted', 'it names no jku and no keys are configured for its issuer');
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: [...this.options.algorithms],
        issuer: client.iss,
        audience: [...audience],
        typ: 'JWT',
        clockTolerance: this.options.clockSkewSeconds,
        maxTokenAge: this.options.maxAgeSeconds,
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
        currentDate: this.now(),
      }));
    } catch (error) {
      throw refusal(error, audience, context);
    }

    if (typeof payload.jti !== 'string' || payload.jti === '') throw new AuthFailure('malformed', 'its jti claim must be a non-empty string');
    const tenant = payload['tenant'];
    if (tenant !== undefined && typeof tenant !== 'string') throw new AuthFailure('malformed', 'its tenant claim must be a string');
    if (client.tenants && (tenant === undefined || !client.tenants.includes(tenant))) {
      context.check = 'tenant';
      throw new AuthFailure('untrusted', 'its tenant is not one this issuer may act for');
    }

    // Remember the jti until the token could not be accepted anyway: exp, or iat + the maximum age, plus the skew.
    const lastAccepted = Math.min(payload.exp!, payload.iat! + this.options.maxAgeSeconds) + this.options.clockSkewSeconds;
    let first: boolean;
    try {
      first = await this.replay.firstUse(replayKey(client.iss, payload.jti), new Date(lastAccepted * 1000));
    } catch (error) {
      context.note = `replay store (${this.replay.kind}) failed: ${(error as Error).message}`;
      throw unavailable('The service cannot check tokens for replay right now; try again shortly.');
    }
    if (!first) {
      context.check = 'jti';
      throw new AuthFailure('replayed', 'its jti has been seen before; sign a new token for every call');
    }
    return { iss: client.iss, tenant, jti: payload.jti };
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
      case 'typ':
        return new AuthFailure('malformed', 'its header typ must be JWT');
      default:
        return new AuthFailure('malformed', `its ${error.claim} claim is not valid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthFailure('untrusted', 'its signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthFailure('untrusted', "no key of its issuer has its kid");
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
