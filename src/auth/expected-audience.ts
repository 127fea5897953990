import type { Request } from 'express';
import type { Config } from '../config.js';
import { baseUrlOf } from '../http/base-url.js';

/**
 * The `aud` a token for this request must carry: CDS Hooks 2.0, "aud: the CDS
 * Service endpoint's URL", i.e. PUBLIC_BASE_URL + the path called (behind a
 * proxy PUBLIC_BASE_URL must be set: the request's own scheme and host are
 * the proxy's view, not the client's). Both spellings with and without a
 * trailing slash are accepted, since clients differ on it.
 */
export function expectedAudience(req: Request, config: Config): string[] {
  const path = req.originalUrl.split('?')[0] ?? '/';
  const url = `${baseUrlOf(req, config)}${path}`;
  const bare = url.replace(/\/+$/, '');
  return [bare, `${bare}/`];
}
