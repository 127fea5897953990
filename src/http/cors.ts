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
  return cors({
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['WWW-Authenticate', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    credentials: false,
    maxAge: 600,
  });
}
