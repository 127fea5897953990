import { z } from 'zod';
import { acceptsAsIs, type AsIsCheck } from '../validation/accepts-as-is.js';

/**
 * The JSON shape of the FHIR elements the service reads, per resource type.
 * Resources from the EHR are not checked as a whole (unknown elements pass
 * through untouched, CRD found-33), but every element the decision, the
 * policy's FHIRPath checks or the system action reads must have its FHIR JSON
 * type: a `coding` that is not an array or a `numberOfRepeatsAllowed` that is
 * a string is an invalid request (400 naming the element, CRD hook-13/14),
 * not a failure deep inside the decision. Only JSON types are checked here,
 * not value sets or formats.
 */
const text = z.string();

const Coding = z.looseObject({ system: text.optional(), code: text.optional(), display: text.optional(), version: text.optional() });
const CodeableConceptCore = z.looseObject({ coding: z.array(Coding).optional(), text: text.optional() });
const Reference = z.looseObject({ reference: text.optional(), display: text.optional() });
const Period = z.looseObject({ start: text.optional(), end: text.optional() });
const Quantity = z.looseObject({ value: z.number().optional(), unit: text.optional(), code: text.optional(), system: text.optional() });

interface ExtensionShape {
  url?: string | undefined;
  extension?: ExtensionShape[] | undefined;
  [key: string]: unknown;
}
// Extensions nest (coverage-information has sub-extensions); the ones the service reads carry these values.
const Extension: z.ZodType<ExtensionShape> = z.looseObject({
  url: text.optional(),
  valueCodeableConcept: CodeableConceptCore.optional(),
  valueCoding: Coding.optional(),
  valueReference: Reference.optional(),
  get extension() {
    return z.array(Extension).optional();
  },
});
/** CRD ext-billing-options sits on the CodeableConcept itself. */
const CodeableConcept = CodeableConceptCore.extend({ extension: z.array(Extension).optional() });

const Timing = z.looseObject({
  event: z.array(text).optional(),
  repeat: z
    .looseObject({
      count: z.number().optional(),
      countMax: z.number().optional(),
      frequency: z.number().optional(),
      frequencyMax: z.number().optional(),
      period: z.number().optional(),
      periodMax: z.number().optional(),
      periodUnit: text.optional(),
    })
    .optional(),
  code: CodeableConcept.optional(),
});

/** Any resource: its type, checked further by checkReadElements. */
const AnyResourceType = z.looseObject({ resourceType: z.string({ error: 'must be a FHIR resource with a resourceType' }).min(1, 'must name a resourceType') });
const AnyResource = AnyResourceType.superRefine(checkReadElements);

/** What every resource may carry: id, extensions and contained resources (each checked by its own type). */
const resourceShape = (elements: z.core.$ZodLooseShape = {}) =>
  z.looseObject({
    id: text.optional(),
    extension: z.array(Extension).optional(),
    contained: z.array(z.lazy(() => AnyResource)).optional(),
    ...elements,
  });

const dated = { effectiveDateTime: text.optional(), effectivePeriod: Period.optional() };
const medication = { medicationCodeableConcept: CodeableConcept.optional(), medicationReference: Reference.optional() };

const SHAPES: Readonly<Record<string, z.ZodType>> = {
  MedicationRequest: resourceShape({
    status: text.optional(),
    authoredOn: text.optional(),
    ...medication,
    category: z.array(CodeableConcept).optional(),
    insurance: z.array(Reference).optional(),
    dispenseRequest: z.looseObject({ numberOfRepeatsAllowed: z.number().optional(), quantity: Quantity.optional() }).optional(),
    dosageInstruction: z.array(z.looseObject({ timing: Timing.optional() })).optional(),
  }),
  ServiceRequest: resourceShape({
    status: text.optional(),
    authoredOn: text.optional(),
    code: CodeableConcept.optional(),
    category: z.array(CodeableConcept).optional(),
    insurance: z.array(Reference).optional(),
    quantityQuantity: Quantity.optional(),
    occurrenceTiming: Timing.optional(),
  }),
  Medication: resourceShape({ code: CodeableConcept.optional() }),
  Patient: resourceShape({ birthDate: text.optional() }),
  Coverage: resourceShape({ status: text.optional() }),
  Encounter: resourceShape({ class: Coding.optional() }),
  Condition: resourceShape({
    code: CodeableConcept.optional(),
    clinicalStatus: CodeableConcept.optional(),
    verificationStatus: CodeableConcept.optional(),
    onsetDateTime: text.optional(),
    onsetPeriod: Period.optional(),
    recordedDate: text.optional(),
    abatementDateTime: text.optional(),
    abatementPeriod: Period.optional(),
    abatementString: text.optional(),
    stage: z.array(z.looseObject({ summary: CodeableConcept.optional(), type: CodeableConcept.optional() })).optional(),
    evidence: z.array(z.looseObject({ code: z.array(CodeableConcept).optional() })).optional(),
  }),
  Procedure: resourceShape({ status: text.optional(), code: CodeableConcept.optional(), performedDateTime: text.optional(), performedPeriod: Period.optional() }),
  MedicationAdministration: resourceShape({ status: text.optional(), ...medication, ...dated }),
  MedicationStatement: resourceShape({ status: text.optional(), ...medication, ...dated, dateAsserted: text.optional() }),
  Bundle: resourceShape({
    entry: z.array(z.looseObject({ resource: AnyResource.optional() })).optional(),
    link: z.array(z.looseObject({ relation: text.optional(), url: text.optional() })).optional(),
  }),
  OperationOutcome: resourceShape({
    issue: z.array(z.looseObject({ code: text.optional(), diagnostics: text.optional(), details: CodeableConcept.optional() })).optional(),
  }),
};

const ANY_TYPE = resourceShape();

/** zod refinement: checks the elements the service reads for the resource's own type. */
export function checkReadElements(resource: { resourceType: string }, ctx: z.RefinementCtx): void {
  const shape = shapeOf(resource.resourceType);
  const parsed = shape.safeParse(resource);
  if (!parsed.success) for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
}

function shapeOf(resourceType: string): z.ZodType {
  return (Object.hasOwn(SHAPES, resourceType) ? SHAPES[resourceType] : undefined) ?? ANY_TYPE;
}

/**
 * The fast twin of checkReadElements (src/validation/accepts-as-is.ts): true
 * when every element the service reads has its FHIR JSON type, without
 * copying anything; false sends the request through the zod schemas, which
 * name the problem.
 */
export function readElementsAsIs(resource: unknown): boolean {
  const resourceType = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof resourceType !== 'string') return false;
  return (Object.hasOwn(FAST_SHAPES, resourceType) ? FAST_SHAPES[resourceType] : undefined)?.(resource) ?? fastAnyType(resource);
}

const KNOWN: ReadonlyMap<z.ZodType, AsIsCheck> = new Map([[AnyResource as z.ZodType, (v: unknown) => fastAnyResourceType(v) && readElementsAsIs(v)]]);
const fastAnyResourceType = acceptsAsIs(AnyResourceType);
const fastAnyType = acceptsAsIs(ANY_TYPE, KNOWN);
const FAST_SHAPES: Readonly<Record<string, AsIsCheck>> = Object.fromEntries(Object.entries(SHAPES).map(([type, shape]) => [type, acceptsAsIs(shape, KNOWN)]));
