import { z } from 'zod';
import { fhirResourceAsIs, FhirResourceShape, refineResourceShape, resourceShapeAsIs } from '../fhir/resource-shapes.js';
import { acceptsAsIs, type AsIsCheck } from '../validation/accepts-as-is.js';

/** A required string: "is required" when absent, `mustBe` when present with the wrong type. */
const requiredString = (mustBe = 'must be a string', required = 'is required') => z.string({ error: (iss) => (iss.input === undefined ? required : mustBe) });

/**
 * The CDS Hooks 2.0 request for order-sign and order-select, validated once at
 * the edge. Unknown fields are kept and ignored (CRD found-33, hook-23); FHIR
 * resources are checked only for what the service relies on (resource-shapes.ts).
 */
const FhirResource = FhirResourceShape;

const DraftOrder = z.looseObject(
  {
    resourceType: z.string({ error: 'must be a FHIR resource with a resourceType' }).min(1, 'must name a resourceType'),
    id: z.string({ error: 'is required: CRD answers refer to each order by id' }).min(1, 'must not be empty'),
  },
  { error: 'must be a FHIR resource (a JSON object)' },
);
const CheckedDraftOrder = DraftOrder.superRefine(refineResourceShape);

const DraftOrders = z.looseObject({
  resourceType: z.literal('Bundle', { error: 'must be a FHIR Bundle' }),
  entry: z.array(z.looseObject({ resource: CheckedDraftOrder }), { error: 'must be an array' }).optional(),
});

const FhirAuthorization = z.looseObject({
  access_token: requiredString().min(1, 'must not be empty'),
  token_type: z.string({ error: 'must be a string' }).optional(),
  expires_in: z.number({ error: 'must be a number' }).optional(),
  scope: z.string({ error: 'must be a string' }).optional(),
  subject: z.string({ error: 'must be a string' }).optional(),
  patient: z.string({ error: 'must be a string' }).optional(),
});

const OrderContext = z.looseObject({
  userId: requiredString('must be a string such as Practitioner/123', 'is required (e.g. Practitioner/123)').min(1, 'must not be empty'),
  patientId: requiredString().min(1, 'must not be empty'),
  encounterId: z.string({ error: 'must be a string' }).optional(),
  draftOrders: DraftOrders,
  selections: z.array(z.string({ error: 'must be a string such as MedicationRequest/123' }), { error: 'must be an array of Type/id strings' }).optional(),
});

export const HookRequestSchema = z
  .looseObject({
    hook: requiredString().min(1, 'must not be empty'),
    hookInstance: requiredString().min(1, 'must not be empty').max(256, 'is longer than 256 characters'),
    fhirServer: z.url({ error: 'must be an absolute URL' }).optional(),
    fhirAuthorization: FhirAuthorization.optional(),
    context: OrderContext,
    prefetch: z
      .record(z.string(), z.union([FhirResource, z.null()], { error: 'must be a FHIR resource or null' }), { error: 'must be an object' })
      .optional(),
    extension: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  })
  .refine((r) => r.fhirAuthorization === undefined || r.fhirServer !== undefined, {
    message: 'fhirServer is required when fhirAuthorization is present (CDS Hooks cds-r-1)',
    path: ['fhirServer'],
  });

export type HookRequest = z.infer<typeof HookRequestSchema>;

/**
 * True when HookRequestSchema accepts the body as it is (src/validation/accepts-as-is.ts):
 * such a body is used without zod's copy; any other goes through the schema for its messages.
 */
export const hookRequestAsIs = acceptsAsIs(
  HookRequestSchema,
  new Map<z.ZodType, AsIsCheck>([
    [FhirResource, fhirResourceAsIs],
    [CheckedDraftOrder, ((fast: AsIsCheck) => (v: unknown) => fast(v) && resourceShapeAsIs(v))(acceptsAsIs(DraftOrder))],
  ]),
);
