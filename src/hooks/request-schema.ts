import { z } from 'zod';

/** A required string: "is required" when absent, `mustBe` when present with the wrong type. */
const requiredString = (mustBe = 'must be a string', required = 'is required') => z.string({ error: (iss) => (iss.input === undefined ? required : mustBe) });

/** Where R4 or CDS Hooks wants an array and one object arrives, it is read as a one-item array (policy issue 10, rule 7). */
const oneOrMany = <T extends z.ZodType>(item: T, error: string) => z.preprocess((v) => (v === undefined || v === null || Array.isArray(v) ? v : [v]), z.array(item, { error }));

/**
 * The CDS Hooks 2.0 request for order-sign and order-select, validated once at
 * the edge for what CDS Hooks requires and nothing more (CRD found-33,
 * hook-23: unknown fields are kept and ignored). The FHIR resources inside
 * are read later, leniently and only when a Tecartus order is present
 * (src/fhir/read-resource.ts): a malformed element makes its part of the
 * record unreadable, never a 400 for the whole call, and an order that is not
 * Tecartus never causes a 400.
 */
const DraftOrders = z.looseObject(
  {
    resourceType: z.literal('Bundle', { error: 'must be a FHIR Bundle ({"resourceType": "Bundle", "entry": [...]}) holding the draft orders' }),
    entry: oneOrMany(z.unknown(), 'must be an array of Bundle entries').optional(),
  },
  { error: (iss) => (iss.input === undefined ? 'is required: the draft orders, as a FHIR Bundle' : 'must be a FHIR Bundle holding the draft orders') },
);

export const FhirServerUrl = z.url({ error: 'must be an absolute URL (the base of the EHR\'s FHIR server)' });

const FhirAuthorization = z.looseObject(
  {
    access_token: requiredString().min(1, 'must not be empty'),
    token_type: z.string({ error: 'must be a string' }).optional(),
    expires_in: z.number({ error: 'must be a number' }).optional(),
    scope: z.string({ error: 'must be a string' }).optional(),
    subject: z.string({ error: 'must be a string' }).optional(),
    patient: z.string({ error: 'must be a string' }).optional(),
  },
  { error: 'must be an object with the access token for fhirServer' },
);

const OrderContext = z.looseObject(
  {
    userId: requiredString('must be a string such as Practitioner/123', 'is required (e.g. Practitioner/123)').min(1, 'must not be empty'),
    patientId: requiredString('must be a string: the FHIR id of the patient', 'is required: the FHIR id of the patient').min(1, 'must not be empty'),
    encounterId: z.string({ error: 'must be a string' }).optional(),
    draftOrders: DraftOrders,
    selections: oneOrMany(z.string({ error: 'must be a string such as MedicationRequest/123' }), 'must be an array of Type/id strings').optional(),
  },
  { error: (iss) => (iss.input === undefined ? 'is required' : 'must be an object') },
);

export const HookRequestSchema = z
  .looseObject(
    {
      hook: requiredString().min(1, 'must not be empty'),
      hookInstance: requiredString().min(1, 'must not be empty').max(256, 'is longer than 256 characters'),
      fhirServer: FhirServerUrl.optional(),
      fhirAuthorization: FhirAuthorization.optional(),
      context: OrderContext,
      // Each value is read only when the decision needs it (src/fhir/prefetch.ts says what it must be).
      prefetch: z.record(z.string(), z.unknown(), { error: 'must be an object whose keys are the prefetch keys of the discovery document' }).optional(),
      extension: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
    },
    { error: 'The request body must be a JSON object holding a CDS Hooks request.' },
  )
  .refine((r) => r.fhirAuthorization === undefined || r.fhirServer !== undefined, {
    message: 'fhirServer is required when fhirAuthorization is present (CDS Hooks cds-r-1)',
    path: ['fhirServer'],
  });

export type HookRequest = z.infer<typeof HookRequestSchema>;
