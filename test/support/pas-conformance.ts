import { bundleEntries, entriesNamed, followReferences, type BundleEntry } from './bundle-references.js';
import { describe, extensionsOf, hasCoding, isObject, objects, text, violationCollector, type Fail, type Json } from './fhir-json.js';
import { checkOperationOutcome, issueSeverities } from './operation-outcome-conformance.js';
import { checkBundleShape, checkDuplicates } from './pas-bundle-conformance.js';
import { checkClaimResponse } from './pas-claim-response-conformance.js';
import { MEMBER_ID_TYPE, PAS_EXTENSIONS, PAS_TEMP_CODES } from './pas-canonicals.js';
import type { PasResponseContext } from './pas-response-conformance.js';

export { itemDecisions } from './pas-claim-response-conformance.js';
export { pasNotificationViolations, type PasNotificationContext } from './pas-notification-conformance.js';
export { pasResponseViolations, type PasResponseContext } from './pas-response-conformance.js';

/**
 * Checks Da Vinci PAS 2.2.1 exchanges against the payer-side rules, returning
 * every breach as a sentence that starts with the rule's key:
 * - the Claim/$submit request Bundle (profile-pas-request-bundle, profile-claim,
 *   spec-12 to spec-22): what the service must be able to rely on, and what the
 *   test builders must produce;
 * - the $submit response Bundle (profile-pas-response-bundle, spec-30 to
 *   spec-34, profile-claimresponse) and each item's decision (reviewAction,
 *   X12 306: A1, A3, A4, A6);
 * - the $inquire answer (Parameters with `return` Bundles, Inferno v2.2.1);
 * - an error answer (spec-35: a single OperationOutcome).
 * Statement keys are PAS 2.2.1's (dtr-pas-spec.md §2, pas-2.2.1-statements.tsv);
 * rules without a key name the profile or the test kit that states them.
 */
export function pasRequestViolations(bundle: unknown): string[] {
  const { violations, fail } = violationCollector();
  if (!checkBundleShape(bundle, 'Bundle', 'profile-pas-request-bundle', fail, { identifier: true })) return violations;
  const entries = bundleEntries(bundle);
  entries.forEach((e, i) => {
    // spec-16: fullUrl is the client's RESTful URL or a urn:uuid (Inferno: a v4 UUID).
    if (e.fullUrl && !/^https?:\/\/\S+$/.test(e.fullUrl) && !/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(e.fullUrl)) {
      fail('spec-16', `Bundle.entry[${i}].fullUrl ${e.fullUrl} must be an http(s) URL or urn:uuid:<uuid>`);
    }
  });
  const first = entries[0];
  if (first?.resource?.['resourceType'] !== 'Claim') {
    fail('spec-12', 'the first entry of the Bundle must be the Claim (ClaimFirst)');
    return violations;
  }
  const claims = entries.filter((e) => e.resource?.['resourceType'] === 'Claim');
  if (claims.length > 2) fail('profile-pas-request-bundle', `the Bundle holds ${claims.length} Claims; at most the Claim and the one it updates (1..2)`);
  checkClaim(first.resource!, first, entries, fail);
  checkDuplicates(entries, 'spec-14', fail);

  // spec-13: every resource the Claim references, fully traversed, is in the Bundle (exactly once, spec-14);
  // a Claim reached by reference (the one updated) does not bring its own parent (spec-66).
  const { reached, unresolved } = followReferences(entries, first, (resource, element, isStart) => !isStart && resource['resourceType'] === 'Claim' && element === 'related');
  for (const u of unresolved) {
    if (u.matches === 0) fail('spec-13', `${u.path} (in ${u.holder}) names ${u.reference}, which is not in the Bundle`);
    else fail('spec-14', `${u.path} (in ${u.holder}) names ${u.reference}, which is in the Bundle ${u.matches} times`);
  }
  // spec-20: supporting information is pointed to from the Claim; nothing sits in the Bundle unreferenced.
  for (const e of entries) if (!reached.has(e)) fail('spec-20', `${describe(e.resource)} is in the Bundle but the Claim does not reference it (supporting information goes through Claim.supportingInfo)`);
  for (const e of entries) checkIncludedResource(e, fail);
  return violations;
}

