import { z } from 'zod';
import { acceptsAsIs, type AsIsCheck } from '../validation/accepts-as-is.js';

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
const ContainedResource = object({ resourceType: str, id: str.optional() }, 'a resource');
const CheckedContainedResource = ContainedResource.superRefine((r, ctx) => {
  if (r.resourceType === 'Medication') forward(Medication.safeParse(r), ctx);
});
const Contained = array(CheckedContainedResource);
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

const ResourceType = z.looseObject(
  {
    resourceType: z.string({ error: 'must be a FHIR resource with a resourceType' }).min(1, 'must name a resourceType'),
    id: str.optional(),
  },
  { error: 'must be a FHIR resource (a JSON object)' },
);

/** Any FHIR resource: a resourceType, and for the types the service reads, the elements it reads in their JSON types. */
export const FhirResourceShape: z.ZodType<{ resourceType: string; id?: string | undefined; [k: string]: unknown }> = ResourceType.superRefine(refineResourceShape);

/** For a schema of its own that holds a resource (e.g. a draft order that must have an id): checks the elements the service reads. */
export function refineResourceShape(resource: { resourceType: string }, ctx: z.RefinementCtx): void {
  const shape = Object.hasOwn(SHAPES, resource.resourceType) ? SHAPES[resource.resourceType] : undefined;
  if (shape) forward(shape.safeParse(resource), ctx);
}

/**
 * The fast twin of refineResourceShape (src/validation/accepts-as-is.ts): true
 * when every element the service reads has its JSON type, found without
 * copying anything. False sends the value through the zod schemas, which
 * name the problem.
 */
export function resourceShapeAsIs(resource: unknown): boolean {
  const resourceType = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof resourceType !== 'string') return false;
  const check = Object.hasOwn(FAST_SHAPES, resourceType) ? FAST_SHAPES[resourceType] : undefined;
  return check ? check(resource) : true;
}

/** The superRefined schemas, by what they check (a refinement's function is not visible to acceptsAsIs). */
const KNOWN: ReadonlyMap<z.ZodType, AsIsCheck> = new Map<z.ZodType, AsIsCheck>([
  [FhirResourceShape, (v) => fastResourceType(v) && resourceShapeAsIs(v)],
  [CheckedContainedResource, (v) => fastContainedResource(v) && ((v as { resourceType: string }).resourceType !== 'Medication' || fastMedication(v))],
]);
const fastResourceType = acceptsAsIs(ResourceType);
const fastContainedResource = acceptsAsIs(ContainedResource);
const fastMedication = acceptsAsIs(Medication, KNOWN);
const FAST_SHAPES: Readonly<Record<string, AsIsCheck>> = Object.fromEntries(Object.entries(SHAPES).map(([type, shape]) => [type, acceptsAsIs(shape, KNOWN)]));

/** True when FhirResourceShape accepts the value as it is (the fast path; see acceptsAsIs). */
export const fhirResourceAsIs: AsIsCheck = acceptsAsIs(FhirResourceShape, KNOWN);

/** Reports a nested parse's issues on the value being refined, each at its own path. */
function forward(result: z.ZodSafeParseResult<unknown>, ctx: z.RefinementCtx): void {
  if (result.success) return;
  for (const issue of result.error.issues.slice(0, 20)) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: issue.input });
}
