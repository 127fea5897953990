import type { AsymmetricJwsAlgorithm } from '../config.js';
import { AuthFailure } from './auth-failure.js';
import { refuseReplay, verifyClientJwt, type ClientKeys, type RefusalContext } from './client-jwt.js';
import { replayKey } from './replay-store.js';

export interface VerifierOptions {
  readonly algorithms: readonly AsymmetricJwsAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly maxAgeSeconds: number;
  readonly now?: (() => Date) | undefined;
}

/** The caller a token proved to be. */
export interface VerifiedCaller {
  readonly iss: string;
  readonly tenant?: string | undefined;
  readonly jti: string;
}

/**
 * Checks a CDS client's JWT the way CDS Hooks 2.0 "Trusting CDS Clients" and
 * the cds-hooks.org best practices ask: the checks every client-signed JWT
 * goes through (client-jwt.ts: alg, kid, typ, iss, jku, signature, aud, exp),
 * then `iat` within JWT_MAX_AGE_SECONDS, the `tenant` the issuer may act for,
 * and a `jti` never seen before. `sub` is not required (it is not a CDS Hooks claim).
 */
export class CdsJwtVerifier {
  private readonly now: () => Date;

  constructor(
    private readonly trust: ClientKeys,
    private readonly options: VerifierOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * @param audience the endpoint's URL(s) as the client sees it; any one matches.
   * @param context filled with what the log may say about a refusal.
   */
  async verify(token: string, audience: readonly string[], context: RefusalContext = {}): Promise<VerifiedCaller> {
    const { client, payload } = await verifyClientJwt(
      token,
      this.trust,
      { algorithms: this.options.algorithms, clockSkewSeconds: this.options.clockSkewSeconds, now: this.now },
      { audience, requiredClaims: ['iss', 'aud', 'iat'], maxAgeSeconds: this.options.maxAgeSeconds },
      context,
    );
    const tenant = payload['tenant'];
    if (tenant !== undefined && typeof tenant !== 'string') throw new AuthFailure('malformed', 'its tenant claim must be a string');
    if (client.tenants && (tenant === undefined || !client.tenants.includes(tenant))) {
      context.check = 'tenant';
      throw new AuthFailure('untrusted', 'its tenant is not one this issuer may act for');
    }
    // Remember the jti until the token could not be accepted anyway: exp, or iat + the maximum age, plus the skew.
    const lastAccepted = Math.min(payload.exp, payload.iat! + this.options.maxAgeSeconds) + this.options.clockSkewSeconds;
    await refuseReplay(this.trust.replay, replayKey(client.iss, payload.jti), lastAccepted, context);
    return { iss: client.iss, tenant, jti: payload.jti };
  }
}
