import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import {
  buildCondition,
  buildEncounter,
  buildMedication,
  buildMedicationAdministration,
  buildOtherOrder,
  buildTecartusOrder,
  clinicalStatus,
  hcpcs,
  icd10cm,
  PATIENT_ID,
  rxnorm,
  searchset,
} from '../support/fhir-factories.js';
import { send, startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { forType, status } from '../support/fhir-faults.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook, testDiscovery } from '../support/test-app.js';
import { fillTemplate } from '../../src/fhir/record-sources.js';

const TOKEN = 'secret-access-token-7f3a';
const ORDER = 'MedicationRequest/tecartus-order-1';
/** Every query the order-sign service runs without prefetch and without an encounter: its discovery templates, filled. */
const ALL_QUERIES = testDiscovery()
  .sources.get(ORDER_SIGN)!
  .filter((s) => !s.needs.includes('encounterId'))
  .map((s) => fillTemplate(s.template, { patientId: PATIENT_ID }));

const { app, logs } = createTestApp({ FHIR_ALLOW_HTTP: 'true' });
let server: FhirTestServer;
before(async () => {
  server = await startFhirTestServer({ pageSize: 10 });
});
after(() => server.close());
beforeEach(() => server.reset());

/** The same resource naming its drug only by a Medication reference. */
function byMedicationReference<T extends { medicationCodeableConcept?: unknown }>(resource: T, reference: string): T {
  const { medicationCodeableConcept: _code, ...rest } = resource;
  return { ...rest, medicationReference: { reference } } as unknown as T;
}

/** Card markdown without its escapes, for matching the words. */
function plain(markdown: string): string {
  return markdown.replace(/\\(.)/g, '$1');
}

async function sign(options: Parameters<typeof buildHookRequest>[0], serviceId = ORDER_SIGN) {
  const body = buildHookRequest(options);
  const res = await postHook(app, serviceId, body);
  return { res, body };
}

describe('Prefetch first; the EHR\'s FHIR server only for what prefetch lacks', () => {
  it('with everything prefetched, the FHIR server is not queried', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.deepEqual(server.paths(), []);
  });

  it('with nothing prefetched, each discovery template is run once with GET and the decision is the same', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.deepEqual([...server.paths()].sort(), [...ALL_QUERIES].sort());
    assert.ok(server.requests.every((r) => r.method === 'GET'));
  });

  it('the Encounter is read when the context names one and prefetch lacks it', async () => {
    const encounter = buildEncounter();
    await server.load(eligibleMantleCellRecord({ encounter }));
    const record = eligibleMantleCellRecord();
    const { res } = await sign({ record, encounterId: encounter.id!, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), [`Encounter/${encounter.id}`]);
  });

  it('only the keys the client left out are queried', async () => {
    await server.load(eligibleMantleCellRecord());
    const { conditions: _c, procedures: _p, ...rest } = asPrefetch(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: rest, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual([...server.paths()].sort(), [`Condition?patient=${PATIENT_ID}`, `Procedure?patient=${PATIENT_ID}`]);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('an OperationOutcome in place of a prefetch key (the client\'s query failed) is queried again', async () => {
    await server.load(eligibleMantleCellRecord());
    const prefetch = { ...asPrefetch(eligibleMantleCellRecord()), conditions: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] } };
    const { res } = await sign({ prefetch, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), [`Condition?patient=${PATIENT_ID}`]);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('a null prefetch value means no data: it is not queried', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ record: eligibleMantleCellRecord({ patient: null }), fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), []);
    assert.ok(coverageInformationFor(res.body, ORDER)!.reasons.includes('age-unknown'));
  });

  it('a Patient the FHIR server does not have (404) is no data, as a null prefetch would be', async () => {
    await server.load(eligibleMantleCellRecord({ patient: null }));
    const { patient: _p, ...rest } = asPrefetch(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: rest, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), [`Patient/${PATIENT_ID}`]);
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.deepEqual(info.reasons, ['pa-required', 'age-unknown']);
  });
});

