import type { RequestHandler } from 'express';
import { assertDepthWithin } from '../json-depth.js';

/**
 * Refuses parsed JSON bodies nested too deep (src/json-depth.ts) with a 400.
 * Hook calls are mounted before it: they check each part of the body when
 * they first read it, so a call with no Tecartus order never walks the
 * prefetched record it does not read (docs/performance.md).
 */
export function limitJsonDepth(): RequestHandler {
  return (req, _res, next) => {
    assertDepthWithin(req.body);
    next();
  };
}