/** A Claim/$inquire answer (PAS 2.2.1): a Parameters whose `return` parameters carry inquiry response Bundles. */
export function pasInquireResponseViolations(parameters: unknown, context: PasResponseContext = {}): string[] {
  const { violations, fail } = violationCollector();
  if (!isObject(parameters) || parameters['resourceType'] !== 'Parameters') {
    fail('Claim-inquiry', 'the $inquire answer must be a Parameters with return Bundles (its return is 0..*; the Inferno v2.2.1 kit flags a bare Bundle)');
    return violations;
  }
  const inquiryPatient = context.request === undefined ? undefined : inquiryPatientIdentifiers(context.request);
  objects(parameters['parameter']).forEach((parameter, i) => {
    const path = `parameter[${i}]`;
    if (parameter['name'] !== 'return') return fail('Claim-inquiry', `${path} is named ${String(parameter['name'])}; the Bundles are returned in "return" parameters (the Inferno kit reads only those; the IG example's "responseBundle" is not the OperationDefinition's)`);
    const bundle = parameter['resource'];
    if (!checkBundleShape(bundle, `${path} Bundle`, 'profile-pas-inquiry-response-bundle', fail, { identifier: false })) return;
    const entries = bundleEntries(bundle);
    if (entries[0]?.resource?.['resourceType'] !== 'ClaimResponse') return fail('profile-pas-inquiry-response-bundle', `the first entry of ${path} Bundle must be a ClaimResponse (ClaimResponseFirst)`);
    for (const e of entries.filter((x) => x.resource?.['resourceType'] === 'ClaimResponse')) {
      checkClaimResponse(e.resource!, `${path} ${describe(e.resource)}`, fail, { inquiry: true });
      if (!inquiryPatient) continue;
      // spec-53: answers are matched on the member id of the Claim's patient.
      const patient = entriesNamed(entries, String((e.resource!['patient'] as Json | undefined)?.['reference'] ?? ''), e.fullUrl)[0]?.resource;
      const identifiers = objects(patient?.['identifier']).map((id) => `${String(id['system'])}|${String(id['value'])}`);
      if (!identifiers.some((id) => inquiryPatient.includes(id))) fail('spec-53', `${path} ${describe(e.resource)} answers for a patient whose identifiers do not match the inquiry's patient`);
    }
  });
  return violations;
}

/** A $submit or $inquire that fails (4xx): a single OperationOutcome saying why the Bundle could not be processed (spec-35). */
export function pasErrorOutcomeViolations(outcome: unknown): string[] {
  const { violations, fail } = violationCollector();
  checkOperationOutcome(outcome, 'OperationOutcome', 'spec-35', fail);
  if (isObject(outcome) && !issueSeverities(outcome).some((s) => s === 'error' || s === 'fatal')) fail('spec-35', 'the OperationOutcome says why the Bundle could not be processed: at least one error or fatal issue');
  return violations;
}