describe('No queries unless a Tecartus order is present (CRD found-28)', () => {
  it('order-sign for another drug queries nothing, even with an empty prefetch', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ orders: [buildOtherOrder()], prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.cards, []);
    assert.deepEqual(server.paths(), []);
  });

  it('order-select where the Tecartus order is not among the selections queries nothing', async () => {
    await server.load(eligibleMantleCellRecord());
    const other = buildOtherOrder();
    const { res } = await sign(
      { hook: 'order-select', orders: [other, buildTecartusOrder()], selections: [`MedicationRequest/${other.id}`], prefetch: {}, fhirServer: server.url, accessToken: TOKEN },
      ORDER_SELECT,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), []);
  });
});

describe('The access token goes to the fhirServer, and only there', () => {
  it('every query carries Authorization: Bearer with fhirAuthorization.access_token', async () => {
    await server.load(eligibleMantleCellRecord());
    await sign({ prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(server.requests.length, ALL_QUERIES.length);
    for (const r of server.requests) assert.equal(r.authorization, `Bearer ${TOKEN}`, r.path);
  });

  it('a fhirServer sent without fhirAuthorization (as the CDS Hooks sandbox does) is queried without a token', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: {}, fhirServer: server.url });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.equal(server.requests.length, ALL_QUERIES.length);
    for (const r of server.requests) assert.equal(r.authorization, undefined, r.path);
  });

  it('the token, the patient id and the query strings never reach the logs', async () => {
    await server.load(eligibleMantleCellRecord());
    server.inject(forType('Procedure'), status(500));
    logs.length = 0;
    await sign({ prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    const text = logs.join('\n');
    assert.match(text, /"event":"fhir-query-failed"/);
    assert.match(text, /"event":"fhir-queries"/);
    assert.doesNotMatch(text, new RegExp(TOKEN));
    assert.doesNotMatch(text, new RegExp(PATIENT_ID));
    assert.doesNotMatch(text, /patient=/);
  });
});

describe('Searches follow Bundle next links', () => {
  it('a search over several pages is read to the end (the qualifying diagnosis is on the last page)', async () => {
    const filler = Array.from({ length: 24 }, (_, i) => buildCondition({ code: icd10cm('I10'), onsetDateTime: `2020-01-${String(i + 1).padStart(2, '0')}` }));
    const mcl = buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse') });
    await server.load(eligibleMantleCellRecord({ conditions: [...filler, mcl] }));
    const { conditions: _c, ...rest } = asPrefetch(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: rest, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), [
      `Condition?patient=${PATIENT_ID}`,
      `Condition?patient=${PATIENT_ID}&_count=10&_offset=10`,
      `Condition?patient=${PATIENT_ID}&_count=10&_offset=20`,
    ]);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('a paginated prefetch Bundle is continued from its next link, with the token', async () => {
    const filler = Array.from({ length: 10 }, () => buildCondition({ code: icd10cm('I10') }));
    const mcl = buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse') });
    await server.load(eligibleMantleCellRecord({ conditions: [...filler, mcl] }));
    const firstPage = { ...searchset(filler), total: 11, link: [{ relation: 'next', url: `${server.url}/Condition?patient=${PATIENT_ID}&_count=10&_offset=10` }] };
    const prefetch = { ...asPrefetch(eligibleMantleCellRecord()), conditions: firstPage };
    const { res } = await sign({ prefetch, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), [`Condition?patient=${PATIENT_ID}&_count=10&_offset=10`]);
    assert.equal(server.requests[0]!.authorization, `Bearer ${TOKEN}`);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('a next link to another origin is not followed; the part is reported unreadable', async () => {
    const elsewhere = await startFhirTestServer();
    try {
      const firstPage = { ...searchset([]), link: [{ relation: 'next', url: `${elsewhere.url}/Procedure?patient=${PATIENT_ID}&page=2` }] };
      const prefetch = { ...asPrefetch(eligibleMantleCellRecord()), procedures: firstPage };
      const { res } = await sign({ prefetch, fhirServer: server.url, accessToken: TOKEN, extension: { 'davinci-crd.requestedVersion': '2.2' } });
      assert.equal(res.status, 200);
      assert.deepEqual(elsewhere.requests, []);
      assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
      assert.ok(cardsOf(res.body).some((c) => /procedure history could not be read/.test(plain(c.detail))));
    } finally {
      await elsewhere.close();
    }
  });
});

describe('412 only when data is missing and there is no FHIR server to ask (CDS Hooks; CRD found-32)', () => {
  it('missing prefetch keys and no fhirServer: 412 naming the keys', async () => {
    const { conditions: _c, procedures: _p, ...rest } = asPrefetch(eligibleMantleCellRecord());
    const { res } = await sign({ prefetch: rest });
    assert.equal(res.status, 412);
    assert.match(res.body.issue[0].details.text, /conditions, procedures/);
    assert.deepEqual(res.body.issue[0].expression, ['prefetch.conditions', 'prefetch.procedures']);
  });

  it('null prefetch values and no fhirServer: answered, not 412', async () => {
    const prefetch = { ...asPrefetch(eligibleMantleCellRecord()), procedures: null, medicationStatements: null };
    const { res } = await sign({ prefetch });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
  });

  it('a record that lacks what the policy wants is answered, not 412 (found-32)', async () => {
    const { res } = await sign({ record: eligibleMantleCellRecord({ conditions: [] }) });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'conditional');
  });

  it('a plain-http fhirServer is not queried unless FHIR_ALLOW_HTTP is set: 412 saying why', async () => {
    const strict = createTestApp();
    await server.load(eligibleMantleCellRecord());
    const res = await postHook(strict.app, ORDER_SIGN, buildHookRequest({ prefetch: {}, fhirServer: server.url, accessToken: TOKEN }));
    assert.equal(res.status, 412);
    assert.match(res.body.issue[0].details.text, /plain http; this service queries FHIR servers over https only/);
    assert.deepEqual(server.requests, []);
  });

  it('a fhirServer with credentials in its URL is not queried', async () => {
    await server.load(eligibleMantleCellRecord());
    const withCredentials = server.url.replace('http://', 'http://user:password@');
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: {}, fhirServer: withCredentials }));
    assert.equal(res.status, 412);
    assert.match(res.body.issue[0].details.text, /credentials/);
    assert.deepEqual(server.requests, []);
  });

  it('a fhirServer with a query string is not queried (it must be the base URL)', async () => {
    await server.load(eligibleMantleCellRecord());
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: {}, fhirServer: `${server.url}?tenant=1` }));
    assert.equal(res.status, 412);
    assert.match(res.body.issue[0].details.text, /base URL/);
    assert.deepEqual(server.requests, []);
  });

  it('a paginated prefetch with no fhirServer is judged on its first page, and the card says the rest was not read', async () => {
    const firstPage = { ...searchset([]), link: [{ relation: 'next', url: `https://ehr.example.org/fhir/Procedure?page=2` }] };
    const prefetch = { ...asPrefetch(eligibleMantleCellRecord()), procedures: firstPage };
    const { res } = await sign({ prefetch, extension: { 'davinci-crd.requestedVersion': '2.2' } });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
    assert.ok(cardsOf(res.body).some((c) => /the prefetch was paginated and the request has no fhirServer/.test(plain(c.detail))));
  });
});

