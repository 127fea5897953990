import { OperationOutcomeError, outcome } from '../errors/outcomes.js';

/** Why a FHIR API call's access token was refused (401), in the words of the answer. */
export type InvalidTokenReason = 'missing' | 'malformed' | 'unknown' | 'expired';

const SUMMARY: Record<InvalidTokenReason, string> = {
  missing: 'no bearer token; get an access token from the token endpoint (SMART Backend Services) and send Authorization: Bearer <access token>',
  malformed: 'the Authorization header must be "Bearer " followed by an access token',
  unknown: 'the access token is not one this service issued',
  expired: 'the access token has expired; get a new one from the token endpoint',
};

/**
 * A refused FHIR API call (RFC 6750 section 3.1): an OperationOutcome, and
 * the `WWW-Authenticate` challenge the HTTP error handler sends with it.
 * Built from fixed text only: it never quotes the token.
 */
export class AccessTokenRefusal extends OperationOutcomeError {
  constructor(
    text: string,
    code: 'login' | 'security' | 'expired' | 'forbidden',
    readonly challenge: string,
  ) {
    super(outcome(code, text));
    this.name = 'AccessTokenRefusal';
  }
}

/** 401 invalid_token: no token, not ours, or expired. */
export function invalidAccessToken(reason: InvalidTokenReason): AccessTokenRefusal {
  const code = reason === 'missing' ? 'login' : reason === 'expired' ? 'expired' : 'security';
  return new AccessTokenRefusal(`Authentication failed (${reason}): ${SUMMARY[reason]}.`, code, `Bearer error="invalid_token", error_description="${reason}: ${SUMMARY[reason].split(';')[0]}"`);
}

/** 403 insufficient_scope: the token does not grant `scope`, or (undefined) no scope this service offers grants the call. */
export function insufficientScope(call: string, scope: string | undefined): AccessTokenRefusal {
  const text =
    scope === undefined
      ? `Forbidden (insufficient_scope): no scope this FHIR API offers grants ${call}.`
      : `Forbidden (insufficient_scope): ${call} needs the scope ${scope}, which this access token was not granted; request it at the token endpoint.`;
  return new AccessTokenRefusal(text, 'forbidden', scope === undefined ? 'Bearer error="insufficient_scope"' : `Bearer error="insufficient_scope", scope="${scope}"`);
}
