import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. They carry ids, codes and timings only: never tokens,
 * names, birth dates, identifiers or resource bodies. Redaction is a second
 * line of defence for anything that slips into a log call.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'tecartus-cds' }, formatters: { log: redactSecrets } }, destination);
}

/** Keys whose values never reach a log: credentials and request bodies, wherever they sit in the first three levels of a line. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set(['authorization', 'fhirAuthorization', 'access_token', 'token', 'body', 'prefetch']);
export const CENSOR = '[REDACTED]';
const REDACTED_DEPTH = 3;

/**
 * The redaction, as pino's `formatters.log`: the value of every key in
 * REDACTED_KEYS is replaced in the first three levels of the line (which
 * covers `req.headers.authorization`, `request.fhirAuthorization`,
 * `*.token`). The caller's object is never changed: a level that needs a
 * change is copied. pino's own `redact` option did the same for a fixed list
 * of paths at about 10 µs a line, the largest single cost of a hook call with
 * no Tecartus order (docs/performance.md); this walk costs under 1 µs and
 * also catches the keys one level further down.
 */
export function redactSecrets(line: Record<string, unknown>): Record<string, unknown> {
  return redactLevel(line, 1) as Record<string, unknown>;
}

function redactLevel(node: object, level: number): object {
  let copy: Record<string, unknown> | unknown[] | undefined;
  for (const key in node) {
    if (!Object.hasOwn(node, key)) continue;
    const value = (node as Record<string, unknown>)[key];
    let replaced = value;
    if (REDACTED_KEYS.has(key)) replaced = value === undefined ? undefined : CENSOR;
    else if (level < REDACTED_DEPTH && value !== null && typeof value === 'object') replaced = redactLevel(value, level + 1);
    if (replaced === value) continue;
    copy ??= copyOf(node);
    (copy as Record<string, unknown>)[key] = replaced;
  }
  return copy ?? node;
}

/** A shallow copy; an Error keeps what pino's error serializer prints (its type, message and stack are not own enumerable keys). */
function copyOf(node: object): Record<string, unknown> | unknown[] {
  if (Array.isArray(node)) return [...node];
  if (node instanceof Error) return { ...node, type: node.name, message: node.message, stack: node.stack };
  return { ...node };
}