describe('Medications that orders reference are read from the FHIR server', () => {
  const tecartusByReference = () => byMedicationReference(buildTecartusOrder(), 'Medication/med-tecartus');

  it('a Tecartus order that names its drug by a Medication reference is recognised after one read of that Medication', async () => {
    await server.load(eligibleMantleCellRecord(), [buildMedication({ id: 'med-tecartus' })]);
    const { res } = await sign({ orders: [tecartusByReference()], fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.deepEqual(server.paths(), ['Medication/med-tecartus']);
  });

  it('the Medication read comes first; the record queries follow only once the order is known to be Tecartus', async () => {
    await server.load(eligibleMantleCellRecord(), [buildMedication({ id: 'med-tecartus' })]);
    const { res } = await sign({ orders: [tecartusByReference()], prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.equal(server.paths()[0], 'Medication/med-tecartus');
    assert.deepEqual([...server.paths().slice(1)].sort(), [...ALL_QUERIES].sort());
  });

  it('an order for another drug by Medication reference costs that one read and nothing else', async () => {
    await server.load(eligibleMantleCellRecord(), [buildMedication({ id: 'med-amox', code: rxnorm('617993') })]);
    const order = byMedicationReference(buildOtherOrder(), 'Medication/med-amox');
    const { res } = await sign({ orders: [order], prefetch: {}, fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.cards, []);
    assert.deepEqual(server.paths(), ['Medication/med-amox']);
  });

  it('a Medication sent in draftOrders is not read', async () => {
    await server.load(eligibleMantleCellRecord());
    const { res } = await sign({ orders: [tecartusByReference()], draftExtras: [buildMedication({ id: 'med-tecartus' })], fhirServer: server.url, accessToken: TOKEN });
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.deepEqual(server.paths(), []);
  });

  it('when the Medication cannot be read, the order cannot be classified and is not judged as Tecartus', async () => {
    server.inject(forType('Medication'), status(503));
    logs.length = 0;
    const { res } = await sign({ orders: [tecartusByReference()], fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.cards, []);
    assert.match(logs.join('\n'), /"event":"fhir-query-failed".*"resourceType":"Medication".*"status":503/);
  });

  it('a history entry naming a CAR-T product by Medication reference is found through the Medication (prior CAR-T)', async () => {
    const yescarta = buildMedication({ id: 'med-yescarta', code: hcpcs('Q2041') });
    const administration = byMedicationReference(buildMedicationAdministration(), 'Medication/med-yescarta');
    await server.load(eligibleMantleCellRecord(), [yescarta]);
    const { res } = await sign({ record: eligibleMantleCellRecord({ medicationAdministrations: [administration] }), fhirServer: server.url, accessToken: TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(server.paths(), ['Medication/med-yescarta']);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'not-covered');
  });

  it('many referenced Medications are all read, at most 10 at a time', async () => {
    let inFlight = 0;
    let most = 0;
    server.inject(forType('Medication'), async (req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight -= 1;
      const id = req.url!.split('/').at(-1)!;
      send(res, 200, buildMedication({ id, code: id === 'med-24' ? hcpcs('Q2041') : rxnorm(`1000${id.slice(4)}`) }));
    });
    const administrations = Array.from({ length: 25 }, (_, i) => byMedicationReference(buildMedicationAdministration(), `Medication/med-${i}`));
    const { res } = await sign({ record: eligibleMantleCellRecord({ medicationAdministrations: administrations }), fhirServer: server.url, accessToken: TOKEN });
    assert.equal(server.paths().length, 25);
    assert.ok(most <= 10, `at most 10 reads at once, saw ${most}`);
    assert.ok(most > 1, 'reads run in parallel');
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'not-covered');
  });

  it('a history Medication that cannot be read leaves prior CAR-T unchecked, and the card says so', async () => {
    server.inject(forType('Medication'), status(500));
    const administration = byMedicationReference(buildMedicationAdministration(), 'Medication/med-unknown');
    const { res } = await sign({
      record: eligibleMantleCellRecord({ medicationAdministrations: [administration] }),
      fhirServer: server.url,
      accessToken: TOKEN,
      extension: { 'davinci-crd.requestedVersion': '2.2' },
    });
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'indeterminate');
    assert.ok(info.reasons.includes('data-unavailable'));
    const card = cardsOf(res.body).find((c) => c.summary.startsWith('Part of the patient\'s record could not be read'));
    assert.match(plain(card!.detail), /A referenced Medication could not be read \(the EHR's FHIR server answered HTTP 500\); not checked: no prior CAR-T therapy/);
  });
});
