import type { CdsResponse } from './types.js';

const bodies = new WeakMap<CdsResponse, string>();

/**
 * The JSON text of a hook answer, serialised once: the route sends it and the
 * audit record hashes it (CRD found-37: the answer as sent), so both use the
 * same text and the answer is not serialised twice.
 */
export function responseBody(response: CdsResponse): string {
  let body = bodies.get(response);
  if (body === undefined) {
    body = JSON.stringify(response);
    bodies.set(response, body);
  }
  return body;
}
