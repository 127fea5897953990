import type { OperationOutcome } from 'fhir/r4.js';
import { outcome } from '../errors/outcomes.js';

/** Why a call was refused, in the words of the 401 answer. */
export type AuthFailureCategory = 'missing' | 'malformed' | 'untrusted' | 'expired' | 'replayed';

const SUMMARY: Record<AuthFailureCategory, string> = {
  missing: 'no bearer token',
  malformed: 'the bearer token is not a well-formed CDS Hooks JWT',
  untrusted: 'the bearer token is not from a trusted CDS client',
  expired: 'the bearer token has expired',
  replayed: 'the bearer token has been used before',
};

/**
 * A refused token. `detail` says which check failed, in our own words: it
 * never quotes the token or anything read from it, because the answer and
 * the logs must not carry the token (CDS Hooks: never log JWTs).
 */
export class AuthFailure extends Error {
  constructor(
    readonly category: AuthFailureCategory,
    readonly detail: string,
  ) {
    super(`${category}: ${detail}`);
    this.name = 'AuthFailure';
  }

  /** The OperationOutcome naming the category (CDS Hooks best practice: 401 for a refused JWT). */
  outcome(): OperationOutcome {
    const code = this.category === 'missing' ? 'login' : this.category === 'expired' ? 'expired' : 'security';
    return outcome(code, `Authentication failed (${this.category}): ${SUMMARY[this.category]}; ${this.detail}.`);
  }

  /** The `WWW-Authenticate` challenge (RFC 6750 section 3), from fixed text only, so it always is a legal header value. */
  challenge(): string {
    return `Bearer error="invalid_token", error_description="${this.category}: ${SUMMARY[this.category]}"`;
  }
}
