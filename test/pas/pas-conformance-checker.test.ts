import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { QuestionnaireResponse } from 'fhir/r4.js';
import { DOC_REASON, DTR_EXTENSIONS } from '../support/dtr-canonicals.js';
import { buildTecartusOrder, PATIENT_ID } from '../support/fhir-factories.js';
import { ADJUDICATION_CATEGORIES, PAS_EXTENSIONS, PAS_SUBSCRIPTION_TOPIC, X12 } from '../support/pas-canonicals.js';
import {
  itemDecisions,
  pasErrorOutcomeViolations,
  pasInquireResponseViolations,
  pasNotificationViolations,
  pasRequestViolations,
  pasResponseViolations,
} from '../support/pas-conformance.js';
import { buildPasCoverage, buildPasRequestBundle, EHR_BASE } from '../support/pas-requests.js';

/**
 * The PAS conformance check (test/support/pas-conformance.ts) will guard every
 * Claim/$submit, $inquire and subscription notification the suite produces,
 * so it must be able to fail: good exchanges for a Tecartus prior
 * authorization yield no violation, each hand-made breach below is reported
 * under its rule's key, and the IG's own examples are reported for the
 * defects they are known to have.
 */
/** Exchanges are edited by hand below, so their JSON is loosely typed. */
type Json = Record<string, any>;

const PAYER_BASE = 'https://www.carepartnersct.com/fhir';
const order = buildTecartusOrder();

/** The completed DTR QuestionnaireResponse the EHR attaches to the request. */
const completedQuestionnaireResponse: QuestionnaireResponse = {
  resourceType: 'QuestionnaireResponse',
  id: 'tecartus-qr-1',
  extension: [
    { url: DTR_EXTENSIONS.qrCoverage, valueReference: { reference: 'Coverage/cov-1' } },
    { url: DTR_EXTENSIONS.qrContext, valueReference: { reference: `MedicationRequest/${order.id}` } },
    { url: DTR_EXTENSIONS.intendedUse, valueCodeableConcept: { coding: [{ system: DOC_REASON['2.2'].system, code: 'withpa' }] } },
  ],
  questionnaire: `${PAYER_BASE}/Questionnaire/carepartners-ct-tecartus-prior-authorization|2025-09-01`,
  status: 'completed',
  subject: { reference: `Patient/${PATIENT_ID}` },
  authored: '2026-06-15T08:45:00-04:00',
  author: { reference: 'Practitioner/prac-1' },
  item: [{ linkId: 'member', item: [{ linkId: 'age', answer: [{ valueInteger: 65, extension: [{ url: DTR_EXTENSIONS.informationOrigin, extension: [{ url: 'source', valueCode: 'auto-server' }] }] }] }] }],
};
const request: Json = buildPasRequestBundle({ order, questionnaireResponse: completedQuestionnaireResponse });

const reviewAction = (code: string, extra: Json[] = []) => ({
  url: PAS_EXTENSIONS.reviewAction,
  extension: [...extra, { url: PAS_EXTENSIONS.reviewActionCode, valueCodeableConcept: { coding: [{ system: X12.reviewAction, code }] } }],
});

/**
 * The payer's answer to `request`: one ClaimResponse whose items carry the
 * decision, then the resources it references, echoed under the request's
 * fullUrls. The ClaimResponse lives on the payer's server, so its references
 * to the EHR's resources are absolute.
 */
