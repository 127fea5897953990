import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { OperationOutcome } from 'fhir/r4.js';
import supertest from 'supertest';
import {
  buildCondition,
  buildEncounter,
  buildHistoricalMedicationRequest,
  buildMedication,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildOtherOrder,
  buildPatient,
  buildProcedure,
  buildTecartusOrder,
  buildTecartusServiceRequest,
  cpt,
  icd10cm,
} from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();
type Json = Record<string, unknown>;
/** The covered value of the first coverage-information the answer carries. */
const coverageOf = (body: Json) =>
  ((((body['systemActions'] as Json[])[0]?.['resource'] as Json)?.['extension'] as Json[]) ?? []).flatMap((e) => (e['extension'] as Json[]) ?? []).find((e) => e['url'] === 'covered')?.['valueCode'];

/** Posts and expects an OperationOutcome with `status` whose messages (or expressions) match `names`. */
async function expectRejected(body: unknown, status: number, names: RegExp, serviceId = ORDER_SIGN, headers: Record<string, string> = {}) {
  const res = await postHook(app, serviceId, body, headers);
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
  const outcome = res.body as OperationOutcome;
  assert.equal(outcome.resourceType, 'OperationOutcome');
  const said = outcome.issue.map((i) => `${i.details?.text ?? ''} ${(i.expression ?? []).join(' ')}`).join(' | ');
  assert.match(said, names, `the OperationOutcome names what is wrong: ${said}`);
  return outcome;
}

/** A valid Tecartus order-sign request, with one change applied. */
function requestWith(change: (request: Json) => void, hook: 'order-sign' | 'order-select' = 'order-sign'): Json {
  const request = buildHookRequest({ hook });
  change(request);
  return request;
}
const contextOf = (request: Json) => request['context'] as Json;

