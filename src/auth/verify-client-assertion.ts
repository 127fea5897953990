import type { AsymmetricJwsAlgorithm } from '../config.js';
import { AuthFailure } from './auth-failure.js';
import { refuseReplay, verifyClientJwt, type ClientKeys, type RefusalContext } from './client-jwt.js';
import { replayKey } from './replay-store.js';

/** SMART Backend Services: "exp ... SHALL be no more than five minutes in the future". */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/**
 * Replay keys of client assertions are kept apart from CDS Hooks jtis (same
 * store, same issuers): a jti used once in each is not a replay.
 */
const REPLAY_KEY_PREFIX = 'smart-assertion:';

export interface ClientAssertionSettings {
  readonly algorithms: readonly AsymmetricJwsAlgorithm[];
  readonly clockSkewSeconds: number;
  readonly now: () => Date;
}

/**
 * Checks the `client_assertion` of a token request (SMART Backend Services,
 * "Authenticating to the Token endpoint"; RFC 7523): the checks every
 * client-signed JWT goes through (client-jwt.ts: alg, kid, typ, iss in the
 * clients file, jku, signature, aud = the token URL, exp), then `sub` = `iss`
 * (the client_id), `exp` no more than five minutes ahead, `iat` (optional
 * here) not in the future, and a `jti` never used before. Throws AuthFailure.
 */
export class ClientAssertionVerifier {
  constructor(
    private readonly trust: ClientKeys,
    private readonly settings: ClientAssertionSettings,
  ) {}

  /** @returns the client_id (the clients file's `iss`) the assertion proves. */
  async verify(assertion: string, tokenUrl: readonly string[], context: RefusalContext): Promise<string> {
    const { clockSkewSeconds, now } = this.settings;
    const { client, payload } = await verifyClientJwt(assertion, this.trust, this.settings, { audience: tokenUrl, requiredClaims: ['iss', 'sub', 'aud'], subjectIsIssuer: true }, context);
    const nowSeconds = Math.floor(now().getTime() / 1000);
    if (payload.exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + clockSkewSeconds) {
      context.check = 'exp-too-far';
      throw new AuthFailure('untrusted', `its exp is more than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead (SMART: no more than five minutes)`);
    }
    if (payload.iat !== undefined && payload.iat > nowSeconds + clockSkewSeconds) {
      context.check = 'iat';
      throw new AuthFailure('untrusted', 'its iat is in the future');
    }
    // The assertion could not be accepted after exp (plus the skew): its jti is remembered until then.
    await refuseReplay(this.trust.replay, `${REPLAY_KEY_PREFIX}${replayKey(client.iss, payload.jti)}`, payload.exp + clockSkewSeconds, context);
    return client.iss;
  }
}