function responseFor(req: Json, decision: 'A1' | 'A3' | 'A4'): Json {
  const claimEntry = req['entry'][0];
  const claim = claimEntry['resource'];
  const absolute = (reference: Json) => ({ reference: `${EHR_BASE}/${reference['reference']}` });
  const claimResponse = {
    resourceType: 'ClaimResponse',
    id: `${claim['id']}-response`,
    ...(decision === 'A3' ? { extension: [{ url: PAS_EXTENSIONS.claimResponseReviewer, extension: [{ url: 'wasHumanReviewedFlag', valueBoolean: true }] }] } : {}),
    identifier: claim['identifier'],
    status: 'active',
    type: claim['type'],
    use: 'preauthorization',
    patient: absolute(claim['patient']),
    created: '2026-06-15T09:00:05-04:00',
    insurer: absolute(claim['insurer']),
    requestor: absolute(claim['provider']),
    request: { reference: claimEntry['fullUrl'] },
    outcome: 'complete',
    item: (claim['item'] as Json[]).map((item) => ({
      ...(decision === 'A1' ? { extension: [{ url: PAS_EXTENSIONS.itemPreAuthPeriod, valuePeriod: { start: '2026-06-15', end: '2026-09-15' } }] } : {}),
      ...(decision === 'A4' ? { extension: [{ url: PAS_EXTENSIONS.administrationReferenceNumber, valueString: 'PEND-0001' }] } : {}),
      itemSequence: item['sequence'],
      adjudication: [
        {
          category: { coding: [{ system: ADJUDICATION_CATEGORIES, code: 'submitted' }] },
          extension: [
            decision === 'A1'
              ? reviewAction('A1', [{ url: 'number', valueString: 'CP-AUTH-0001' }])
              : decision === 'A3'
                ? // A placeholder code: X12 886 is licensed and the IG shows none.
                  reviewAction('A3', [{ url: 'reasonCode', valueCodeableConcept: { coding: [{ system: X12.decisionReason, code: 'EX-1' }], text: 'No relapse or refractory disease documented' } }])
                : reviewAction('A4'),
          ],
        },
      ],
    })),
  };
  const echoed = ['Patient/pat-1', 'Organization/carepartners-ct', 'PractitionerRole/prac-1-role', 'Practitioner/prac-1', 'Organization/requesting-hospital'].map((ref) =>
    structuredClone((req['entry'] as Json[]).find((e) => e['fullUrl'] === `${EHR_BASE}/${ref}`)),
  );
  return {
    resourceType: 'Bundle',
    identifier: req['identifier'],
    type: 'collection',
    timestamp: '2026-06-15T09:00:05-04:00',
    entry: [{ fullUrl: `${PAYER_BASE}/ClaimResponse/${claimResponse.id}`, resource: claimResponse }, ...echoed],
  };
}

const subscription = { resourceType: 'Subscription', id: 'sub-1', status: 'active', criteria: PAS_SUBSCRIPTION_TOPIC };

/** The R4 backport event notification carrying `response` in full. */
function notificationFor(response: Json): Json {
  const focus = `urn:uuid:${randomUUID()}`;
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: '2026-06-16T10:00:00-04:00',
    entry: [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: `${PAYER_BASE}/Subscription/sub-1` } },
            { name: 'topic', valueCanonical: PAS_SUBSCRIPTION_TOPIC },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'events-since-subscription-start', valueString: '1' },
            { name: 'notification-event', part: [{ name: 'event-number', valueString: '1' }, { name: 'timestamp', valueInstant: '2026-06-16T10:00:00-04:00' }, { name: 'focus', valueReference: { reference: focus } }] },
          ],
        },
        request: { method: 'GET', url: `${PAYER_BASE}/Subscription/sub-1/$status` },
        response: { status: '200' },
      },
      { fullUrl: focus, resource: response, request: { method: 'POST', url: `${PAYER_BASE}/Bundle` }, response: { status: '201' } },
    ],
  };
}

const approved = responseFor(request, 'A1');
const denied = responseFor(request, 'A3');
const pended = responseFor(request, 'A4');
const notification = notificationFor(approved);
const inquireAnswer: Json = { resourceType: 'Parameters', parameter: [{ name: 'return', resource: approved }] };

/** A copy of `from` with one breach made by `edit`. */
function breach(from: Json, edit: (x: Json) => void): Json {
  const copy = structuredClone(from);
  edit(copy);
  return copy;
}
const claimOf = (bundle: Json) => bundle['entry'][0]['resource'];
const entryOf = (bundle: Json, type: string) => (bundle['entry'] as Json[]).find((e) => e['resource']['resourceType'] === type)!;
const claimResponseOf = (bundle: Json) => bundle['entry'][0]['resource'];
const itemOf = (bundle: Json) => claimResponseOf(bundle)['item'][0];
const reviewActionOf = (bundle: Json) => itemOf(bundle)['adjudication'][0]['extension'][0];
const dropSub = (extension: Json, url: string) => {
  extension['extension'] = (extension['extension'] as Json[]).filter((e) => e['url'] !== url);
};
const statusParameters = (bundle: Json) => bundle['entry'][0]['resource']['parameter'] as Json[];
const parameterOf = (bundle: Json, name: string) => statusParameters(bundle).find((p) => p['name'] === name)!;

