import type { Bundle } from 'fhir/r4.js';
import { z } from 'zod';
import { CliInputError } from './cli-input-error.js';

/** What the evaluator was given: a CDS Hooks request as an EHR sends it, or a FHIR Bundle with the record and the order. */
export type EvaluatorInput = { readonly kind: 'request'; readonly body: Record<string, unknown> } | { readonly kind: 'bundle'; readonly bundle: Bundle };

const BundleShape = z.looseObject({
  resourceType: z.literal('Bundle'),
  entry: z
    .array(
      z.looseObject({
        resource: z.looseObject({ resourceType: z.string({ error: 'must be a FHIR resource with a resourceType' }).min(1) }, { error: 'must be a FHIR resource' }).optional(),
      }),
      { error: 'must be an array of entries' },
    )
    .optional(),
});

/** Reads the input text: JSON, then which of the two forms it is. The full request check is the service's own (parseHookRequest). */
export function readEvaluatorInput(text: string, source: string): EvaluatorInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliInputError(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliInputError(`${source} holds a JSON ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}, not a CDS Hooks request or a FHIR Bundle.`);
  }
  const object = value as Record<string, unknown>;
  if (object['resourceType'] === 'Bundle') {
    const parsed = BundleShape.safeParse(object);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 10).map((i) => `  - ${i.path.map(String).join('.')}: ${i.message}`);
      throw new CliInputError(`${source} is not a usable FHIR Bundle:\n${issues.join('\n')}`);
    }
    return { kind: 'bundle', bundle: object as unknown as Bundle };
  }
  if ('hook' in object || 'hookInstance' in object || 'context' in object) return { kind: 'request', body: object };
  if (typeof object['resourceType'] === 'string') {
    throw new CliInputError(`${source} is a FHIR ${object['resourceType']}, not a Bundle: put the patient's record and the order in a Bundle, or give a CDS Hooks request.`);
  }
  throw new CliInputError(`${source} is neither a CDS Hooks request (it has no hook, hookInstance or context) nor a FHIR Bundle (its resourceType is not Bundle).`);
}
