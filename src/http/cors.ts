import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for browser-based CDS clients (CDS Hooks 2.0: "CDS Services and
 * browser-based CDS Clients will require CORS support"): preflight answered on
 * discovery, service, feedback and look-up endpoints, allowing the
 * `Authorization` and `Content-Type` headers. Origins: any (`*`) or an
 * allow-list; never credentials, since the JWT travels in a header, not a
 * cookie.
 */
export function cdsCors(origins: '*' | readonly string[]): RequestHandler {
  const answerBrowsers = cors({
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['WWW-Authenticate', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    credentials: false,
    maxAge: 600,
  });
  // Fetch standard: a browser sends Origin on every cross-origin request, and CORS headers mean nothing to a request
  // without it (an EHR's server calling, the common case); only the allow-list's Vary: Origin is kept for caches.
  return (req, res, next) => {
    if (req.headers.origin !== undefined) return answerBrowsers(req, res, next);
    if (origins !== '*') res.vary('Origin');
    next();
  };
}
