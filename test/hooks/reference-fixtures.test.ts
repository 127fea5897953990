import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { MedicationRequest } from 'fhir/r4.js';
import type { RecordFetcher } from '../../src/fhir/gather-record.js';
import { fromRoot } from '../../src/paths.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp, postHook, testDiscovery } from '../support/test-app.js';

type Json = Record<string, unknown>;

/** The EHR's FHIR server must not be needed: these requests carry what the service reads, or no Tecartus order. */
const noQueries: RecordFetcher = {
  fetchMissing: () => {
    throw new Error('the service queried the FHIR server although the request needed no query');
  },
};
const { app } = createTestApp({}, { fetcher: noQueries });

const readJson = (path: string) => JSON.parse(readFileSync(fromRoot('test', 'fixtures', path), 'utf8')) as unknown;
const serviceFor = (body: Json) => (body['hook'] === 'order-select' ? ORDER_SELECT : ORDER_SIGN);

/** Every order-sign and order-select example request in the CRD IG, the Inferno CRD test kit and the CDS Hooks spec. */
const REFERENCE_REQUESTS = [
  'reference/crd/inferno/order_sign_hook_request.json',
  'reference/crd/inferno/order_select_hook_request.json',
  'reference/crd/inferno/ri_preset_order_sign_request_bodies.json',
  'reference/crd/inferno/ri_preset_order_select_request_bodies.json',
  'reference/crd/ig/ig_order-sign_request_communicationrequest_no_prefetch.json',
  'reference/crd/ig/ig_order-sign_request_servicerequest_with_prefetch_and_config.json',
  'reference/cdshooks/davinci-crd-2.2.1-request-order-sign.json',
  'reference/cdshooks/ci3.0-request-order-sign-paginated-prefetch.json',
];

describe('The CRD IG, Inferno and CDS Hooks example requests get valid answers', () => {
  for (const file of REFERENCE_REQUESTS) {
    const content = readJson(file);
    const bodies = (Array.isArray(content) ? content : [content]) as Json[];
    bodies.forEach((body, i) => {
      it(`${file}${Array.isArray(content) ? ` [${i}]` : ''} (${String(body['hook'])})`, async () => {
        assert.ok(body['hook'] === 'order-sign' || body['hook'] === 'order-select');
        const res = await postHook(app, serviceFor(body), body);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // None of them orders Tecartus: no card, no coverage information; order-sign still says systemActions.
        assert.deepEqual(res.body, body['hook'] === 'order-sign' ? { cards: [], systemActions: [] } : { cards: [] });
      });
    });
  }
});