function assertReported(violations: string[], pattern: RegExp) {
  assert.ok(violations.some((v) => pattern.test(v)), `expected a violation matching ${pattern}, got:\n${violations.join('\n') || '(none)'}`);
}
const reference = (file: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/reference/pas/${file}`, import.meta.url), 'utf8')) as Json;

describe('The PAS request check can fail', () => {
  it('the built Tecartus request, with and without a QuestionnaireResponse, standard and expedited, yields no violation', () => {
    assert.deepEqual(pasRequestViolations(request), []);
    assert.deepEqual(pasRequestViolations(buildPasRequestBundle()), []);
    assert.deepEqual(pasRequestViolations(buildPasRequestBundle({ priority: 'expedited' })), []);
  });

  it('the builder sends the CRD draft order as active (profile-medicationrequest) and bills HCPCS Q2053 under the PAS system URI', () => {
    const claim = claimOf(request);
    assert.equal(entryOf(request, 'MedicationRequest')['resource']['status'], 'active');
    assert.deepEqual(claim['item'][0]['productOrService']['coding'], [{ system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'Q2053' }]);
    assert.equal(claimOf(buildPasRequestBundle({ priority: 'expedited' }))['priority']['coding'][0]['code'], 'stat');
  });

  const cases: [string, (b: Json) => void, RegExp][] = [
    ['a Bundle of another type', (b) => (b['type'] = 'transaction'), /^profile-pas-request-bundle: Bundle\.type must be collection/],
    ['no identifier', (b) => delete b['identifier'], /^profile-pas-request-bundle: Bundle\.identifier .* is required/],
    ['no timestamp', (b) => delete b['timestamp'], /^profile-pas-request-bundle: Bundle\.timestamp is required/],
    ['an entry with request', (b) => (b['entry'][1]['request'] = { method: 'POST', url: 'Patient' }), /^profile-pas-request-bundle: Bundle\.entry\[1\]\.request is not allowed/],
    ['a fullUrl that is neither a URL nor a urn:uuid', (b) => (b['entry'][1]['fullUrl'] = 'Patient/pat-1'), /^spec-16: Bundle\.entry\[1\]\.fullUrl Patient\/pat-1 must be an http\(s\) URL or urn:uuid/],
    ['the Claim not first', (b) => b['entry'].reverse(), /^spec-12: the first entry of the Bundle must be the Claim/],
    ['use claim', (b) => (claimOf(b)['use'] = 'claim'), /^profile-claim: Claim\.use must be preauthorization/],
    ['a referenced resource left out (the ordering Practitioner)', (b) => (b['entry'] = b['entry'].filter((e: Json) => e['resource']['resourceType'] !== 'Practitioner')), /^spec-13: MedicationRequest\.requester \(in https:\/\/ehr\.example\.org\/fhir\/MedicationRequest\/tecartus-order-1\) names Practitioner\/prac-1, which is not in the Bundle/],
    ['a resource twice', (b) => b['entry'].push(structuredClone(b['entry'][1])), /^spec-14: https:\/\/ehr\.example\.org\/fhir\/Patient\/pat-1 appears twice in the Bundle/],
    ['a resource the Claim does not reference', (b) => b['entry'].push({ fullUrl: `${EHR_BASE}/Observation/obs-1`, resource: { resourceType: 'Observation', id: 'obs-1', status: 'final', code: { text: 'x' } } }), /^spec-20: Observation\/obs-1 is in the Bundle but the Claim does not reference it/],
    ['supportingInfo sequences repeated', (b) => claimOf(b)['supportingInfo'].push({ ...claimOf(b)['supportingInfo'][0] }), /^spec-22: Claim\.supportingInfo sequences must be unique/],
    ['additionalInformation without documentInformation', (b) => delete claimOf(b)['supportingInfo'][0]['extension'], /^profile-claim: Claim\.supportingInfo\[0\] \(additionalInformation\) needs extension-documentInformation with a reportTypeCode/],
    ['an item without category', (b) => delete claimOf(b)['item'][0]['category'], /^profile-claim: Claim\.item\[0\]\.category is required/],
    ['an item without place of service', (b) => delete claimOf(b)['item'][0]['locationCodeableConcept'], /^profile-claim: Claim\.item\[0\]\.locationCodeableConcept is required/],
    ['an item without requestType', (b) => dropSub(claimOf(b)['item'][0], PAS_EXTENSIONS.serviceItemRequestType), /^profile-claim: Claim\.item\[0\] needs the serviceItemRequestType extension/],
    ['an item without certificationType', (b) => dropSub(claimOf(b)['item'][0], PAS_EXTENSIONS.certificationType), /^profile-claim: Claim\.item\[0\] needs the certificationType extension/],
    ['two items with one sequence', (b) => claimOf(b)['item'].push(structuredClone(claimOf(b)['item'][0])), /^profile-claim: Claim\.item sequences must be unique/],
    ['a provider that is a Practitioner', (b) => (claimOf(b)['provider'] = { reference: 'Practitioner/prac-1' }), /^profile-claim: Claim\.provider must reference Organization or PractitionerRole, not Practitioner\/prac-1/],
    ['no insurance', (b) => delete claimOf(b)['insurance'], /^profile-claim: Claim\.insurance is required/],
    ['the draft order as CRD saw it', (b) => (entryOf(b, 'MedicationRequest')['resource']['status'] = 'draft'), /^profile-medicationrequest: MedicationRequest\/tecartus-order-1 must be status active and intent order/],
    ['a Coverage without member id', (b) => delete entryOf(b, 'Coverage')['resource']['identifier'], /^profile-coverage: Coverage\/cov-1 needs exactly one member id identifier/],
    ['three Claims', (b) => b['entry'].push(...[1, 2].map((i) => ({ fullUrl: `${EHR_BASE}/Claim/other-${i}`, resource: { ...structuredClone(claimOf(b)), id: `other-${i}` } }))), /^profile-pas-request-bundle: the Bundle holds 3 Claims/],
  ];
  for (const [name, edit, pattern] of cases) it(name, () => assertReported(pasRequestViolations(breach(request, edit)), pattern));
});

describe('The PAS response check can fail', () => {
  it('approved, denied and pended answers to the Tecartus request yield no violation', () => {
    for (const response of [approved, denied, pended]) assert.deepEqual(pasResponseViolations(response, { request }), []);
    assert.deepEqual([...itemDecisions(claimResponseOf(approved)).values()], [['A1']]);
  });

  const cases: [string, Json, RegExp][] = [
    ['a Bundle of another type', breach(approved, (b) => (b['type'] = 'searchset')), /^profile-pas-response-bundle: Bundle\.type must be collection/],
    ['no identifier', breach(approved, (b) => delete b['identifier']), /^profile-pas-response-bundle: Bundle\.identifier/],
    ['the ClaimResponse not first', breach(approved, (b) => b['entry'].reverse()), /^spec-30: the first entry of Bundle must be the ClaimResponse/],
    ['a resource twice', breach(approved, (b) => b['entry'].push(structuredClone(b['entry'][1]))), /^spec-31: https:\/\/ehr\.example\.org\/fhir\/Patient\/pat-1 appears twice in Bundle/],
    ['a referenced resource left out (the requestor PractitionerRole)', breach(approved, (b) => (b['entry'] = b['entry'].filter((e: Json) => e['resource']['resourceType'] !== 'PractitionerRole'))), /^Inferno: ClaimResponse\.requestor .* names https:\/\/ehr\.example\.org\/fhir\/PractitionerRole\/prac-1-role, found 0 times/],
    ['a reference resolved against the payer base (relative, in a ClaimResponse on the payer server)', breach(approved, (b) => (claimResponseOf(b)['patient'] = { reference: 'Patient/pat-1' })), /^Inferno: ClaimResponse\.patient .* names Patient\/pat-1, found 0 times/],
    ['another patient', breach(approved, (b) => (claimResponseOf(b)['patient'] = { reference: `${EHR_BASE}/Patient/pat-2` })), /^spec-33: Bundle ClaimResponse\.patient names https:\/\/ehr\.example\.org\/fhir\/Patient\/pat-2; the Claim names https:\/\/ehr\.example\.org\/fhir\/Patient\/pat-1/],
    ['another insurer', breach(approved, (b) => (claimResponseOf(b)['insurer'] = { reference: `${EHR_BASE}/Organization/requesting-hospital` })), /^spec-33: Bundle ClaimResponse\.insurer names .*requesting-hospital/],
    ['a request that is not the submitted Claim', breach(approved, (b) => (claimResponseOf(b)['request'] = { reference: `${EHR_BASE}/Claim/other` })), /^profile-claimresponse: Bundle ClaimResponse\.request must name the submitted Claim/],
    ['no request at all', breach(approved, (b) => delete claimResponseOf(b)['request']), /^profile-claimresponse: Bundle ClaimResponse\.request must name the Claim it answers \(1\.\.1\)/],
    ['an echoed resource under another fullUrl', breach(approved, (b) => (b['entry'][1]['fullUrl'] = `${PAYER_BASE}/Patient/pat-1`)), /^spec-33: Patient\/pat-1 is echoed from the request under fullUrl https:\/\/www\.carepartnersct\.com\/fhir\/Patient\/pat-1/],
    ['an echoed resource with other identifiers', breach(approved, (b) => (b['entry'][1]['resource']['identifier'] = [])), /^spec-33: Patient\/pat-1 is echoed from the request with other identifiers/],
    ['outcome queued', breach(pended, (b) => (claimResponseOf(b)['outcome'] = 'queued')), /^profile-claimresponse: .*outcome is queued; PAS 2\.2\.1 binds complete \| error \| partial/],
    ['no outcome', breach(approved, (b) => delete claimResponseOf(b)['outcome']), /^profile-claimresponse: .*outcome must be complete, error or partial/],
    ['status draft', breach(approved, (b) => (claimResponseOf(b)['status'] = 'draft')), /^profile-claimresponse: .*status must be active/],
    ["a Claim item not answered", breach(approved, (b) => (itemOf(b)['itemSequence'] = 2)), /^spec-34: .*does not answer the Claim's item 1/],
    ['an item the Claim does not have', breach(approved, (b) => claimResponseOf(b)['item'].push({ ...structuredClone(itemOf(b)), itemSequence: 7 })), /^spec-34: .*answers item 7, which the Claim does not have/],
    ['an item without adjudication', breach(approved, (b) => (itemOf(b)['adjudication'] = [])), /^profile-claimresponse: .*item\[0\] \(itemSequence 1\) has no adjudication/],
    ['an adjudication category other than submitted', breach(approved, (b) => (itemOf(b)['adjudication'][0]['category']['coding'][0]['code'] = 'eligible')), /^profile-claimresponse: .*adjudication\[0\]\.category must be http:\/\/terminology\.hl7\.org\/CodeSystem\/adjudication#submitted/],
    ['no reviewAction', breach(approved, (b) => delete itemOf(b)['adjudication'][0]['extension']), /^extension-reviewAction: .*item\[0\] \(itemSequence 1\) carries no reviewAction/],
    ['the decision code under the short url "code"', breach(approved, (b) => (reviewActionOf(b)['extension'][1]['url'] = 'code')), /^extension-reviewAction: .*sub-extension is identified by its full URL http:\/\/hl7\.org\/fhir\/us\/davinci-pas\/StructureDefinition\/extension-reviewActionCode, not "code"/],
    ['the decision code in another code system', breach(approved, (b) => (reviewActionOf(b)['extension'][1]['valueCodeableConcept']['coding'][0]['system'] = 'http://example.org/decisions')), /^extension-reviewAction: .*reviewAction needs extension-reviewActionCode with a code from https:\/\/codesystem\.x12\.org\/005010\/306/],
    ['a code that is not an HCR01 review action', breach(approved, (b) => (reviewActionOf(b)['extension'][1]['valueCodeableConcept']['coding'][0]['code'] = 'APPROVED')), /^extension-reviewAction: .*APPROVED is not an X12 306 review action code/],
    ['A1 without the authorization number', breach(approved, (b) => dropSub(reviewActionOf(b), 'number')), /^A1: .*is certified \(A1\) but carries no reviewAction\.number/],
    ['A1 without the authorized period', breach(approved, (b) => delete itemOf(b)['extension']), /^A1: .*is certified \(A1\) but carries no itemPreAuthPeriod/],
    ['A3 without a reason', breach(denied, (b) => dropSub(reviewActionOf(b), 'reasonCode')), /^A3: .*is not certified \(A3\) but gives no reviewAction\.reasonCode/],
    ['A3 with a reason outside X12 886', breach(denied, (b) => (reviewActionOf(b)['extension'][0]['valueCodeableConcept']['coding'][0]['system'] = 'http://example.org/reasons')), /^extension-reviewAction: .*reasonCode must be coded in https:\/\/codesystem\.x12\.org\/external\/886/],
    ['A3 without human review', breach(denied, (b) => delete claimResponseOf(b)['extension']), /^A3: .*does not say a person reviewed it .*42 CFR 422\.566\(d\)/],
    ['A3 with an authorized period', breach(denied, (b) => (itemOf(b)['extension'] = [{ url: PAS_EXTENSIONS.itemPreAuthPeriod, valuePeriod: { start: '2026-06-15' } }])), /^A3: .*carries an itemPreAuthPeriod, which claims an authorization/],
    ['A4 with an authorization number and period', breach(pended, (b) => {
      reviewActionOf(b)['extension'].unshift({ url: 'number', valueString: 'CP-AUTH-0001' });
      itemOf(b)['extension'].push({ url: PAS_EXTENSIONS.itemPreAuthPeriod, valuePeriod: { start: '2026-06-15' } });
    }), /^A4: .*is pended \(A4\) but carries reviewAction\.number \(an authorization number\), itemPreAuthPeriod, which claim a decision/],
    ['A6 without addItem', breach(approved, (b) => (reviewActionOf(b)['extension'][1]['valueCodeableConcept']['coding'][0]['code'] = 'A6')), /^spec-37: .*is modified \(A6\) but no addItem with itemSequence 1/],
    ['outcome error without errors', breach(approved, (b) => (claimResponseOf(b)['outcome'] = 'error')), /^profile-claimresponse: .*outcome is error but ClaimResponse\.error says nothing/],
  ];
  for (const [name, response, pattern] of cases) it(name, () => assertReported(pasResponseViolations(response, { request }), pattern));
});

describe('The PAS $inquire answer check can fail', () => {
  it('a Parameters with the current answer in return yields no violation', () => {
    assert.deepEqual(pasInquireResponseViolations(inquireAnswer, { request }), []);
  });

  it('a ClaimResponse that cannot reference the Claim, saying why, yields no violation (spec-44)', () => {
    const answer = breach(inquireAnswer, (p) => (claimResponseOf(p['parameter'][0]['resource'])['request'] = { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] }));
    assert.deepEqual(pasInquireResponseViolations(answer), []);
  });

  const cases: [string, unknown, RegExp][] = [
    ['a bare Bundle (the 2.0.1 shape)', approved, /^Claim-inquiry: the \$inquire answer must be a Parameters with return Bundles/],
    ['the IG example\'s parameter name "responseBundle"', breach(inquireAnswer, (p) => (p['parameter'][0]['name'] = 'responseBundle')), /^Claim-inquiry: parameter\[0\] is named responseBundle; the Bundles are returned in "return" parameters/],
    ['a Bundle that does not start with a ClaimResponse', breach(inquireAnswer, (p) => p['parameter'][0]['resource']['entry'].reverse()), /^profile-pas-inquiry-response-bundle: the first entry of parameter\[0\] Bundle must be a ClaimResponse/],
    ['a ClaimResponse naming no Claim and giving no reason (spec-44)', breach(inquireAnswer, (p) => delete claimResponseOf(p['parameter'][0]['resource'])['request']), /^spec-44: .*request must name the Claim it answers, or say with a data-absent-reason why it cannot/],
    ['an answer for another member (spec-53)', breach(inquireAnswer, (p) => (p['parameter'][0]['resource']['entry'][1]['resource']['identifier'] = [{ system: 'https://www.carepartnersct.com/fhir/sid/member-id', value: 'CP-OTHER' }])), /^spec-53: parameter\[0\] ClaimResponse\/.* answers for a patient whose identifiers do not match the inquiry's patient/],
  ];
  for (const [name, answer, pattern] of cases) it(name, () => assertReported(pasInquireResponseViolations(answer, { request }), pattern));
});

describe('The PAS subscription notification check can fail', () => {
  it('an event notification carrying the final answer in full yields no violation', () => {
    assert.deepEqual(pasNotificationViolations(notification, { request, subscription }), []);
  });

  const cases: [string, Json, RegExp][] = [
    ['a collection, not a history Bundle', breach(notification, (b) => (b['type'] = 'collection')), /^backport-subscription-notification-r4: Bundle\.type must be history/],
    ['the response Bundle first', breach(notification, (b) => b['entry'].reverse()), /^backport-notification-bundle-r4-1: the first entry must be the subscription status Parameters/],
    ['no status parameter (as in the IG example)', breach(notification, (b) => (b['entry'][0]['resource']['parameter'] = statusParameters(b).filter((p) => p['name'] !== 'status'))), /^backport-subscription-status-r4: the status parameter is required/],
    ['status requested', breach(notification, (b) => (parameterOf(b, 'status')['valueCode'] = 'requested')), /^Inferno: status is requested; an event notification is sent on an active subscription/],
    ['a handshake', breach(notification, (b) => (parameterOf(b, 'type')['valueCode'] = 'handshake')), /^spec-60: the type parameter is handshake; a PAS result is notified as an event-notification/],
    ['no topic', breach(notification, (b) => (b['entry'][0]['resource']['parameter'] = statusParameters(b).filter((p) => p['name'] !== 'topic'))), /^backport-subscription-status-r4: the topic parameter must be http:\/\/hl7\.org\/fhir\/us\/davinci-pas\/SubscriptionTopic\/PASSubscriptionTopic/],
    ['no notification-event', breach(notification, (b) => (b['entry'][0]['resource']['parameter'] = statusParameters(b).filter((p) => p['name'] !== 'notification-event'))), /^spec-60: the notification carries no notification-event/],
    ['an event without focus', breach(notification, (b) => (parameterOf(b, 'notification-event')['part'] = parameterOf(b, 'notification-event')['part'].filter((p: Json) => p['name'] !== 'focus'))), /^spec-62: notification-event\[0\] has no focus/],
    ['the focus not carried', breach(notification, (b) => b['entry'].pop()), /^spec-62: notification-event\[0\] focus urn:uuid:.* is not an entry of the notification/],
    ['a ClaimResponse as focus, not the response Bundle', breach(notification, (b) => (b['entry'][1]['resource'] = claimResponseOf(b['entry'][1]['resource']))), /^spec-61: notification-event\[0\] focus is ClaimResponse\/.*; PAS notifies the full response Bundle/],
    ['an entry without request and response', breach(notification, (b) => delete b['entry'][1]['request']), /^Inferno: Bundle\.entry\[1\] needs request and response/],
    ['a status entry not at Subscription/<id>/$status', breach(notification, (b) => (b['entry'][0]['request']['url'] = `${PAYER_BASE}/Subscription/sub-1`)), /^Inferno: the first entry's request\.url must end with Subscription\/sub-1\/\$status/],
    ['another subscription', breach(notification, (b) => (parameterOf(b, 'subscription')['valueReference']['reference'] = `${PAYER_BASE}/Subscription/sub-2`)), /^spec-60: the notification names subscription .*sub-2, not Subscription\/sub-1/],
    ['a final answer that breaks a decision rule (A1 without number)', breach(notification, (b) => dropSub(b['entry'][1]['resource']['entry'][0]['resource']['item'][0]['adjudication'][0]['extension'][0], 'number')), /^A1: notification-event\[0\] focus Bundle ClaimResponse\.item\[0\] .*carries no reviewAction\.number/],
  ];
  for (const [name, bundle, pattern] of cases) it(name, () => assertReported(pasNotificationViolations(bundle, { request, subscription }), pattern));
});

describe('PAS error answers (spec-35)', () => {
  const invalid = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', details: { text: 'Bundle.entry is empty: the first entry must be the Claim' } }] };

  it('a single OperationOutcome with an error passes', () => {
    assert.deepEqual(pasErrorOutcomeViolations(invalid), []);
  });

  it('a Bundle, an OperationOutcome with only warnings, an issue without text', () => {
    assertReported(pasErrorOutcomeViolations(approved), /^spec-35: OperationOutcome must be an OperationOutcome/);
    assertReported(pasErrorOutcomeViolations({ ...invalid, issue: [{ ...invalid.issue[0], severity: 'warning' }] }), /^spec-35: the OperationOutcome says why the Bundle could not be processed/);
    assertReported(pasErrorOutcomeViolations({ ...invalid, issue: [{ severity: 'error', code: 'structure' }] }), /^spec-35: OperationOutcome\.issue\[0\]\.details\.text/);
  });
});

describe("The PAS check reads the IG's own examples as the notes describe them (dtr-pas-spec.md §5)", () => {
  const igRequest = reference('pas-request-bundle.ReferralAuthorizationBundleExample.json');

  it('the IG request Bundle: only its Coverage, which lacks the member id PAS requires', () => {
    // Not in the notes' list: PAS 2.2.1 profile-coverage makes identifier[memberid] 1..1; InsuranceExample has only subscriberId.
    assert.deepEqual(pasRequestViolations(igRequest), ['profile-coverage: Coverage/InsuranceExample needs exactly one member id identifier (type MB, identifier[memberid] 1..1)']);
  });

  for (const [decision, file] of [
    ['approved', 'pas-response-bundle.approved.ReferralAuthorizationResponseBundleExample.json'],
    ['pended', 'pas-response-bundle.pended.ReferralPendingAuthorizationResponseBundleExample.json'],
  ] as const) {
    it(`the IG ${decision} response: only the requestor PractitionerRole missing from the Bundle`, () => {
      const violations = pasResponseViolations(reference(file), { request: igRequest });
      assert.equal(violations.length, 1, violations.join('\n'));
      assertReported(violations, /^Inferno: ClaimResponse\.requestor .* names PractitionerRole\/ReferralPractitionerRoleExample, found 0 times/);
    });
  }

  it('the IG denied response: no reason for the denial', () => {
    // Not a PAS defect (reasonCode is 0..*): the project's rule from CMS-0057-F, a denial states its specific reason.
    const violations = pasResponseViolations(reference('pas-response-bundle.denied.RejectionResponseBundleExample.json'), { request: igRequest });
    assert.equal(violations.length, 1, violations.join('\n'));
    assertReported(violations, /^A3: .*gives no reviewAction\.reasonCode/);
  });

  it('the composed notification: its focus, the pended-then-approved IG response, inherits the missing PractitionerRole', () => {
    const violations = pasNotificationViolations(reference('pas-subscription-notification.full-resource.composed.json'), { request: igRequest, subscription: reference('pas-subscription.json') });
    assert.equal(violations.length, 1, violations.join('\n'));
    assertReported(violations, /^Inferno: ClaimResponse\.requestor .* found 0 times in notification-event\[0\] focus Bundle/);
  });
});

describe('buildPasRequestBundle', () => {
  it('puts the QuestionnaireResponse in supportingInfo and every resource once, under the EHR base', () => {
    const claim = claimOf(request);
    assert.equal(claim['supportingInfo'][0]['valueReference']['reference'], 'QuestionnaireResponse/tecartus-qr-1');
    const fullUrls = (request['entry'] as Json[]).map((e) => e['fullUrl']);
    assert.equal(new Set(fullUrls).size, fullUrls.length);
    assert.ok(fullUrls.every((u) => u.startsWith(`${EHR_BASE}/`)));
  });

  it('takes its parts as given (a Coverage without member id is sent as it is, and the check reports it)', () => {
    const bundle = buildPasRequestBundle({ coverage: buildPasCoverage({ identifier: [] }) });
    assertReported(pasRequestViolations(bundle), /^profile-coverage: Coverage\/cov-1/);
  });

  it('refuses an order with no billing code it can send', () => {
    assert.throws(() => buildPasRequestBundle({ order: buildTecartusOrder({ medicationCodeableConcept: { text: 'Tecartus' } }) }), /carries no HCPCS or NDC code/);
  });
});
