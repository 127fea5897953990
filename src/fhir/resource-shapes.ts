import { z } from 'zod';

/**
 * The JSON shape of every FHIR R4 element the service reads, for the
 * resource types it reads: which elements are strings, numbers, booleans,
 * objects and arrays. Other elements and other resource types pass through
 * untouched (CRD found-33). Presence is not required here: the policy decides
 * what missing data means. src/fhir/read-resource.ts reads resources against
 * these shapes, leniently (one object where R4 wants an array is read as a
 * one-item array) and element by element (a malformed element is left out
 * and reported, never a crash deep in the policy engine).
 */

const str = z.string();
const num = z.number();
const bool = z.boolean();
const array = <T extends z.ZodType>(item: T) => z.array(item);
const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape);

const Coding = object({ system: str.optional(), code: str.optional(), display: str.optional() });
const Identifier = object({ system: str.optional(), value: str.optional(), type: object({ coding: array(Coding).optional(), text: str.optional() }).optional() });
const Reference = object({ reference: str.optional(), display: str.optional(), identifier: Identifier.optional() });
const Period = object({ start: str.optional(), end: str.optional() });
const Quantity = object({ value: num.optional(), unit: str.optional(), code: str.optional(), system: str.optional() });
const Annotation = object({ text: str.optional() });
/** A FHIR date or dateTime: YYYY, YYYY-MM or YYYY-MM-DD, optionally followed by a time. */
const fhirDate = z.string().regex(/^\d{4}(-\d{2}(-\d{2})?)?([T ].*)?$/);

/** An extension inside a CodeableConcept or another extension: the service reads its url and value only. */
const InnerExtension = object({ url: str.optional(), valueCoding: Coding.optional(), valueReference: Reference.optional() });
const PlainConcept = object({ coding: array(Coding).optional(), text: str.optional(), extension: array(InnerExtension).optional() });
const Extension = object({
  url: str.optional(),
  valueCodeableConcept: PlainConcept.optional(),
  valueCoding: Coding.optional(),
  valueReference: Reference.optional(),
  extension: array(InnerExtension).optional(),
});
const CodeableConcept = object({ coding: array(Coding).optional(), text: str.optional(), extension: array(Extension).optional() });
const Timing = object({
  event: array(str).optional(),
  repeat: object({
    count: num.optional(),
    countMax: num.optional(),
    frequency: num.optional(),
    frequencyMax: num.optional(),
    period: num.optional(),
    periodUnit: str.optional(),
    boundsDuration: Quantity.optional(),
    boundsPeriod: Period.optional(),
  }).optional(),
  code: CodeableConcept.optional(),
});

/** Elements every resource the service reads may carry. */
const domain = { id: str.optional(), extension: array(Extension).optional(), status: str.optional(), note: array(Annotation).optional() };
/** How a record says which order it carries out. */
const fulfils = { basedOn: array(Reference).optional(), partOf: array(Reference).optional() };
const reasons = { reasonCode: array(CodeableConcept).optional(), reasonReference: array(Reference).optional() };

const Medication = object({ ...domain, code: CodeableConcept.optional() });
/** Contained resources: a Medication or Organization referenced as `#id` is read like any other. */
const Contained = array(object({ resourceType: str, id: str.optional() }));
const medicationOf = { medicationCodeableConcept: CodeableConcept.optional(), medicationReference: Reference.optional(), contained: Contained.optional() };

export const RESOURCE_SHAPES: Readonly<Record<string, z.ZodType>> = {
  MedicationRequest: object({
    ...domain,
    ...medicationOf,
    ...reasons,
    ...fulfils,
    authoredOn: str.optional(),
    category: array(CodeableConcept).optional(),
    insurance: array(Reference).optional(),
    groupIdentifier: Identifier.optional(),
    statusReason: CodeableConcept.optional(),
    dispenseRequest: object({ numberOfRepeatsAllowed: num.optional(), quantity: Quantity.optional() }).optional(),
    dosageInstruction: array(object({ text: str.optional(), timing: Timing.optional() })).optional(),
  }),
  ServiceRequest: object({
    ...domain,
    ...reasons,
    ...fulfils,
    code: CodeableConcept.optional(),
    authoredOn: str.optional(),
    category: array(CodeableConcept).optional(),
    insurance: array(Reference).optional(),
    groupIdentifier: Identifier.optional(),
    quantityQuantity: Quantity.optional(),
    occurrenceDateTime: str.optional(),
    occurrencePeriod: Period.optional(),
    occurrenceTiming: Timing.optional(),
  }),
  Medication,
  // A birth date that is no FHIR date is unreadable data, not a missing one (a time after it is read for its date).
  Patient: object({ ...domain, birthDate: fhirDate.optional(), deceasedBoolean: bool.optional(), deceasedDateTime: str.optional() }),
  Coverage: object({
    ...domain,
    subscriberId: str.optional(),
    identifier: array(Identifier).optional(),
    payor: array(Reference).optional(),
    period: Period.optional(),
    order: num.optional(),
    class: array(object({ value: str.optional(), name: str.optional(), type: CodeableConcept.optional() })).optional(),
    contained: Contained.optional(),
  }),
  Organization: object({ ...domain, name: str.optional(), identifier: array(Identifier).optional() }),
  // R4 Encounter.class is one Coding; R5-style senders give CodeableConcepts (src/policy/criteria/setting.ts reads both).
  Encounter: object({ ...domain, ...reasons, period: Period.optional(), type: array(CodeableConcept).optional() }),
  Condition: object({
    ...domain,
    code: CodeableConcept.optional(),
    clinicalStatus: CodeableConcept.optional(),
    verificationStatus: CodeableConcept.optional(),
    category: array(CodeableConcept).optional(),
    onsetDateTime: str.optional(),
    onsetPeriod: Period.optional(),
    recordedDate: str.optional(),
    abatementDateTime: str.optional(),
    abatementPeriod: Period.optional(),
    abatementString: str.optional(),
    stage: array(object({ summary: CodeableConcept.optional(), type: CodeableConcept.optional() })).optional(),
    evidence: array(object({ code: array(CodeableConcept).optional() })).optional(),
  }),
  Procedure: object({ ...domain, ...fulfils, code: CodeableConcept.optional(), performedDateTime: str.optional(), performedPeriod: Period.optional() }),
  MedicationAdministration: object({ ...domain, ...medicationOf, partOf: array(Reference).optional(), request: Reference.optional(), effectiveDateTime: str.optional(), effectivePeriod: Period.optional() }),
  MedicationStatement: object({
    ...domain,
    ...medicationOf,
    ...reasons,
    ...fulfils,
    statusReason: array(CodeableConcept).optional(),
    effectiveDateTime: str.optional(),
    effectivePeriod: Period.optional(),
    dateAsserted: str.optional(),
  }),
  Observation: object({
    ...domain,
    ...fulfils,
    code: CodeableConcept.optional(),
    focus: array(Reference).optional(),
    valueCodeableConcept: CodeableConcept.optional(),
    valueString: str.optional(),
    valueBoolean: bool.optional(),
    effectiveDateTime: str.optional(),
    effectivePeriod: Period.optional(),
    issued: str.optional(),
  }),
  OperationOutcome: object({ issue: array(object({ code: str.optional(), diagnostics: str.optional(), details: object({ text: str.optional() }).optional() })).optional() }),
  Bundle: object({
    entry: array(object({ resource: object({ resourceType: str }).optional(), search: object({ mode: str.optional() }).optional() })).optional(),
    link: array(object({ relation: str.optional(), url: str.optional() })).optional(),
  }),
};