describe('Bad requests get a 400 OperationOutcome that says what is wrong (CRD hook-13/14)', () => {
  describe('the body', () => {
    it('malformed JSON', async () => {
      await expectRejected('{"hook": "order-sign", "context": {', 400, /not valid JSON/, ORDER_SIGN, { 'Content-Type': 'application/json' });
    });

    it('a JSON array', async () => {
      await expectRejected([buildHookRequest()], 400, /JSON object/);
    });

    it('a JSON string', async () => {
      const outcome = await expectRejected('"order-sign"', 400, /must be a JSON object/, ORDER_SIGN, { 'Content-Type': 'application/json' });
      assert.doesNotMatch(outcome.issue[0]!.details!.text!, /not valid JSON/, 'a JSON string is valid JSON; what is wrong is that it is not an object');
    });

    it('a JSON number', async () => {
      await expectRejected('42', 400, /must be a JSON object/, ORDER_SIGN, { 'Content-Type': 'application/json' });
    });

    it('a body sent as text/plain', async () => {
      await expectRejected(JSON.stringify(buildHookRequest()), 400, /application\/json/, ORDER_SIGN, { 'Content-Type': 'text/plain' });
    });

    it('no body at all', async () => {
      await expectRejected(undefined, 400, /JSON object/);
    });

    it('application/fhir+json is accepted as JSON', async () => {
      const body = buildHookRequest();
      const res = await supertest(app).post(`/cds-services/${ORDER_SIGN}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
      assertAnswerConforms(res, ORDER_SIGN, body);
      assert.equal(res.status, 200);
      assert.equal((res.body['systemActions'] as unknown[]).length, 1);
    });
  });

  describe('required fields', () => {
    for (const [name, change, names] of [
      ['hook', (r: Json) => delete r['hook'], /\bhook\b.*required/],
      ['hookInstance', (r: Json) => delete r['hookInstance'], /hookInstance.*required/],
      ['context', (r: Json) => delete r['context'], /\bcontext\b/],
      ['context.userId', (r: Json) => delete contextOf(r)['userId'], /context\.userId.*required/],
      ['context.patientId', (r: Json) => delete contextOf(r)['patientId'], /context\.patientId.*required/],
      ['context.draftOrders', (r: Json) => delete contextOf(r)['draftOrders'], /context\.draftOrders/],
    ] as const) {
      it(`missing ${name}`, async () => {
        const outcome = await expectRejected(requestWith(change), 400, names);
        const issue = outcome.issue.find((i) => (i.expression ?? []).includes(name));
        assert.ok(issue, `an issue points at ${name}`);
        assert.equal(issue.code, 'required');
      });
    }

    it('a field of the wrong type is called invalid, not missing', async () => {
      const outcome = await expectRejected(
        requestWith((r) => {
          r['hookInstance'] = 42;
          contextOf(r)['patientId'] = { reference: 'Patient/pat-1' };
        }),
        400,
        /hookInstance must be a string/,
      );
      assert.deepEqual(
        outcome.issue.map((i) => [i.expression?.[0], i.code, i.details?.text]),
        [
          ['hookInstance', 'invalid', 'hookInstance must be a string'],
          ['context.patientId', 'invalid', 'context.patientId must be a string: the FHIR id of the patient'],
        ],
      );
    });

    it('every problem is reported at once', async () => {
      const outcome = await expectRejected(
        requestWith((r) => {
          delete r['hookInstance'];
          delete contextOf(r)['userId'];
        }),
        400,
        /hookInstance/,
      );
      assert.ok(outcome.issue.some((i) => /context\.userId/.test(i.details?.text ?? '')), 'userId is reported too');
    });
  });

  describe('draftOrders', () => {
    it('draftOrders that is not a Bundle', async () => {
      await expectRejected(requestWith((r) => (contextOf(r)['draftOrders'] = buildTecartusOrder())), 400, /context\.draftOrders.*Bundle/);
    });

    it('draftOrders as an array of resources', async () => {
      const outcome = await expectRejected(requestWith((r) => (contextOf(r)['draftOrders'] = [buildTecartusOrder()])), 400, /context\.draftOrders/);
      assert.equal(outcome.issue[0]!.code, 'invalid', 'present but wrong is invalid, not required');
    });

    it('a Tecartus order without an id: the coverage information could not name it', async () => {
      const { id: _id, ...order } = buildTecartusOrder();
      await expectRejected(buildHookRequest({ orders: [order as never] }), 400, /context\.draftOrders\.entry\[0\]\.resource\.id is required/);
    });

    it('an order that is not Tecartus never causes a 400: no id, or an entry without a resource, is passed over', async () => {
      const { id: _id, ...other } = buildOtherOrder();
      const res = await postHook(app, ORDER_SIGN, requestWith((r) => ((contextOf(r)['draftOrders'] as Json)['entry'] = [{ fullUrl: 'urn:uuid:1' }, { resource: other }, null])));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { cards: [], systemActions: [] });
    });

    it('draftOrders.entry sent as one object is read as a one-item array', async () => {
      const res = await postHook(app, ORDER_SIGN, requestWith((r) => ((contextOf(r)['draftOrders'] as Json)['entry'] = { resource: buildTecartusOrder() })));
      assert.equal(res.status, 200);
      assert.equal(res.body.systemActions.length, 1);
    });
  });

  describe('hook and service', () => {
    it('hook "order-select" sent to the order-sign service', async () => {
      await expectRejected(buildHookRequest({ hook: 'order-select' }), 400, /order-select.*order-sign/);
    });

    it('hook "order-sign" sent to the order-select service', async () => {
      await expectRejected(buildHookRequest({ hook: 'order-sign' }), 400, /order-sign.*order-select/, ORDER_SELECT);
    });

    it('order-select without selections', async () => {
      await expectRejected(requestWith((r) => delete contextOf(r)['selections'], 'order-select'), 400, /context\.selections.*required/, ORDER_SELECT);
    });

    it('order-select with empty selections', async () => {
      await expectRejected(requestWith((r) => (contextOf(r)['selections'] = []), 'order-select'), 400, /context\.selections/, ORDER_SELECT);
    });

    it('order-select with a selection that is not in draftOrders', async () => {
      await expectRejected(
        buildHookRequest({ hook: 'order-select', selections: ['MedicationRequest/tecartus-order-1', 'MedicationRequest/nowhere'] }),
        400,
        /context\.selections\[1\].*MedicationRequest\/nowhere.*not an order in context\.draftOrders/,
        ORDER_SELECT,
      );
    });
  });

  describe('FHIR access and prefetch', () => {
    it('fhirAuthorization without fhirServer (CDS Hooks cds-r-1)', async () => {
      await expectRejected(buildHookRequest({ accessToken: 'token-abc' }), 400, /fhirServer is required when fhirAuthorization/);
    });

    it('fhirServer that is not a URL', async () => {
      await expectRejected(buildHookRequest({ fhirServer: 'not a url' }), 400, /fhirServer/);
    });

    it('a prefetch value that is a string makes that part unreadable: the card says so, no 400', async () => {
      const res = await postHook(app, ORDER_SIGN, buildHookRequest({ extraPrefetch: { patient: 'Patient/pat-1' } }));
      assert.equal(res.status, 200);
      assert.match(JSON.stringify(res.body.cards), /The Patient record could not be read \(prefetch\.patient must be a Patient, an OperationOutcome or null, not a string\)/);
    });

    it('a prefetch value of the wrong resource type (prefetch.patient is a Condition) makes that part unreadable', async () => {
      const res = await postHook(app, ORDER_SIGN, buildHookRequest({ extraPrefetch: { patient: buildCondition() } }));
      assert.equal(res.status, 200);
      assert.match(JSON.stringify(res.body.cards), /prefetch\.patient must be a Patient, an OperationOutcome or null, not a Condition/);
    });

    it('prefetch that is not an object', async () => {
      await expectRejected(requestWith((r) => (r['prefetch'] = [buildPatient()])), 400, /prefetch/);
    });
  });

  describe('davinci-crd.configuration', () => {
    it('max-cards "five"', async () => {
      await expectRejected(buildHookRequest({ extension: { 'davinci-crd.configuration': { 'max-cards': 'five' } } }), 400, /max-cards must be a whole number/);
    });

    it('max-cards -1', async () => {
      await expectRejected(buildHookRequest({ extension: { 'davinci-crd.configuration': { 'max-cards': -1 } } }), 400, /max-cards/);
    });

    it('coverage-info "yes"', async () => {
      await expectRejected(buildHookRequest({ extension: { 'davinci-crd.configuration': { 'coverage-info': 'yes' } } }), 400, /coverage-info must be true or false/);
    });

    it('configuration that is not an object', async () => {
      await expectRejected(buildHookRequest({ extension: { 'davinci-crd.configuration': 'all' } }), 400, /davinci-crd\.configuration must be an object/);
    });
  });
});

describe('Malformed FHIR elements: read leniently, their part unreadable, never a 400 or a 500 (issue 10, rule 7)', () => {
  const draft = (request: Json) => ((((request['context'] as Json)['draftOrders'] as Json)['entry'] as Json[])[0]!['resource'] as Json);
  const prefetched = (request: Json, key: string) => (request['prefetch'] as Json)[key] as Json;
  const firstEntry = (bundle: Json) => (bundle['entry'] as Json[])[0]!['resource'] as Json;
  const sign = async (change: (r: Json) => void) => {
    const res = await postHook(app, ORDER_SIGN, requestWith(change));
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
    return { res, cards: JSON.stringify(res.body.cards).replace(/\\\\(.)/g, '$1'), covered: coverageOf(res.body) };
  };

  it('a coding sent as one object (prefetch Condition) is read as a one-item array: the diagnosis still counts', async () => {
    const { covered } = await sign((r) => ((firstEntry(prefetched(r, 'conditions'))['code'] as Json)['coding'] = { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C83.18' }));
    assert.equal(covered, 'covered');
  });

  for (const [what, change, said] of [
    ['a null in an array (draft order insurance)', (r: Json) => (draft(r)['insurance'] = [null]), /Part of the order could not be read \(MedicationRequest\/tecartus-order-1: insurance\[0\] must be a JSON object\)/],
    ['numberOfRepeatsAllowed as text', (r: Json) => (draft(r)['dispenseRequest'] = { numberOfRepeatsAllowed: 'two' }), /dispenseRequest\.numberOfRepeatsAllowed must be a number.*not checked: one-time infusion/],
    ['a timing repeat count that is a list', (r: Json) => (draft(r)['dosageInstruction'] = [{ timing: { repeat: { count: [1, 2] } } }]), /dosageInstruction\[0\]\.timing\.repeat\.count must be a number/],
    [
      'a prefetched Procedure whose code is a string',
      (r: Json) => (prefetched(r, 'procedures')['entry'] = [{ resource: { resourceType: 'Procedure', id: 'p', status: 'completed', code: 'CPT 38228' } }]),
      /The procedure history could not be read \(malformed data from the EHR: Procedure\/p: code must be a JSON object\)/,
    ],
  ] as const) {
    it(`${what}: the answer says which part could not be read`, async () => {
      const { cards, covered } = await sign(change);
      assert.equal(covered, 'conditional', 'indeterminate, said the CRD 2.0.1 way');
      assert.match(cards, said);
    });
  }

  it('a searchset whose entry is one object is read; an entry that is no resource makes the part unreadable', async () => {
    const { cards } = await sign((r) => (prefetched(r, 'procedures')['entry'] = { resource: {} }));
    assert.match(cards, /The procedure history could not be read \(prefetch\.procedures\.entry\[0\]\.resource is not a FHIR resource\)/);
  });

  it('a contained Medication with a malformed code does not stop an order coded Tecartus', async () => {
    const { covered } = await sign((r) => (draft(r)['contained'] = [{ resourceType: 'Medication', id: 'm', code: { coding: 'Q2053' } }]));
    assert.equal(covered, 'covered');
  });

  it('an existing coverage-information extension whose sub-extensions are not an array is replaced, never a crash', async () => {
    const { res } = await sign((r) => (draft(r)['extension'] = [{ url: 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information', extension: { url: 'coverage' } }]));
    assert.equal(res.body.systemActions.length, 1);
  });

  it("an OperationOutcome in prefetch whose issue is not an array is the EHR's failed query: with no fhirServer, a 412 naming the key", async () => {
    await expectRejected(requestWith((r) => ((r['prefetch'] as Json)['conditions'] = { resourceType: 'OperationOutcome', issue: { code: 'timeout' } })), 412, /prefetch\.conditions/);
  });

  it('random damage anywhere in a full request never gets a 500 (property test)', async () => {
    const base = buildHookRequest({
      orders: [
        buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 1, unit: 'bag' } }, insurance: [{ reference: 'Coverage/cov-1' }], dosageInstruction: [{ timing: { repeat: { count: 1 } } }] }),
        buildTecartusServiceRequest({ occurrenceTiming: { repeat: { count: 1 } } }),
        buildTecartusOrder({ id: 'by-reference', medicationCodeableConcept: undefined, medicationReference: { reference: '#tec' }, contained: [buildMedication({ id: 'tec' })] }),
      ],
      encounterId: 'enc-1',
      record: eligibleMantleCellRecord({
        encounter: buildEncounter(),
        procedures: [buildProcedure({ code: cpt('0537T'), performedPeriod: { start: '2020-01-01', end: '2020-01-02' } })],
        medicationAdministrations: [buildMedicationAdministration()],
        medicationStatements: [buildMedicationStatement()],
        medicationRequests: [buildHistoricalMedicationRequest()],
      }),
      extension: { 'davinci-crd.requestedVersion': '2.2', 'davinci-crd.configuration': { 'max-cards': 3 } },
    });
    const paths: (string | number)[][] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      if (path.length > 0) paths.push(path);
      if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
    };
    walk(base, []);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], {}, [null], 'x', 5, true)), async (path, value) => {
        const body = structuredClone(base);
        let parent = body as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
        parent[path.at(-1)!] = value;
        const res = await postHook(app, ORDER_SIGN, body);
        assert.ok(res.status < 500, `${res.status} for ${path.join('.')} = ${JSON.stringify(value)}`);
      }),
      { seed: 20260615, numRuns: 300 },
    );
  });
});

describe('Missing prefetch and no fhirServer to query: 412 OperationOutcome (CDS Hooks)', () => {
  it('a Tecartus order whose record was not prefetched names the missing keys', async () => {
    const request = buildHookRequest();
    delete (request['prefetch'] as Json)['coverage'];
    delete (request['prefetch'] as Json)['procedures'];
    const outcome = await expectRejected(request, 412, /did not prefetch \(coverage, procedures\).*no fhirServer/);
    assert.deepEqual(outcome.issue[0]!.expression, ['prefetch.coverage', 'prefetch.procedures']);
  });

  it("a prefetch key holding the EHR's failed query (an OperationOutcome) counts as not prefetched", async () => {
    const failed = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout', diagnostics: 'query timed out' }] };
    await expectRejected(buildHookRequest({ extraPrefetch: { conditions: failed } }), 412, /conditions/);
  });

  it('a null prefetch value (the EHR found nothing) is data, not missing', async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ extraPrefetch: { medicationStatements: null } }));
    assert.equal(res.status, 200);
  });

  it('without a Tecartus order nothing is needed: no prefetch at all still gets 200', async () => {
    const request = buildHookRequest({ orders: [buildOtherOrder()] });
    delete request['prefetch'];
    const res = await postHook(app, ORDER_SIGN, request);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { cards: [], systemActions: [] });
  });
});

describe('Unknown service: 404 OperationOutcome', () => {
  it('POST /cds-services/no-such-service', async () => {
    await expectRejected(buildHookRequest(), 404, /no-such-service/, 'no-such-service');
  });
});

describe('Unknown fields are ignored (CRD found-33, hook-23)', () => {
  it('unknown fields at the top level, in context, in extension, in prefetch and in resources give a normal 200 answer', async () => {
    const order = { ...buildTecartusOrder(), madeUpElement: { anything: true } };
    const request = buildHookRequest({
      orders: [order as never],
      extraPrefetch: { practitioners: { resourceType: 'Bundle', type: 'searchset', entry: [] }, somethingElse: null },
      extension: { 'com.example.vendor': { x: 1 }, 'davinci-crd.configuration': { 'alt-drug': true, 'dtr-clin': false } },
    });
    request['unknownTopLevel'] = 'ignored';
    contextOf(request)['unknownContextField'] = [1, 2, 3];
    const res = await postHook(app, ORDER_SIGN, request);
    assert.equal(res.status, 200);
    assert.equal((res.body['systemActions'] as unknown[]).length, 1);
  });
});

describe('Body size', () => {
  it('a 6 MB request (long prefetch history) is accepted', async () => {
    const history = Array.from({ length: 24_000 }, (_, i) =>
      buildProcedure({ id: `visit-${i}`, code: cpt('99213'), performedDateTime: '2024-01-01', note: [{ text: `Office visit ${i}, established patient, follow-up of lymphoma.` }] }),
    );
    const request = buildHookRequest({ record: eligibleMantleCellRecord({ procedures: history, conditions: [buildCondition({ code: icd10cm('C83.18') })] }) });
    const size = Buffer.byteLength(JSON.stringify(request));
    assert.ok(size > 6_000_000, `the body is ${size} bytes`);
    const res = await postHook(app, ORDER_SIGN, request);
    assert.equal(res.status, 200);
  });

  it('a body over BODY_LIMIT gets 413 with an OperationOutcome', async () => {
    const small = createTestApp({ BODY_LIMIT: '100kb' });
    const request = buildHookRequest({ orders: [buildOtherOrder({ note: [{ text: 'x'.repeat(200_000) }] })] });
    const res = await postHook(small.app, ORDER_SIGN, request);
    assert.equal(res.status, 413);
    assert.match((res.body as OperationOutcome).issue[0]!.details!.text!, /accepts at most 102400 bytes/);
  });

  it('the default limit (10 MB) rejects an 11 MB body with 413', async () => {
    const request = buildHookRequest({ orders: [buildOtherOrder({ note: [{ text: 'x'.repeat(11 * 1024 * 1024) }] })] });
    const res = await postHook(app, ORDER_SIGN, request);
    assert.equal(res.status, 413);
  });
});