describe('Our own Tecartus request in the Inferno shape (test/fixtures/tecartus-order-sign-inferno-shape.json)', () => {
  const fixture = () => readJson('tecartus-order-sign-inferno-shape.json') as Json;
  const ORDER = 'MedicationRequest/tecartus-mr-1';
  const draftOrder = (body: Json) => (((body['context'] as Json)['draftOrders'] as Json)['entry'] as { resource: MedicationRequest }[])[0]!.resource;

  it("has Inferno's envelope and a complete prefetch, keyed as discovery.json asks", () => {
    const body = fixture();
    const inferno = readJson('reference/crd/inferno/order_sign_hook_request.json') as Json;
    assert.deepEqual(Object.keys(body).filter((k) => k !== 'prefetch').sort(), Object.keys(inferno).sort());
    assert.equal(body['fhirServer'], 'https://example/r4');
    assert.deepEqual(Object.keys(body['fhirAuthorization'] as Json).sort(), Object.keys(inferno['fhirAuthorization'] as Json).sort());
    const service = testDiscovery().services.get(ORDER_SIGN)!;
    assert.deepEqual(Object.keys(body['prefetch'] as Json).sort(), Object.keys(service.prefetch).sort());
  });

  it('its MedicationRequest has what CRD 2.0.1 profile-medicationrequest requires', () => {
    const order = draftOrder(fixture());
    assert.equal(order.status, 'draft');
    assert.equal(order.intent, 'order');
    assert.equal(order.subject.reference, 'Patient/example');
    assert.match(order.authoredOn ?? '', /^\d{4}-\d{2}-\d{2}/);
    assert.ok(order.requester?.reference);
    const concept = order.medicationCodeableConcept!;
    assert.equal(concept.coding?.[0]?.system, 'http://www.nlm.nih.gov/research/umls/rxnorm');
    assert.equal(concept.extension?.[0]?.url, 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options');
    assert.equal(concept.extension?.[0]?.valueCodeableConcept?.coding?.[0]?.code, 'Q2053');
  });

  it('gets the PA cards and a full, valid coverage-information update (CRD 2.0.1)', async () => {
    const body = fixture();
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));

    const actions = res.body['systemActions'] as { type: string; resource: MedicationRequest }[];
    assert.equal(actions.length, 1);
    const { extension, ...rest } = actions[0]!.resource;
    assert.deepEqual(rest, draftOrder(body), 'the order comes back as sent (CRD resp-37)');
    assert.equal(extension?.length, 1);

    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.coverage, 'Coverage/coverage-example');
    assert.equal(info.covered, 'covered');
    assert.equal(info.paNeeded, 'auth-needed');
    assert.deepEqual(info.docNeeded, ['clinical']);
    assert.deepEqual(info.docPurpose, ['withpa']);
    assert.deepEqual(info.infoNeeded, []);
    assert.deepEqual(info.billingCodes, ['Q2053']);
    assert.deepEqual(info.reasons, ['pa-required']);
    assert.match(info.assertionId, /^[0-9a-f]{64}$/);
    const subs = info.raw.extension!;
    assert.match(subs.find((e) => e.url === 'date')!.valueDate!, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(subs.find((e) => e.url === 'contact'), { url: 'contact', valueContactPoint: { system: 'fax', value: '617-673-0956', use: 'work' } });
    assert.deepEqual(
      subs.map((e) => e.url),
      ['coverage', 'covered', 'pa-needed', 'doc-needed', 'doc-purpose', 'questionnaire', 'billingCode', 'reason', 'date', 'coverage-assertion-id', 'contact'],
    );

    const cards = cardsOf(res.body);
    assert.deepEqual(
      cards.map((c) => [c.indicator, c.topic]),
      [
        ['info', 'coverage-info'],
        ['info', 'guideline'],
      ],
    );
    assert.match(cards[0]!.detail, /617-673-0956/);
    assert.match(cards[0]!.detail, /member ID CP1234567/);
    for (const card of res.body['cards'] as Json[]) assert.deepEqual((card['extension'] as Json)['davinci-crd.associated-resource'], [{ reference: ORDER }]);
  });

  it('the same request sent again gets the same coverage-assertion-id', async () => {
    const a = coverageInformationFor((await postHook(app, ORDER_SIGN, fixture())).body, ORDER)!;
    const b = coverageInformationFor((await postHook(app, ORDER_SIGN, { ...fixture(), hookInstance: 'a-new-hook-instance' })).body, ORDER)!;
    assert.equal(a.assertionId, b.assertionId);
  });

  it('asked for CRD 2.2, the contact is a ContactDetail', async () => {
    const res = await postHook(app, ORDER_SIGN, { ...fixture(), extension: { 'davinci-crd.requestedVersion': '2.2' } });
    assert.equal(res.status, 200);
    const contact = coverageInformationFor(res.body, ORDER)!.raw.extension!.find((e) => e.url === 'contact');
    assert.equal(contact?.valueContactDetail?.telecom?.[0]?.value, '617-673-0956');
  });

  it('as order-select, the coverage information leaves out doc-needed and doc-purpose (CRD hook-19)', async () => {
    const body = fixture();
    body['hook'] = 'order-select';
    (body['context'] as Json)['selections'] = [ORDER];
    const res = await postHook(app, ORDER_SELECT, body);
    assert.equal(res.status, 200);
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'covered');
    assert.deepEqual([info.docNeeded, info.docPurpose], [[], []]);
  });
});
