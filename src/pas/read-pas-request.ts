import type { Bundle, Claim, OperationOutcomeIssue, Coding, Coverage, FhirResource, Identifier, Organization, Patient, PractitionerRole, QuestionnaireResponse } from 'fhir/r4.js';
import { z } from 'zod';
import { badRequest, badRequestIssues } from '../errors/outcomes.js';
import { zodIssues } from '../errors/zod-issues.js';
import { BundleIndex, type IndexedEntry } from './bundle-index.js';
import { MEMBER_ID_TYPE, PAS, PROCESS_PRIORITY_SYSTEM } from './pas-canonicals.js';

const COVERAGE_INFORMATION_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';

/** One Claim item: what is asked for, and the order it asks for when the Bundle names one. */
export interface PasItem {
  readonly sequence: number;
  /** `system|code` of productOrService. */
  readonly service: string;
  readonly serviceCoding?: Coding | undefined;
  /** The MedicationRequest or ServiceRequest the item's requestedService extension names (PAS profile-claim). */
  readonly order?: IndexedEntry | undefined;
}

/** A PAS request Bundle, read once at the edge: everything the service relies on is checked here. */
export interface PasSubmission {
  readonly bundle: Bundle;
  readonly index: BundleIndex;
  readonly claim: Claim;
  readonly claimEntry: IndexedEntry;
  /** `system|value` of the Claim's first identifier: the provider's trace number, the key of a resubmission. */
  readonly claimIdentifier: string;
  readonly patient: Patient;
  readonly patientEntry: IndexedEntry;
  readonly coverage?: Coverage | undefined;
  readonly items: readonly PasItem[];
  /** The DTR QuestionnaireResponses the Claim's supporting information points to. */
  readonly forms: readonly QuestionnaireResponse[];
  readonly priority: 'standard' | 'expedited';
  /** `system|value` of the member's ids: the Coverage's member id, then the Patient's identifiers. */
  readonly memberIds: readonly string[];
  /** `system|value` identifiers of the requesting organisation. */
  readonly organisations: readonly string[];
  /** CRD coverage-assertion-ids the submitted orders carry (the EHR stores the coverage information on the order). */
  readonly assertionIds: readonly string[];
}

const Reference = z.object({ reference: z.string().min(1) }).loose();
const Extensions = z.array(z.object({ url: z.string() }).loose()).optional();
const Identifiers = z.array(z.object({ system: z.string().optional(), value: z.string().optional(), type: z.object({ coding: z.array(z.object({}).loose()).optional() }).loose().optional() }).loose()).optional();
type FormItem = { linkId: string; item?: FormItem[] | undefined; answer?: { item?: FormItem[] | undefined }[] | undefined };
const FormItemShape: z.ZodType<FormItem> = z.lazy(() =>
  z.object({ linkId: z.string(), item: z.array(FormItemShape).optional(), answer: z.array(z.object({ extension: Extensions, item: z.array(FormItemShape).optional() }).loose()).optional() }).loose(),
);
/**
 * What the service reads in the other resources of the Bundle, checked once
 * here: identifiers (member ids, the requesting organisation), the form's
 * items and answers, the orders' extensions (the CRD coverage information).
 * The engine reads the clinical resources leniently on its own (src/fhir).
 */
