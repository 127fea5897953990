import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { buildEncounter, buildMedicationAdministration, buildPatient, buildProcedure, cpt, hcpcs, PATIENT_ID, searchset } from '../support/fhir-factories.js';
import {
  answersWith,
  brokenJson,
  endlessNext,
  everything,
  forType,
  htmlPage,
  neverAnswers,
  oversized,
  oversizedDeclared,
  redirectTo,
  status,
} from '../support/fhir-faults.js';
import { startFhirTestServer, type Fault, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord, type TestRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';
import { testDiscovery } from '../support/test-app.js';

const TOKEN = 'secret-access-token-91bd';
const ORDER = 'MedicationRequest/tecartus-order-1';
const CRD_22 = { 'davinci-crd.requestedVersion': '2.2' };
const SETTINGS = {
  FHIR_ALLOW_HTTP: 'true',
  FHIR_DEADLINE_MS: '1500',
  FHIR_QUERY_TIMEOUT_MS: '400',
  FHIR_MAX_PAGES: '3',
  FHIR_MAX_RESPONSE_BYTES: '65536',
  FHIR_MAX_ENTRIES: '50',
};
/** A hang guard: a test that waits past this has failed (timing goals are measured by the benchmark). */
const GUARD = { timeout: 10_000 };

const { app, logs } = createTestApp(SETTINGS);
let server: FhirTestServer;
let elsewhere: FhirTestServer;
before(async () => {
  server = await startFhirTestServer();
  elsewhere = await startFhirTestServer();
});
after(async () => {
  await server.close();
  await elsewhere.close();
});
beforeEach(() => {
  server.reset();
  elsewhere.reset();
  logs.length = 0;
});

/**
 * Signs a Tecartus order the way CRD recommends: Patient and Coverage
 * prefetched, the history queried with the token (found-28).
 */
async function signWithHistoryQueried(record: TestRecord = eligibleMantleCellRecord(), extension: Record<string, unknown> = CRD_22, extra: { encounterId?: string } = {}) {
  await server.load(record);
  const { patient, coverage } = asPrefetch(record);
  const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: { patient, coverage }, fhirServer: server.url, accessToken: TOKEN, extension, ...extra }));
  assert.equal(res.status, 200, `a failing FHIR server never fails the hook: ${JSON.stringify(res.body).slice(0, 300)}`);
  return res;
}

/** Card markdown without its escapes, for matching the words. */
function plain(markdown: string): string {
  return markdown.replace(/\\(.)/g, '$1');
}

function unreadableCard(body: Record<string, unknown>) {
  return cardsOf(body).find((c) => c.summary === "Part of the patient's record could not be read: Tecartus criteria not fully checked");
}

