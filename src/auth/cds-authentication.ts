import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { OPEN_DEVELOPMENT_MODE_ISS, setCdsClient } from '../http/cds-client.js';
import type { Logger } from '../logger.js';
import { AuthFailure } from './auth-failure.js';
import { expectedAudience } from './expected-audience.js';
import type { RefusalContext } from './client-jwt.js';
import type { CdsJwtVerifier, VerifiedCaller } from './verify-cds-jwt.js';


/**
 * Authenticates a hook, feedback or look-up call (CDS Hooks 2.0: "Every
 * request ... MUST include an Authorization header with a bearer token"),
 * then records the caller for the route, the store and the rate limit. It
 * runs before the body is read, so strangers cannot make the service parse
 * large bodies. Without a verifier (no clients file) every caller is let in
 * as `open-development-mode`.
 */
export function cdsAuthentication(options: { config: Config; logger: Logger; verifier?: CdsJwtVerifier | undefined }): RequestHandler {
  const { config, logger, verifier } = options;
  if (!verifier) {
    return (_req, res, next) => {
      setCdsClient(res, { iss: OPEN_DEVELOPMENT_MODE_ISS });
      next();
    };
  }
  return async (req, res, next) => {
    const context: RefusalContext = {};
    let caller: VerifiedCaller;
    try {
      caller = await verifier.verify(bearerToken(req), expectedAudience(req, config), context);
    } catch (error) {
      const category = error instanceof AuthFailure ? error.category : 'unavailable';
      logger.warn(
        {
          event: 'auth-refused',
          category,
          reason: error instanceof AuthFailure ? error.detail : undefined,
          check: context.check,
          claimedIss: context.claimedIss,
          note: context.note,
          method: req.method,
          path: req.path.slice(0, 200),
        },
        'call refused: authentication failed',
      );
      throw error;
    }
    setCdsClient(res, { iss: caller.iss, tenant: caller.tenant });
    next();
  };
}

/** RFC 6750 section 2.1: `Authorization: Bearer <token>` (scheme case-insensitive). */
function bearerToken(req: Request): string {
  const header = req.get('authorization');
  if (header === undefined || header.trim() === '') throw new AuthFailure('missing', 'send Authorization: Bearer <JWT> signed by your private key');
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw new AuthFailure('malformed', 'the Authorization header must be "Bearer " followed by a JWT');
  return match[1]!;
}