/** PAS Claim (profile-claim, 2.2.1): the required elements and item extensions, and what its references point to. */
function checkClaim(claim: Json, claimEntry: BundleEntry, entries: readonly BundleEntry[], fail: Fail): void {
  const profile = 'profile-claim';
  const path = 'Claim';
  if (claim['use'] !== 'preauthorization') fail(profile, `${path}.use must be preauthorization`);
  if (claim['status'] !== 'active') fail(profile, `${path}.status must be active`);
  const identifiers = objects(claim['identifier']);
  if (identifiers.length < 1 || identifiers.length > 2 || identifiers.some((i) => !text(i['system']) || !text(i['value']))) {
    fail(profile, `${path}.identifier needs one or two identifiers, each with system and value (the request's trace number)`);
  }
  if (!hasCoding(claim['type'], 'http://terminology.hl7.org/CodeSystem/claim-type', ['institutional', 'professional', 'oral'])) fail(profile, `${path}.type must be claim-type institutional, professional or oral`);
  if (!text(claim['created'])) fail(profile, `${path}.created is required`);
  if (!isObject(claim['priority'])) fail(profile, `${path}.priority is required`);
  if (claim['related'] !== undefined && entries.filter((e) => e.resource?.['resourceType'] === 'Claim').length < 2) {
    fail(profile, `${path}.related names a Claim being updated, which is not in the Bundle (spec-65)`);
  }
  const target = (element: unknown) => {
    const reference = text(isObject(element) ? element['reference'] : undefined);
    return reference ? entriesNamed(entries, reference, claimEntry.fullUrl)[0]?.resource : undefined;
  };
  const expectType = (element: unknown, what: string, types: readonly string[]) => {
    const resource = target(element);
    if (!text(isObject(element) ? element['reference'] : undefined)) fail(profile, `${what} is required`);
    else if (resource && !types.includes(resource['resourceType'] as string)) fail(profile, `${what} must reference ${types.join(' or ')}, not ${describe(resource)}`);
  };
  expectType(claim['patient'], `${path}.patient`, ['Patient']);
  expectType(claim['insurer'], `${path}.insurer`, ['Organization']);
  expectType(claim['provider'], `${path}.provider`, ['Organization', 'PractitionerRole']);
  const insurance = objects(claim['insurance']);
  if (insurance.length === 0) fail(profile, `${path}.insurance is required (1..*)`);
  insurance.forEach((ins, i) => {
    if (ins['focal'] !== true || typeof ins['sequence'] !== 'number') fail(profile, `${path}.insurance[${i}] needs sequence and focal true`);
    expectType(ins['coverage'], `${path}.insurance[${i}].coverage`, ['Coverage']);
  });

  const items = objects(claim['item']);
  if (items.length === 0) fail(profile, `${path}.item is required (1..*)`);
  const sequences = items.map((i) => i['sequence']);
  if (new Set(sequences).size !== sequences.length) fail(profile, `${path}.item sequences must be unique (they trace each item, spec-34)`);
  items.forEach((item, i) => {
    const at = `${path}.item[${i}]`;
    if (!Number.isInteger(item['sequence'])) fail(profile, `${at}.sequence is required`);
    if (!isObject(item['category'])) fail(profile, `${at}.category is required (X12 1365)`);
    if (!isObject(item['productOrService'])) fail(profile, `${at}.productOrService is required`);
    if (!isObject(item['locationCodeableConcept'])) fail(profile, `${at}.locationCodeableConcept is required (place of service)`);
    if (extensionsOf(item, PAS_EXTENSIONS.serviceItemRequestType).length !== 1) fail(profile, `${at} needs the serviceItemRequestType extension (1..1, X12 1525)`);
    if (extensionsOf(item, PAS_EXTENSIONS.certificationType).length !== 1) fail(profile, `${at} needs the certificationType extension (1..1, X12 1322)`);
    for (const requested of extensionsOf(item, PAS_EXTENSIONS.requestedService)) {
      expectType(requested['valueReference'], `${at} requestedService`, ['MedicationRequest', 'ServiceRequest', 'DeviceRequest', 'NutritionOrder']);
    }
  });

  const supporting = objects(claim['supportingInfo']);
  const infoSequences = supporting.map((s) => s['sequence']);
  if (new Set(infoSequences).size !== infoSequences.length) fail('spec-22', `${path}.supportingInfo sequences must be unique within the Claim`);
  supporting.forEach((info, i) => {
    const at = `${path}.supportingInfo[${i}]`;
    if (!Number.isInteger(info['sequence']) || !isObject(info['category'])) fail(profile, `${at} needs sequence and category`);
    if (hasCoding(info['category'], PAS_TEMP_CODES, ['additionalInformation'])) {
      const document = extensionsOf(info, PAS_EXTENSIONS.documentInformation)[0];
      if (!document || extensionsOf(document, 'reportTypeCode').length !== 1) fail(profile, `${at} (additionalInformation) needs extension-documentInformation with a reportTypeCode (PWK01)`);
      if (!isObject(info['valueReference'])) fail('spec-20', `${at} (additionalInformation) points to its resource with valueReference`);
    }
  });
  objects(claim['careTeam']).forEach((member, i) => {
    if (extensionsOf(member, PAS_EXTENSIONS.careTeamClaimScope).length !== 1) fail(profile, `${path}.careTeam[${i}] needs the careTeamClaimScope extension (1..1)`);
  });
  objects(claim['diagnosis']).forEach((diagnosis, i) => {
    if (!Number.isInteger(diagnosis['sequence']) || (!isObject(diagnosis['diagnosisCodeableConcept']) && !isObject(diagnosis['diagnosisReference']))) {
      fail(profile, `${path}.diagnosis[${i}] needs sequence and a diagnosis`);
    }
  });
}

/** The PAS profiles of resources the Claim brings that the service relies on (spec-23). */
function checkIncludedResource(entry: BundleEntry, fail: Fail): void {
  const resource = entry.resource;
  if (!resource) return;
  if (resource['resourceType'] === 'MedicationRequest' && (resource['status'] !== 'active' || resource['intent'] !== 'order')) {
    fail('profile-medicationrequest', `${describe(resource)} must be status active and intent order (a CRD draft order becomes active when it is submitted)`);
  }
  if (resource['resourceType'] === 'Coverage') {
    const memberIds = objects(resource['identifier']).filter((id) => hasCoding(id['type'], MEMBER_ID_TYPE.system, [MEMBER_ID_TYPE.code]));
    if (memberIds.length !== 1 || !text(memberIds[0]!['value'])) fail('profile-coverage', `${describe(resource)} needs exactly one member id identifier (type ${MEMBER_ID_TYPE.code}, identifier[memberid] 1..1)`);
  }
}

function inquiryPatientIdentifiers(request: unknown): string[] {
  const entries = bundleEntries(request);
  const claim = entries.find((e) => e.resource?.['resourceType'] === 'Claim');
  const reference = text(isObject(claim?.resource?.['patient']) ? (claim!.resource!['patient'] as Json)['reference'] : undefined);
  const patient = reference && claim ? entriesNamed(entries, reference, claim.fullUrl)[0]?.resource : undefined;
  return objects(patient?.['identifier']).map((id) => `${String(id['system'])}|${String(id['value'])}`);
}