/** The CRD `technical` reason's text (CRD 2.2 resp-43). */
function technicalReasonText(body: Record<string, unknown>): string | undefined {
  const reason = coverageInformationFor(body, ORDER)!.raw.extension!.find(
    (e) => e.url === 'reason' && e.valueCodeableConcept?.coding?.some((c) => c.code === 'technical' && c.system === 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp'),
  );
  return reason?.valueCodeableConcept?.text;
}

interface FailureCase {
  readonly name: string;
  readonly fault: () => Fault;
  readonly kind: string;
  readonly reason: RegExp;
}

const FAILURES: readonly FailureCase[] = [
  { name: 'never answers', fault: () => neverAnswers, kind: 'timeout', reason: /the EHR's FHIR server did not answer within 0\.4 seconds/ },
  { name: 'answers HTTP 500', fault: () => status(500), kind: 'http-status', reason: /the EHR's FHIR server answered HTTP 500/ },
  { name: 'answers HTTP 503', fault: () => status(503), kind: 'http-status', reason: /the EHR's FHIR server answered HTTP 503/ },
  { name: 'answers HTTP 401', fault: () => status(401), kind: 'unauthorized', reason: /the EHR's FHIR server refused access: HTTP 401, with the access token the EHR sent/ },
  { name: 'answers HTTP 403', fault: () => status(403), kind: 'unauthorized', reason: /the EHR's FHIR server refused access: HTTP 403/ },
  { name: 'answers with an HTML page', fault: () => htmlPage, kind: 'not-json', reason: /answered with something other than FHIR JSON/ },
  { name: 'answers with broken JSON', fault: () => brokenJson, kind: 'not-json', reason: /answered with something other than FHIR JSON/ },
  { name: 'answers a search with a resource of the wrong type', fault: () => answersWith(buildPatient()), kind: 'wrong-type', reason: /answered with a Patient where a Bundle was expected/ },
  {
    name: 'answers a search with entries of the wrong type',
    fault: () => answersWith({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: buildPatient(), search: { mode: 'match' } }] }),
    kind: 'wrong-type',
    reason: /answered a Procedure search with Patient resources/,
  },
  {
    name: 'sends an endless chain of next links',
    fault: () => endlessNext(() => buildProcedure({ code: cpt('99213') })),
    kind: 'too-many-pages',
    reason: /had more than 3 pages of results; only the first were read/,
  },
  { name: 'sends an oversized answer without Content-Length', fault: () => oversized(300_000), kind: 'too-large', reason: /answer was larger than the 64 kB the service accepts/ },
  { name: 'sends an oversized answer with Content-Length', fault: () => oversizedDeclared(300_000), kind: 'too-large', reason: /answer was larger than the 64 kB the service accepts/ },
  {
    name: 'returns more entries than FHIR_MAX_ENTRIES',
    fault: () => answersWith(searchset(Array.from({ length: 60 }, () => buildProcedure({ code: cpt('99213') })))),
    kind: 'too-many-entries',
    reason: /returned more than 50 results; only the first were read/,
  },
  {
    name: 'redirects to itself, again and again',
    fault: () => redirectTo((path) => `${server.url}/${path}`),
    kind: 'redirect',
    reason: /redirected more than 3 times/,
  },
  {
    name: 'redirects to another origin',
    fault: () => redirectTo((path) => `${elsewhere.url}/${path}`),
    kind: 'redirect',
    reason: /redirected to another site; the service follows no redirect away from it/,
  },
];

describe('A failing FHIR server never fails the hook: the order is judged on what was read, and the card says what was not', () => {
  for (const failure of FAILURES) {
    it(`the procedure query ${failure.name}`, GUARD, async () => {
      server.inject(forType('Procedure'), failure.fault());
      const res = await signWithHistoryQueried();

      const info = coverageInformationFor(res.body, ORDER)!;
      assert.equal(info.covered, 'indeterminate', 'CRD 2.2: indeterminate');
      assert.deepEqual(info.reasons, ['pa-required', 'data-unavailable', 'technical']);
      assert.equal(info.paNeeded, 'auth-needed');
      assert.match(technicalReasonText(res.body) ?? '', failure.reason);

      const card = unreadableCard(res.body);
      assert.ok(card, 'a card says which data could not be read');
      assert.equal(card.indicator, 'warning');
      assert.match(plain(card.detail), /The procedure history could not be read \(/);
      assert.match(plain(card.detail), failure.reason);
      assert.match(plain(card.detail), /not checked: no prior CAR-T therapy\./);

      const text = logs.join('\n');
      assert.match(text, new RegExp(`"event":"fhir-query-failed","resourceType":"Procedure","interaction":"(search|page)","failure":"${failure.kind}"`));
      assert.doesNotMatch(text, new RegExp(TOKEN));
      assert.doesNotMatch(JSON.stringify(res.body) + text, /Alexandra/, 'nothing the server wrote reaches the card or the log');
    });
  }

  it('an endless next chain is cut at FHIR_MAX_PAGES requests', GUARD, async () => {
    server.inject(forType('Procedure'), endlessNext(() => buildProcedure({ code: cpt('99213') })));
    await signWithHistoryQueried();
    assert.equal(server.paths().filter((p) => p.startsWith('Procedure')).length, 3);
  });

  it('a redirect to another origin is not followed: the other server receives nothing, so the token goes nowhere else', GUARD, async () => {
    server.inject(forType('Procedure'), redirectTo((path) => `${elsewhere.url}/${path}`));
    await signWithHistoryQueried();
    assert.deepEqual(elsewhere.requests, []);
  });

  it('a redirect within the FHIR server\'s origin is followed, with the token', GUARD, async () => {
    server.inject((p) => p.startsWith('Procedure?') && !p.includes('_count'), redirectTo((path) => `${server.url}/${path}&_count=50`));
    const res = await signWithHistoryQueried();
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    const followed = server.requests.find((r) => r.path === `Procedure?patient=${PATIENT_ID}&_count=50`);
    assert.equal(followed?.authorization, `Bearer ${TOKEN}`);
  });

  it('under CRD 2.0.1 the same failure gives conditional with info-needed OTH (2.0.1 has no indeterminate)', GUARD, async () => {
    server.inject(forType('Procedure'), status(503));
    const res = await signWithHistoryQueried(eligibleMantleCellRecord(), {});
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.infoNeeded, ['OTH']);
    assert.deepEqual(info.reasons, ['pa-required', 'data-unavailable']);
    assert.ok(unreadableCard(res.body));
  });

  it('what was read still counts: prior CAR-T found in the administrations makes the order not covered although procedures failed', GUARD, async () => {
    server.inject(forType('Procedure'), status(503));
    const res = await signWithHistoryQueried(eligibleMantleCellRecord({ medicationAdministrations: [buildMedicationAdministration({ medicationCodeableConcept: hcpcs('Q2041') })] }));
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'not-covered');
    assert.ok(info.reasons.includes('prior-car-t'));
  });

  it('an unreadable Encounter leaves the setting unchecked (it may be the outpatient one that needs the attestation)', GUARD, async () => {
    server.inject(forType('Encounter'), status(500));
    const encounter = buildEncounter();
    const res = await signWithHistoryQueried(eligibleMantleCellRecord({ encounter }), CRD_22, { encounterId: encounter.id! });
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
    assert.match(plain(unreadableCard(res.body)!.detail), /The Encounter could not be read \(the EHR's FHIR server answered HTTP 500\); not checked: inpatient or outpatient setting\./);
  });

  it('with every query failing the hook still answers: no Coverage to attach information to, and the cards say what could not be read', GUARD, async () => {
    server.inject(everything, status(503));
    await server.load(eligibleMantleCellRecord());
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: {}, fhirServer: server.url, accessToken: TOKEN, extension: CRD_22 }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.systemActions, [], 'CRD: coverage-information needs a Coverage');
    const detail = plain(unreadableCard(res.body)!.detail);
    for (const part of ['The Patient record', 'The condition history', 'The procedure history', 'The medication order history', 'The medication administration history', 'The medication statement history']) {
      assert.match(detail, new RegExp(`${part} could not be read \\(the EHR's FHIR server answered HTTP 503\\)`), part);
    }
    assert.ok(cardsOf(res.body).some((c) => /The member's Coverage could not be read from the EHR/.test(plain(c.detail))));
    const summary = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['event'] === 'fhir-queries');
    assert.deepEqual(summary?.['failed'], testDiscovery().sources.get(ORDER_SIGN)!.filter((s) => !s.needs.includes('encounterId')).length);
  });
});

describe('Malformed data from the FHIR server is read leniently', () => {
  it('entries whose elements have the wrong JSON type leave the element out and make their part unreadable, never a failure of the hook', GUARD, async () => {
    server.inject(forType('Procedure'), answersWith(searchset([{ ...buildProcedure(), code: { coding: 'CPT 38228' } } as never])));
    const res = await signWithHistoryQueried();
    assert.equal(res.status, 200);
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'indeterminate');
    const card = unreadableCard(res.body)!;
    assert.match(plain(card.detail), /The procedure history could not be read \(malformed data from the EHR: Procedure\/[\w-]+: code\.coding\[0\] must be a JSON object\); not checked: no prior CAR-T therapy\./);
  });

  it('one object where R4 wants an array is read as a one-item array: a coded CAR-T administration still counts', GUARD, async () => {
    server.inject(forType('Procedure'), answersWith(searchset([{ ...buildProcedure(), code: { coding: { system: 'http://www.ama-assn.org/go/cpt', code: '38228' } } } as never])));
    const res = await signWithHistoryQueried();
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'not-covered');
  });
});

describe('A FHIR server that cannot be reached', () => {
  it('a refused connection makes the history unreadable; the hook still answers', GUARD, async () => {
    const gone = await startFhirTestServer();
    const url = gone.url;
    await gone.close();
    const { patient, coverage } = asPrefetch(eligibleMantleCellRecord());
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: { patient, coverage }, fhirServer: url, accessToken: TOKEN, extension: CRD_22 }));
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
    assert.match(plain(unreadableCard(res.body)!.detail), /The procedure history could not be read \(the EHR's FHIR server could not be reached\)/);
    assert.match(logs.join('\n'), /"failure":"unreachable","code":"ECONNREFUSED"/);
  });
});

describe('One deadline for all the FHIR queries of a call', () => {
  it('a server that never answers is cut off at FHIR_DEADLINE_MS when that comes before the per-query timeout', GUARD, async () => {
    const short = createTestApp({ ...SETTINGS, FHIR_DEADLINE_MS: '300', FHIR_QUERY_TIMEOUT_MS: '5000' });
    server.inject(everything, neverAnswers);
    const { patient, coverage } = asPrefetch(eligibleMantleCellRecord());
    const res = await postHook(short.app, ORDER_SIGN, buildHookRequest({ prefetch: { patient, coverage }, fhirServer: server.url, accessToken: TOKEN, extension: CRD_22 }));
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
    assert.match(plain(unreadableCard(res.body)!.detail), /did not answer in time: the service waits at most 0\.3 seconds for the record/);
    assert.match(short.logs.join('\n'), /"failure":"deadline"/);
  });
});
