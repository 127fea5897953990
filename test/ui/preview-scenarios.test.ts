import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp, postHook, testDiscovery } from '../support/test-app.js';
import type { PatientFacts } from '../../src/ui/patient-facts.js';

const { app } = createTestApp();
const ORDER = 'MedicationRequest/preview-tecartus-order';

interface ScenarioJson {
  id: string;
  title: string;
  description: string;
  facts: PatientFacts;
}

async function scenarios(): Promise<ScenarioJson[]> {
  const res = await request(app).get('/ui/scenarios.json').expect(200);
  return res.body.scenarios as ScenarioJson[];
}

async function scenario(id: string): Promise<ScenarioJson> {
  const found = (await scenarios()).find((s) => s.id === id);
  assert.ok(found, `scenario ${id}`);
  return found;
}

async function buildRequest(facts: PatientFacts): Promise<Record<string, unknown>> {
  const res = await request(app).post('/ui/requests').send(facts);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Record<string, unknown>;
}

/** Builds the request for the facts the way the page does, and sends it to the real hook. */
async function judge(facts: PatientFacts, serviceId = ORDER_SIGN) {
  const body = await buildRequest(facts);
  const res = await postHook(app, serviceId, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { body, response: res.body as Record<string, unknown>, cards: cardsOf(res.body), info: coverageInformationFor(res.body, ORDER) };
}

describe('Preview page scenarios (GET /ui/scenarios.json, POST /ui/requests)', () => {
  it('offers the nine scenarios the page is for', async () => {
    assert.deepEqual(
      (await scenarios()).map((s) => s.id),
      ['eligible-mcl', 'eligible-b-all', 'prior-car-t', 'under-18', 'no-qualifying-diagnosis', 'rr-status-missing', 'all-lineage-undocumented', 'outpatient', 'non-tecartus'],
    );
  });

  it('lists the services from discovery, so the page posts to the real endpoints', async () => {
    const res = await request(app).get('/ui/scenarios.json').expect(200);
    assert.deepEqual(
      res.body.services.map((s: { id: string }) => s.id),
      testDiscovery().document.services.map((s) => s.id),
    );
  });

  it('builds requests whose prefetch carries exactly the keys discovery asks for', async () => {
    const body = await buildRequest((await scenario('eligible-mcl')).facts);
    const discoveryKeys = Object.keys(testDiscovery().services.get(ORDER_SIGN)!.prefetch).sort();
    assert.deepEqual(Object.keys(body['prefetch'] as object).sort(), discoveryKeys);
  });

  const expectations: { id: string; covered?: string; reasons?: string[]; firstSummary?: RegExp }[] = [
    { id: 'eligible-mcl', covered: 'covered', reasons: ['pa-required'], firstSummary: /^Prior authorization required for Tecartus/ },
    { id: 'eligible-b-all', covered: 'covered', reasons: ['pa-required'], firstSummary: /^Prior authorization required for Tecartus/ },
    { id: 'prior-car-t', covered: 'not-covered', reasons: ['pa-required', 'prior-car-t'], firstSummary: /^Prior CAR-T therapy on record/ },
    { id: 'under-18', covered: 'not-covered', reasons: ['pa-required', 'age-under-18'], firstSummary: /not covered under age 18: the patient is 16/ },
    { id: 'no-qualifying-diagnosis', covered: 'conditional', reasons: ['pa-required', 'diagnosis-not-qualifying'], firstSummary: /^No relapsed or refractory MCL or B-cell precursor ALL/ },
    { id: 'rr-status-missing', covered: 'conditional', reasons: ['pa-required', 'rr-status-undocumented'], firstSummary: /^Relapsed or refractory status is not documented/ },
    { id: 'all-lineage-undocumented', covered: 'conditional', reasons: ['pa-required', 'lineage-undocumented', 'rr-status-undocumented'], firstSummary: /B-cell precursor lineage of the ALL is not documented/ },
    { id: 'outpatient', covered: 'conditional', reasons: ['pa-required', 'outpatient-attestation'], firstSummary: /^Outpatient Tecartus needs the provider's attestation/ },
  ];
  for (const e of expectations) {
    it(`scenario ${e.id} answers as its name says: ${e.covered}, reasons ${e.reasons!.join(', ')}`, async () => {
      const { info, cards } = await judge((await scenario(e.id)).facts);
      assert.ok(info, 'coverage information for the order');
      assert.equal(info.covered, e.covered);
      assert.deepEqual(info.reasons, e.reasons);
      assert.match(cards[0]!.summary, e.firstSummary!);
    });
  }

  it('scenario non-tecartus answers with no cards and no coverage information', async () => {
    const { response } = await judge((await scenario('non-tecartus')).facts);
    assert.deepEqual(response, { cards: [], systemActions: [] });
  });

  it('the eligible mantle cell scenario gets the same cards as the test suite’s eligible patient', async () => {
    const fromPage = await judge((await scenario('eligible-mcl')).facts);
    const fromFactories = await postHook(app, ORDER_SIGN, buildHookRequest());
    assert.deepEqual(
      fromPage.cards.map((c) => [c.indicator, c.topic, c.summary]),
      cardsOf(fromFactories.body).map((c) => [c.indicator, c.topic, c.summary]),
    );
    const info = coverageInformationFor(fromFactories.body, 'MedicationRequest/tecartus-order-1')!;
    assert.equal(fromPage.info!.covered, info.covered);
    assert.deepEqual(fromPage.info!.reasons, info.reasons);
  });
});

describe('Preview page: each edited fact reaches the decision', () => {
  const eligible = async () => (await scenario('eligible-mcl')).facts;

  it('a birth date 17 years before the order date makes the patient under 18', async () => {
    const facts = await eligible();
    const year = Number(facts.orderDate.slice(0, 4)) - 17;
    const { info } = await judge({ ...facts, birthDate: `${year}${facts.orderDate.slice(4, 7)}-01` });
    assert.equal(info!.covered, 'not-covered');
    assert.ok(info!.reasons.includes('age-under-18'));
  });

  it('an empty birth date leaves the age unknown', async () => {
    const { info } = await judge({ ...(await eligible()), birthDate: '' });
    assert.ok(info!.reasons.includes('age-unknown'));
  });

  it('an empty diagnosis code means no qualifying diagnosis', async () => {
    const { info } = await judge({ ...(await eligible()), diagnosisCode: '' });
    assert.ok(info!.reasons.includes('diagnosis-not-qualifying'));
  });

  it('clinical status remission: the MCL is diagnosed, but not relapsed or refractory', async () => {
    const { info } = await judge({ ...(await eligible()), clinicalStatus: 'remission' });
    assert.deepEqual(info!.reasons, ['pa-required', 'rr-status-undocumented']);
  });

  it('clinical status resolved makes the diagnosis not active', async () => {
    const { info } = await judge({ ...(await eligible()), clinicalStatus: 'resolved' });
    assert.ok(info!.reasons.includes('diagnosis-not-qualifying'));
  });

  it('ALL with the lineage not stated, stated B-cell precursor, or stated T-cell', async () => {
    const all = { ...(await eligible()), diagnosisCode: 'C91.02', clinicalStatus: 'active' as const };
    assert.deepEqual((await judge({ ...all, lineage: '' })).info!.reasons, ['pa-required', 'lineage-undocumented']);
    assert.deepEqual((await judge({ ...all, lineage: 'b-cell-precursor' })).info!.reasons, ['pa-required']);
    assert.deepEqual((await judge({ ...all, lineage: 't-cell' })).info!.reasons, ['pa-required', 'diagnosis-not-qualifying']);
  });

  it('each prior CAR-T record choice is read as the policy says', async () => {
    const expected = { 'procedure-38228': 'prior-car-t', 'administration-q2041': 'prior-car-t', 'history-z92850': 'prior-car-t', 'harvest-38225': 'possible-prior-car-t' } as const;
    for (const [choice, reason] of Object.entries(expected)) {
      const { info } = await judge({ ...(await eligible()), priorCarT: choice as PatientFacts['priorCarT'] });
      assert.ok(info!.reasons.includes(reason), `${choice}: ${info!.reasons.join(', ')}`);
    }
  });

  it('refills ask for more than one infusion', async () => {
    const { info, cards } = await judge({ ...(await eligible()), refills: 2 });
    assert.ok(info!.reasons.includes('repeat-dosing'));
    assert.ok(cards.some((c) => /numberOfRepeatsAllowed.*2/.test(c.detail)));
  });

  it('a Tecartus ServiceRequest is judged like the MedicationRequest', async () => {
    const { response } = await judge({ ...(await eligible()), order: 'tecartus-service-request' });
    assert.equal(coverageInformationFor(response, 'ServiceRequest/preview-tecartus-service-request')!.covered, 'covered');
  });

  it('the order-select hook builds an order-select request for order-select-crd', async () => {
    const facts = { ...(await eligible()), hook: 'order-select' as const };
    const body = await buildRequest(facts);
    assert.deepEqual((body['context'] as { selections: string[] }).selections, [ORDER]);
    const res = await postHook(app, ORDER_SELECT, body);
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.docNeeded.length, 0, 'CRD hook-19: no documentation needed on order-select');
  });

  it('CRD version 2.2 is requested in the request extension', async () => {
    const { body, response } = await judge({ ...(await eligible()), crdVersion: '2.2' });
    assert.deepEqual(body['extension'], { 'davinci-crd.requestedVersion': '2.2' });
    const topic = ((response['cards'] as { source: { topic: { system: string } } }[])[0]!).source.topic;
    assert.equal(topic.system, 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type');
  });

  it('the Coverage carries the member id a PAS request is filed under (identifier type v2-0203 MB), and the Instructions card names it', async () => {
    const { body, cards } = await judge(await eligible());
    const coverage = (body['prefetch'] as { coverage: { entry: { resource: { identifier?: { type?: { coding?: { system?: string; code?: string }[] }; value?: string }[] } }[] } }).coverage.entry[0]!.resource;
    const memberIds = (coverage.identifier ?? []).filter((i) => i.type?.coding?.some((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0203' && c.code === 'MB'));
    assert.equal(memberIds.length, 1);
    assert.ok(cards.some((c) => c.detail.includes(`member ID ${memberIds[0]!.value}`)), 'the card names the Coverage by its member id');
  });

  it('each signing may name its own order (orderId): the request and the coverage information are for that order', async () => {
    const facts = { ...(await eligible()), orderId: 'preview-order-1a2b3c4d' };
    const body = await buildRequest(facts);
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal((body['context'] as { draftOrders: { entry: { resource: { id: string } }[] } }).draftOrders.entry[0]!.resource.id, 'preview-order-1a2b3c4d');
    assert.equal(coverageInformationFor(res.body, 'MedicationRequest/preview-order-1a2b3c4d')?.covered, 'covered');
    const bad = await request(app).post('/ui/requests').send({ ...facts, orderId: 'not/an id' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /orderId must be a FHIR id/);
  });

  it('facts that are not valid are a 400 OperationOutcome naming each field', async () => {
    const res = await request(app)
      .post('/ui/requests')
      .send({ ...(await eligible()), birthDate: '14/03/1961', refills: -1, setting: 'home' });
    assert.equal(res.status, 400);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    const texts = res.body.issue.map((i: { details: { text: string } }) => i.details.text).join('\n');
    assert.match(texts, /birthDate/);
    assert.match(texts, /refills/);
    assert.match(texts, /setting/);
  });
});

describe('Preview page assets', () => {
  it('GET / serves the page with its own CSP: no inline script, inline style only with this response\'s nonce (LHC-Forms\' <style> elements)', async () => {
    const res = await request(app).get('/').expect(200);
    assert.match(res.headers['content-type']!, /text\/html/);
    const csp = res.headers['content-security-policy']!;
    assert.match(csp, /^default-src 'none';/, "the page's policy replaces helmet's (default-src 'self')");
    assert.match(csp, /script-src 'self'(;|$)/);
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]{22,})'(;|$)/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.equal(/ngCspNonce="([^"]*)"/.exec(res.text)?.[1], nonce, 'Angular reads the nonce from the page');
    const again = await request(app).get('/').expect(200);
    assert.notEqual(/'nonce-([^']+)'/.exec(again.headers['content-security-policy']!)?.[1], nonce, 'a fresh nonce on every response');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(res.text, /\son[a-z]+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(res.text, /\sstyle\s*=|<style/i, 'no inline styles');
  });

  it('serves the script, the stylesheet and marked and DOMPurify from the service itself', async () => {
    for (const path of ['/assets/preview.js', '/assets/render-response.js', '/assets/documentation.js', '/assets/prior-authorization.js', '/assets/vendor/marked.esm.js', '/assets/vendor/purify.es.mjs']) {
      const res = await request(app).get(path).expect(200);
      assert.match(res.headers['content-type']!, /^text\/javascript/, path);
      assert.doesNotMatch(res.text, /\bimport\s*(?:[^'"]*from\s*)?['"]https?:/, `${path} imports nothing from the internet`);
    }
    await request(app).get('/assets/preview.css').expect(200).expect('content-type', /text\/css/);
  });

  it('serves LHC-Forms (the documentation step\'s form renderer) from node_modules, without its source maps', async () => {
    for (const file of ['zone.min.js', 'runtime.js', 'polyfills.js', 'main.js', 'lformsFHIR.min.js']) {
      await request(app).get(`/assets/vendor/lforms/${file}`).expect(200).expect('content-type', /^text\/javascript/);
    }
    const css = await request(app).get('/assets/vendor/lforms/styles.css').expect(200).expect('content-type', /text\/css/);
    for (const [, image] of css.text.matchAll(/url\(([^)]+)\)/g)) {
      await request(app).get(`/assets/vendor/lforms/${image}`).expect(200).expect('content-type', /^image\//);
    }
    for (const map of ['main.js.map', 'styles.css.map', 'lformsFHIR.min.js.map']) await request(app).get(`/assets/vendor/lforms/${map}`).expect(404);
  });

  it('PREVIEW_PAGE=off leaves the page out', async () => {
    const { app: without } = createTestApp({ PREVIEW_PAGE: 'off' });
    const res = await request(without).get('/');
    assert.equal(res.status, 404);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });
});
