import { Ajv } from 'ajv';
import { z } from 'zod';
import { FhirServerUrl, HookRequestSchema, type HookRequest } from './request-schema.js';

/**
 * The hook request's zod schema compiled once to JSON Schema and checked by
 * Ajv: the fast path for a well-formed request, which is nearly every call
 * (zod's parse cost a no-Tecartus call as much as the rest of its own work;
 * docs/performance.md). It answers only "well-formed as sent": a request it
 * accepts is one zod accepts and would return unchanged, so the request is
 * used as sent. Anything else (an error, or one object where an array is
 * wanted, which zod reads leniently) goes to zod, whose messages are the 400's.
 *
 * What JSON Schema cannot say is checked here in the same words as the zod
 * schema: fhirServer as zod reads a URL, and CDS Hooks cds-r-1 (the refine).
 */
// Both count a string's length in code points (hookInstance's 256); formats are zod's to check (below).
const validate = new Ajv({ strict: false, validateFormats: false }).compile(
  z.toJSONSchema(HookRequestSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }),
);

/** The request as sent, when it is a well-formed CDS Hooks request with arrays where arrays are wanted; otherwise undefined. */
export function wellFormedAsSent(body: unknown): HookRequest | undefined {
  if (!validate(body)) return undefined;
  const request = body as HookRequest;
  if (request.fhirServer !== undefined && !FhirServerUrl.safeParse(request.fhirServer).success) return undefined;
  if (request.fhirAuthorization !== undefined && request.fhirServer === undefined) return undefined;
  return request;
}
