import type { Request } from 'express';
import type { Config } from '../config.js';

/** This service's base URL as the client sees it: PUBLIC_BASE_URL, else the request's own scheme and host. */
export function baseUrlOf(req: Request, config: Config): string {
  return config.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? `localhost:${config.port}`}`;
}