const ENTRY_SHAPES: Partial<Record<string, z.ZodType>> = {
  Patient: z.object({ identifier: Identifiers }).loose(),
  Coverage: z.object({ identifier: Identifiers }).loose(),
  Organization: z.object({ identifier: Identifiers }).loose(),
  PractitionerRole: z.object({ organization: z.object({ reference: z.string().optional() }).loose().optional() }).loose(),
  QuestionnaireResponse: z.object({ questionnaire: z.string().optional(), item: z.array(FormItemShape).optional() }).loose(),
  MedicationRequest: z.object({ extension: z.array(z.object({ url: z.string(), extension: Extensions }).loose()).optional() }).loose(),
  ServiceRequest: z.object({ extension: z.array(z.object({ url: z.string(), extension: Extensions }).loose()).optional() }).loose(),
};
const ClaimShape = z
  .object({
    resourceType: z.literal('Claim'),
    use: z.literal('preauthorization', { error: 'Claim.use must be preauthorization: this endpoint takes prior authorization requests (PAS profile-claim)' }),
    identifier: z.array(z.object({ system: z.string().min(1), value: z.string().min(1) }).loose(), { error: 'Claim.identifier is required: the trace number (system and value) that identifies the request' }).min(1),
    patient: Reference,
    provider: Reference,
    created: z.string().optional(),
    type: z.object({}).loose().optional(),
    insurer: z.object({ reference: z.string().optional() }).loose().optional(),
    insurance: z.array(z.object({ coverage: z.object({ reference: z.string().optional() }).loose().optional() }).loose()).optional(),
    item: z
      .array(
        z.object({ sequence: z.number().int().positive(), extension: z.array(z.object({ url: z.string(), valueReference: z.object({ reference: z.string().optional() }).loose().optional() }).loose()).optional(), productOrService: z.object({ coding: z.array(z.object({ system: z.string().optional(), code: z.string().optional() }).loose()).optional() }).loose() }).loose(),
      )
      .min(1),
    supportingInfo: z.array(z.object({ sequence: z.number().int(), valueReference: Reference.optional() }).loose()).optional(),
    priority: z.object({ coding: z.array(z.object({ system: z.string().optional(), code: z.string().optional() }).loose()).optional() }).loose().optional(),
  })
  .loose();
/** A $inquire Claim asks by example: the trace number and items are optional. */
const InquiryClaimShape = ClaimShape.extend({ identifier: ClaimShape.shape.identifier.optional(), item: z.array(ClaimShape.shape.item.element).optional(), provider: Reference.optional() });
const BundleShape = z
  .object({
    resourceType: z.literal('Bundle', { error: 'The body must be a PAS request Bundle (resourceType Bundle)' }),
    entry: z
      .array(z.object({ fullUrl: z.string().optional(), resource: z.object({ resourceType: z.string().min(1), id: z.string().optional() }).loose() }).loose(), {
        error: 'Bundle.entry is required: the Claim first, then every resource it references',
      })
      .min(1),
  })
  .loose();

/**
 * Reads a Claim/$submit (or $inquire) body: a Bundle with the Claim first
 * (PAS spec-12), use preauthorization, an identifier, the Patient it names
 * in the Bundle, and unique item sequences. Anything else is a 400 that says
 * what is wrong (spec-35: a single OperationOutcome).
 */
export function readPasRequest(body: unknown, purpose: 'submit' | 'inquire' = 'submit'): PasSubmission {
  const bundleParsed = BundleShape.safeParse(body, { reportInput: true });
  if (!bundleParsed.success) throw badRequestIssues(prefixed(zodIssues(bundleParsed.error), 'Bundle'));
  const bundle = body as Bundle;
  const index = new BundleIndex(bundle);
  const claimEntry = index.entries[0];
  if (claimEntry?.resource.resourceType !== 'Claim') throw badRequest('The first entry of the Bundle must be the Claim (PAS spec-12).', ['Bundle.entry[0].resource']);
  const claimParsed = (purpose === 'submit' ? ClaimShape : InquiryClaimShape).safeParse(claimEntry.resource, { reportInput: true });
  if (!claimParsed.success) throw badRequestIssues(prefixed(zodIssues(claimParsed.error), 'Claim'));
  const claim = claimEntry.resource;
  const entryIssues = (bundle.entry ?? []).flatMap((entry, i) => {
    const shape = ENTRY_SHAPES[entry.resource!.resourceType];
    const parsed = shape?.safeParse(entry.resource, { reportInput: true });
    return parsed && !parsed.success ? prefixed(zodIssues(parsed.error), `Bundle.entry[${i}].resource`) : [];
  });
  if (entryIssues.length > 0) throw badRequestIssues(entryIssues.slice(0, 20));

  const sequences = (claim.item ?? []).map((i) => i.sequence);
  if (new Set(sequences).size !== sequences.length) throw badRequest('Claim.item sequences must be unique: each item is answered by its sequence (PAS spec-34).', ['Claim.item.sequence']);

  const patientEntry = index.resolve(claim.patient.reference, claimEntry);
  if (patientEntry?.resource.resourceType !== 'Patient') throw badRequest(`Claim.patient (${claim.patient.reference}) must name a Patient in the Bundle (PAS spec-13).`, ['Claim.patient']);
  const patient = patientEntry.resource;
  const coverage = (claim.insurance ?? [])
    .map((i) => index.resolve(i.coverage?.reference, claimEntry)?.resource)
    .find((r): r is Coverage => r?.resourceType === 'Coverage');

  const items = (claim.item ?? []).map((item, i): PasItem => {
    const requested = item.extension?.find((e) => e.url === PAS.requestedService)?.valueReference?.reference;
    const order = requested ? index.resolve(requested, claimEntry) : undefined;
    if (requested && !order) throw badRequest(`Claim.item[${i}] requestedService names ${requested}, which is not in the Bundle (PAS spec-13).`, [`Claim.item[${i}].extension`]);
    const coding = item.productOrService.coding?.[0];
    return { sequence: item.sequence, service: `${coding?.system ?? ''}|${coding?.code ?? ''}`, serviceCoding: coding, order };
  });

  const forms = (claim.supportingInfo ?? [])
    .map((s) => index.resolve(s.valueReference?.reference, claimEntry)?.resource)
    .filter((r): r is QuestionnaireResponse => r?.resourceType === 'QuestionnaireResponse');

  const first = claim.identifier?.[0];
  return {
    bundle,
    index,
    claim,
    claimEntry,
    claimIdentifier: first ? `${first.system}|${first.value}` : '',
    patient,
    patientEntry,
    coverage,
    items,
    forms,
    priority: isExpedited(claim) ? 'expedited' : 'standard',
    memberIds: memberIdsOf(patient, coverage),
    organisations: requestingOrganisation(claim, claimEntry, index),
    assertionIds: [...new Set(items.flatMap((i) => (i.order ? assertionIdsOn(i.order.resource) : [])))],
  };
}

