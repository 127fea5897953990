import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface SecurityHeaderOptions {
  /** The service is reached over https (TLS here, or a TLS-terminating proxy): ask browsers to stay on https. */
  readonly https: boolean;
  /** Hashes ('sha256-…') of inline stylesheets the service's own pages carry. */
  readonly styleSources?: readonly string[];
}

/**
 * helmet's security headers with a Content-Security-Policy for the service's
 * own pages (the card preview at `/`, the policy page): scripts and styles
 * from this origin only, nothing inline except the hashed stylesheets named.
 * The JSON endpoints are unaffected by the policy; it only guards pages.
 */
export function securityHeaders(options: SecurityHeaderOptions): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", ...(options.styleSources ?? [])],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        // Over plain http (development) upgrading would send the page's own scripts to an https port that does not exist.
        'upgrade-insecure-requests': options.https ? [] : null,
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: true } : false,
  });
}
