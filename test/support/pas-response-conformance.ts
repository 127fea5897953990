import { isDeepStrictEqual } from 'node:util';
import { absoluteReference, bundleEntries, followReferences, type BundleEntry } from './bundle-references.js';
import { describe, isObject, objects, text, violationCollector, type Fail, type Json } from './fhir-json.js';
import { checkBundleShape, checkDuplicates } from './pas-bundle-conformance.js';
import { checkClaimResponse } from './pas-claim-response-conformance.js';

/**
 * A PAS Claim/$submit response Bundle (profile-pas-response-bundle, 2.2.1):
 * the ClaimResponse first (spec-30), each instance once (spec-31), every
 * resource the ClaimResponse references returned (Inferno), echoed resources
 * as in the request (spec-33), every Claim item answered (spec-34), and the
 * ClaimResponse with its decisions (pas-claim-response-conformance.ts).
 */
export interface PasResponseContext {
  /** The request Bundle the response answers. */
  readonly request?: unknown;
}

export function pasResponseViolations(bundle: unknown, context: PasResponseContext = {}): string[] {
  const { violations, fail } = violationCollector();
  checkResponseBundle(bundle, 'Bundle', fail, context.request);
  return violations;
}

/** The response Bundle at `path` (a $submit answer, or the focus of a notification), reported through `fail`. */
export function checkResponseBundle(bundle: unknown, path: string, fail: Fail, request?: unknown): void {
  if (!checkBundleShape(bundle, path, 'profile-pas-response-bundle', fail, { identifier: true })) return;
  const entries = bundleEntries(bundle);
  const first = entries[0];
  if (first?.resource?.['resourceType'] !== 'ClaimResponse') {
    fail('spec-30', `the first entry of ${path} must be the ClaimResponse (ClaimResponseFirst)`);
    return;
  }
  const responses = entries.filter((e) => e.resource?.['resourceType'] === 'ClaimResponse');
  if (responses.length > 1) fail('profile-pas-response-bundle', `${path} holds ${responses.length} ClaimResponses (1..1)`);
  checkDuplicates(entries, 'spec-31', fail, path);

  const requestEntries = request === undefined ? [] : bundleEntries(request);
  const claimEntry = requestEntries[0]?.resource?.['resourceType'] === 'Claim' ? requestEntries[0] : undefined;
  const sequences = claimEntry ? objects(claimEntry.resource!['item']).map((i) => Number(i['sequence'])) : undefined;
  checkClaimResponse(first.resource!, `${path} ClaimResponse`, fail, { requestSequences: sequences });

  // The PAS specification: all resources the ClaimResponse references are returned in the Bundle; the Inferno kit
  // follows them recursively, each exactly once, except ClaimResponse.request (the Claim need not be returned).
  const { unresolved } = followReferences(entries, first, (resource, element) => resource['resourceType'] === 'ClaimResponse' && element === 'request');
  for (const u of unresolved) {
    fail('Inferno', `${u.path} (in ${u.holder}) names ${u.reference}, found ${u.matches} times in ${path}: every resource the ClaimResponse references is returned exactly once`);
  }
  if (claimEntry) checkAnswersRequest(first, entries, claimEntry, requestEntries, path, fail);
}

/**
 * The ClaimResponse answers the submitted Claim: it names that Claim, the
 * same patient and insurer; resources echoed from the request keep their
 * fullUrl and identifiers (spec-33).
 */
function checkAnswersRequest(response: BundleEntry, entries: readonly BundleEntry[], claimEntry: BundleEntry, requestEntries: readonly BundleEntry[], path: string, fail: Fail): void {
  const claimResponse = response.resource!;
  const claim = claimEntry.resource!;
  const resolved = (element: unknown, holder: string | undefined) => {
    const reference = text(isObject(element) ? element['reference'] : undefined);
    return reference ? absoluteReference(reference, holder) ?? reference : undefined;
  };
  const request = isObject(claimResponse['request']) ? claimResponse['request'] : {};
  const namesClaim =
    (claimEntry.fullUrl !== undefined && resolved(request, response.fullUrl) === claimEntry.fullUrl) ||
    (isObject(request['identifier']) && objects(claim['identifier']).some((id) => id['system'] === (request['identifier'] as Json)['system'] && id['value'] === (request['identifier'] as Json)['value']));
  if (!namesClaim) fail('profile-claimresponse', `${path} ClaimResponse.request must name the submitted Claim (${claimEntry.fullUrl ?? describe(claim)})`);
  for (const element of ['patient', 'insurer']) {
    const answered = resolved(claimResponse[element], response.fullUrl);
    const asked = resolved(claim[element], claimEntry.fullUrl);
    if (answered !== asked) fail('spec-33', `${path} ClaimResponse.${element} names ${String(answered)}; the Claim names ${String(asked)} (echoed resources keep their fullUrl)`);
  }
  for (const e of entries) {
    const echoed = requestEntries.find((r) => r.resource?.['resourceType'] === e.resource?.['resourceType'] && r.resource?.['id'] === e.resource?.['id']);
    if (!echoed || !e.resource) continue;
    if (echoed.fullUrl !== e.fullUrl) fail('spec-33', `${describe(e.resource)} is echoed from the request under fullUrl ${String(e.fullUrl)}; the request had ${String(echoed.fullUrl)}`);
    if (!isDeepStrictEqual(e.resource['identifier'], echoed.resource!['identifier'])) fail('spec-33', `${describe(e.resource)} is echoed from the request with other identifiers`);
  }
}
