import type { Coverage, FhirResource } from 'fhir/r4.js';
import { z } from 'zod';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import { zodIssues } from '../errors/zod-issues.js';

/** The input of $questionnaire-package, read once at the edge. */
export interface PackageRequest {
  readonly coverage?: Coverage | undefined;
  readonly orders: readonly FhirResource[];
  /** Questionnaire canonicals asked for (they limit what is returned). */
  readonly questionnaires: readonly string[];
  /** The CRD coverage-assertion-id (DTR spec-107). */
  readonly context?: string | undefined;
  readonly changedSince?: Date | undefined;
}

const ORDER_TYPES = new Set(['Appointment', 'Encounter', 'CommunicationRequest', 'DeviceRequest', 'MedicationRequest', 'NutritionOrder', 'ServiceRequest', 'SupplyRequest', 'VisionPrescription']);

const Resource = z.looseObject({ resourceType: z.string().min(1), id: z.string().optional() }, { error: 'must be a FHIR resource' });
const Parameter = z.looseObject(
  {
    name: z.string({ error: 'is required' }).min(1),
    resource: Resource.optional(),
    valueCanonical: z.string().optional(),
    valueUri: z.string().optional(),
    valueString: z.string().optional(),
    valueInstant: z.string().optional(),
    valueDateTime: z.string().optional(),
  },
  { error: 'must be a parameter object' },
);
const ParametersShape = z.looseObject(
  {
    resourceType: z.literal('Parameters', { error: 'must be "Parameters": the input of $questionnaire-package is a Parameters resource' }),
    parameter: z.array(Parameter, { error: 'must be an array' }).optional(),
  },
  { error: 'The body must be a FHIR Parameters resource (application/fhir+json).' },
);

/**
 * Reads the Parameters of $questionnaire-package, DTR 2.2 names, taking
 * inputs written the 2.0.1 way too: several `coverage` (the first is used),
 * `changedsince` as a dateTime, and `referenced` (no longer defined; ignored).
 * dtr-1: at least one of order, questionnaire and context.
 */
export function readPackageRequest(body: unknown): PackageRequest {
  const parsed = ParametersShape.safeParse(body, { reportInput: true });
  if (!parsed.success) throw badRequestIssues(zodIssues(parsed.error));
  const parameters = parsed.data.parameter ?? [];
  const named = (name: string) => parameters.filter((p) => p.name.toLowerCase() === name);
  const problems: ReturnType<typeof issue>[] = [];

  const coverages = named('coverage').map((p, i) => {
    if (p.resource?.resourceType !== 'Coverage') problems.push(issue('invalid', `parameter coverage[${i}] must hold a Coverage resource`, [`Parameters.parameter.where(name='coverage')[${i}]`]));
    return p.resource as unknown as Coverage;
  });
  const orders = named('order').map((p, i) => {
    if (!p.resource || !ORDER_TYPES.has(p.resource.resourceType)) {
      problems.push(issue('invalid', `parameter order[${i}] must hold an order (${[...ORDER_TYPES].join(', ')})`, [`Parameters.parameter.where(name='order')[${i}]`]));
    }
    return p.resource as unknown as FhirResource;
  });
  const questionnaires = named('questionnaire').map((p, i) => {
    const value = p.valueCanonical ?? p.valueUri ?? p.valueString;
    if (!value) problems.push(issue('invalid', `parameter questionnaire[${i}] must hold a canonical (valueCanonical)`, [`Parameters.parameter.where(name='questionnaire')[${i}]`]));
    return value ?? '';
  });
  const contexts = named('context');
  if (contexts.length > 1) problems.push(issue('invalid', 'parameter context may appear once', ["Parameters.parameter.where(name='context')"]));
  const context = contexts[0]?.valueString;
  if (contexts.length === 1 && !context) problems.push(issue('invalid', 'parameter context must hold a string (valueString): the CRD coverage-assertion-id', ["Parameters.parameter.where(name='context')"]));
  const since = named('changedsince')[0];
  const sinceText = since?.valueInstant ?? since?.valueDateTime;
  const changedSince = sinceText ? new Date(sinceText) : undefined;
  if (since && (!changedSince || Number.isNaN(changedSince.getTime()))) {
    problems.push(issue('invalid', 'parameter changedsince must hold an instant (valueInstant), e.g. 2026-06-15T12:00:00Z', ["Parameters.parameter.where(name='changedsince')"]));
  }
  // dtr-1
  if (orders.length === 0 && questionnaires.length === 0 && !context) {
    problems.push(issue('required', 'At least one of the parameters order, questionnaire and context is required (DTR dtr-1)', ['Parameters.parameter']));
  }
  if (problems.length > 0) throw badRequestIssues(problems);
  return { coverage: coverages[0], orders, questionnaires, context, changedSince };
}