/** PAS: processpriority `stat` asks for an expedited decision (24 hours instead of 72). */
function isExpedited(claim: Claim): boolean {
  return (claim.priority?.coding ?? []).some((c) => c.system === PROCESS_PRIORITY_SYSTEM && c.code === 'stat');
}

function identifierKey(id: Identifier): string | undefined {
  return id.system && id.value ? `${id.system}|${id.value}` : undefined;
}

function memberIdsOf(patient: Patient, coverage: Coverage | undefined): string[] {
  const member = (coverage?.identifier ?? []).filter((id) => (id.type?.coding ?? []).some((c) => c.system === MEMBER_ID_TYPE.system && c.code === MEMBER_ID_TYPE.code));
  return [...new Set([...member, ...(patient.identifier ?? [])].map(identifierKey).filter((k): k is string => k !== undefined))];
}

/** The requesting organisation: Claim.provider when it is an Organization, else the PractitionerRole's organization. */
function requestingOrganisation(claim: Claim, claimEntry: IndexedEntry, index: BundleIndex): string[] {
  const provider = index.resolve(claim.provider?.reference, claimEntry);
  let organisation: Organization | undefined;
  if (provider?.resource.resourceType === 'Organization') organisation = provider.resource;
  else if (provider?.resource.resourceType === 'PractitionerRole') {
    const found = index.resolve((provider.resource as PractitionerRole).organization?.reference, provider)?.resource;
    if (found?.resourceType === 'Organization') organisation = found;
  }
  return (organisation?.identifier ?? []).map(identifierKey).filter((k): k is string => k !== undefined);
}

function assertionIdsOn(order: FhirResource): string[] {
  const extensions = (order as { extension?: { url?: string; extension?: { url?: string; valueString?: string }[] }[] }).extension ?? [];
  return extensions
    .filter((e) => e.url === COVERAGE_INFORMATION_URL)
    .flatMap((e) => (e.extension ?? []).filter((s) => s.url === 'coverage-assertion-id' && typeof s.valueString === 'string').map((s) => s.valueString!));
}

/** Issue paths named from the resource they are in (`Claim.item[0].sequence`). */
function prefixed(issues: OperationOutcomeIssue[], root: string): OperationOutcomeIssue[] {
  return issues.map((i) => ({
    ...i,
    ...(i.details?.text ? { details: { text: i.expression?.length ? `${root}.${i.details.text}` : i.details.text } } : {}),
    ...(i.expression ? { expression: i.expression.map((e) => `${root}.${e}`) } : {}),
  }));
}
