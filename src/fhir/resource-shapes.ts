import { z } from 'zod';

/**
 * The shape of every FHIR element the service reads, for the resource types
 * it reads (R4 JSON: which elements are strings, numbers, objects, arrays).
 * Other elements and other resource types pass through untouched (CRD
 * found-33); an element the service reads with the wrong JSON type is a
 * client error with its path, never a crash deep in the policy engine.
 * Presence is not required here: the policy decides what missing data means.
 */

const str = z.string({ error: 'must be a string' });
const num = z.number({ error: 'must be a number' });
const array = <T extends z.ZodType>(item: T) => z.array(item, { error: 'must be an array' });
const object = <T extends z.core.$ZodLooseShape>(shape: T, what: string) => z.looseObject(shape, { error: `must be ${what} (a JSON object)` });

const Coding = object({ system: str.optional(), code: str.optional(), display: str.optional() }, 'a Coding');
const Reference = object({ reference: str.optional(), display: str.optional() }, 'a Reference');
const Period = object({ start: str.optional(), end: str.optional() }, 'a Period');
const Quantity = object({ value: num.optional(), unit: str.optional(), code: str.optional(), system: str.optional() }, 'a Quantity');

/** An extension inside a CodeableConcept or another extension: the service reads its url and value only. */
const InnerExtension = object({ url: str.optional(), valueCoding: Coding.optional(), valueReference: Reference.optional() }, 'an Extension');
const PlainConcept = object({ coding: array(Coding).optional(), text: str.optional(), extension: array(InnerExtension).optional() }, 'a CodeableConcept');
const Extension = object(
  {
    url: str.optional(),
    valueCodeableConcept: PlainConcept.optional(),
    valueCoding: Coding.optional(),
    valueReference: Reference.optional(),
    extension: array(InnerExtension).optional(),
  },
  'an Extension',
);
const CodeableConcept = object({ coding: array(Coding).optional(), text: str.optional(), extension: array(Extension).optional() }, 'a CodeableConcept');
const Timing = object(
  {
    event: array(str).optional(),
    repeat: object({ count: num.optional(), countMax: num.optional(), frequency: num.optional(), frequencyMax: num.optional(), period: num.optional(), periodUnit: str.optional() }, 'a Timing.repeat').optional(),
    code: CodeableConcept.optional(),
  },
  'a Timing',
);

/** Elements every resource the service reads may carry. */
const domain = { id: str.optional(), extension: array(Extension).optional(), status: str.optional() };

const Medication = object({ ...domain, code: CodeableConcept.optional() }, 'a Medication');
/** Contained resources: a Medication referenced as `#id` is read like any other. */
const Contained = array(
  object({ resourceType: str, id: str.optional() }, 'a resource').superRefine((r, ctx) => {
    if (r.resourceType === 'Medication') forward(Medication.safeParse(r), ctx);
  }),
);
const medicationOf = { medicationCodeableConcept: CodeableConcept.optional(), medicationReference: Reference.optional(), contained: Contained.optional() };

const SHAPES: Readonly<Record<string, z.ZodType>> = {
  MedicationRequest: object(
    {
      ...domain,
      ...medicationOf,
      authoredOn: str.optional(),
      category: array(CodeableConcept).optional(),
      insurance: array(Reference).optional(),
      dispenseRequest: object({ numberOfRepeatsAllowed: num.optional(), quantity: Quantity.optional() }, 'a dispenseRequest').optional(),
      dosageInstruction: array(object({ text: str.optional(), timing: Timing.optional() }, 'a Dosage')).optional(),
    },
    'a MedicationRequest',
  ),
  ServiceRequest: object(
    {
      ...domain,
      code: CodeableConcept.optional(),
      authoredOn: str.optional(),
      category: array(CodeableConcept).optional(),
      insurance: array(Reference).optional(),
      quantityQuantity: Quantity.optional(),
      occurrenceTiming: Timing.optional(),
    },
    'a ServiceRequest',
  ),
  Medication,
  Patient: object({ ...domain, birthDate: str.optional() }, 'a Patient'),
  Coverage: object({ ...domain }, 'a Coverage'),
  Encounter: object({ ...domain, class: Coding.optional() }, 'an Encounter'),
  Condition: object(
    {
      ...domain,
      code: CodeableConcept.optional(),
      clinicalStatus: CodeableConcept.optional(),
      verificationStatus: CodeableConcept.optional(),
      onsetDateTime: str.optional(),
      onsetPeriod: Period.optional(),
      recordedDate: str.optional(),
      abatementDateTime: str.optional(),
      abatementPeriod: Period.optional(),
      abatementString: str.optional(),
      stage: array(object({ summary: CodeableConcept.optional(), type: CodeableConcept.optional() }, 'a Condition.stage')).optional(),
      evidence: array(object({ code: array(CodeableConcept).optional() }, 'a Condition.evidence')).optional(),
    },
    'a Condition',
  ),
  Procedure: object({ ...domain, code: CodeableConcept.optional(), performedDateTime: str.optional(), performedPeriod: Period.optional() }, 'a Procedure'),
  MedicationAdministration: object({ ...domain, ...medicationOf, effectiveDateTime: str.optional(), effectivePeriod: Period.optional() }, 'a MedicationAdministration'),
  MedicationStatement: object({ ...domain, ...medicationOf, effectiveDateTime: str.optional(), effectivePeriod: Period.optional(), dateAsserted: str.optional() }, 'a MedicationStatement'),
  OperationOutcome: object(
    { issue: array(object({ code: str.optional(), diagnostics: str.optional(), details: object({ text: str.optional() }, 'a CodeableConcept').optional() }, 'an issue')).optional() },
    'an OperationOutcome',
  ),
  Bundle: object(
    {
      entry: array(object({ resource: z.lazy(() => FhirResourceShape).optional() }, 'a Bundle entry')).optional(),
      link: array(object({ relation: str.optional(), url: str.optional() }, 'a Bundle link')).optional(),
    },
    'a Bundle',
  ),
};

/** Any FHIR resource: a resourceType, and for the types the service reads, the elements it reads in their JSON types. */
export const FhirResourceShape: z.ZodType<{ resourceType: string; id?: string | undefined; [k: string]: unknown }> = z
  .looseObject(
    {
      resourceType: z.string({ error: 'must be a FHIR resource with a resourceType' }).min(1, 'must name a resourceType'),
      id: str.optional(),
    },
    { error: 'must be a FHIR resource (a JSON object)' },
  )
  .superRefine(refineResourceShape);

/** For a schema of its own that holds a resource (e.g. a draft order that must have an id): checks the elements the service reads. */
export function refineResourceShape(resource: { resourceType: string }, ctx: z.RefinementCtx): void {
  const shape = Object.hasOwn(SHAPES, resource.resourceType) ? SHAPES[resource.resourceType] : undefined;
  if (shape) forward(shape.safeParse(resource), ctx);
}

/** Reports a nested parse's issues on the value being refined, each at its own path. */
function forward(result: z.ZodSafeParseResult<unknown>, ctx: z.RefinementCtx): void {
  if (result.success) return;
  for (const issue of result.error.issues.slice(0, 20)) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: issue.input });
}
