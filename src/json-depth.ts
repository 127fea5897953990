import { OperationOutcomeError, outcome } from './errors/outcomes.js';

/**
 * Real CDS Hooks requests nest about 20 levels deep (request, prefetch,
 * Bundle, entry, resource, extension, CodeableConcept, coding). Far deeper
 * JSON is hostile: recursive code (hashing, FHIRPath, serialising the answer)
 * would run out of stack on it.
 */
export const MAX_JSON_DEPTH = 100;

/** Refuses a parsed JSON value nested deeper than `maxDepth` with a 400, before recursive code reads it. */
export function assertDepthWithin(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  if (depthExceeds(value, maxDepth)) {
    throw new OperationOutcomeError(outcome('structure', `The request body is nested more than ${MAX_JSON_DEPTH} levels deep; a CDS Hooks request never needs that.`));
  }
}

export function depthExceeds(value: unknown, maxDepth: number): boolean {
  return value !== null && typeof value === 'object' && objectTooDeep(value, 0, maxDepth);
}

/**
 * Recursion stops at `maxDepth`, so the stack stays shallow whatever the body;
 * it runs on every request, so it walks the parsed body without allocating.
 */
function objectTooDeep(node: object, depth: number, maxDepth: number): boolean {
  if (depth >= maxDepth) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object' && objectTooDeep(child, depth + 1, maxDepth)) return true;
    }
    return false;
  }
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && objectTooDeep(child, depth + 1, maxDepth)) return true;
  }
  return false;
}
