import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { depthExceeds, MAX_JSON_DEPTH } from '../../src/json-depth.js';

/** Objects and arrays nested in one another: 0 for a scalar, 1 for {} or []. */
function nesting(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(nesting));
}

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('JSON depth limit (src/json-depth.ts)', () => {
  it('says a body is too deep exactly when its objects and arrays nest more than the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => depthExceeds(value, max) === nesting(value) > max),
      { seed: 20261128, numRuns: 3000 },
    );
  });

  it('allows the limit and refuses one level more, at the service limit, without running out of stack far beyond it', () => {
    assert.equal(depthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH), false);
    assert.equal(depthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH), true);
    assert.equal(depthExceeds(nested(200_000), MAX_JSON_DEPTH), true);
  });
});
