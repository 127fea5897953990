import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface SecurityHeaderOptions {
  /** The service is reached over https (TLS here, or a TLS-terminating proxy): ask browsers to stay on https. */
  readonly https: boolean;
  /** Hashes ('sha256-…') of inline stylesheets the service's own pages carry. */
  readonly styleSources?: readonly string[];
}

/** The JSON APIs: CDS Hooks, the FHIR API, the coverage look-up, SMART, probes and metrics. Everything else is a page or its assets. */
const API_PATH_PREFIXES = ['/cds-services', '/fhir', '/coverage-assertions', '/auth/', '/.well-known/', '/healthz', '/readyz', '/metrics'] as const;

/**
 * Security headers, by what is answered.
 * - **The JSON APIs** get the set the OWASP REST Security Cheat Sheet gives
 *   for API answers: `Cache-Control: no-store` (answers carry PHI and
 *   decisions), a CSP that loads nothing and may not be framed, `nosniff`,
 *   `X-Frame-Options: DENY`, and HSTS over https. The headers helmet adds for
 *   documents (referrer, opener, DNS prefetch, download, Flash policies) mean
 *   nothing to JSON, and setting a dozen headers on every hook call was a
 *   measurable part of the cost of a call with no Tecartus order
 *   (docs/performance.md). Built once, set as a list.
 * - **Pages** (the card preview at `/`, the policy page, the reviewer's
 *   page, their assets) get helmet's full set with a Content-Security-Policy:
 *   scripts and styles from this origin only, nothing inline except the
 *   hashed stylesheets named.
 */
export function securityHeaders(options: SecurityHeaderOptions): RequestHandler {
  const pages = helmet({
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
  const api: readonly (readonly [string, string])[] = [
    ['Cache-Control', 'no-store'],
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ...(options.https ? [['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] as const] : []),
  ];
  return (req, res, next) => {
    if (!isApiPath(req.path)) return pages(req, res, next);
    for (const [name, value] of api) res.setHeader(name, value);
    next();
  };
}

function isApiPath(path: string): boolean {
  return API_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}
