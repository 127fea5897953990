/**
 * The token endpoint's error codes: RFC 6749 section 5.2, and
 * `temporarily_unavailable` (section 4.1.2.1) when the service is overloaded
 * or a store it needs is down.
 */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type' | 'temporarily_unavailable';

/**
 * A refused token request. The token endpoint answers in OAuth's own JSON
 * (`{"error", "error_description"}`), not with an OperationOutcome: it is an
 * OAuth 2.0 authorization server endpoint, not a FHIR one, and SMART Backend
 * Services says a failed request gets "the appropriate error message defined
 * in Section 5.2 of the OAuth 2.0 specification", which OAuth client
 * libraries read. The HTTP error handler picks the status from the code.
 * `description` is our own words: it never quotes the assertion.
 */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly options: {
      /** temporarily_unavailable: the client may try again then. */
      readonly retryAfterSeconds?: number | undefined;
      /** temporarily_unavailable because the client sent too many requests (429), not because a store is down (503). */
      readonly throttled?: boolean | undefined;
    } = {},
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
  }

  /** RFC 6749 section 5.2: the error response body. */
  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}
