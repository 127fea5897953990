import type { RequestHandler } from 'express';
import { HttpError, outcome } from './operation-outcome.js';

/**
 * Real CDS Hooks requests nest about 20 levels deep (request, prefetch,
 * Bundle, entry, resource, extension, CodeableConcept, coding). Far deeper
 * JSON is hostile: recursive code (hashing, FHIRPath, serialising the answer)
 * would run out of stack on it.
 */
export const MAX_JSON_DEPTH = 100;

/** Refuses parsed JSON bodies nested deeper than `maxDepth` with a 400, checked without recursion. */
export function limitJsonDepth(maxDepth = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (depthExceeds(req.body, maxDepth)) {
      throw new HttpError(400, outcome('too-costly', `The request body is nested more than ${maxDepth} levels deep; a CDS Hooks request never needs that.`));
    }
    next();
  };
}

export function depthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
