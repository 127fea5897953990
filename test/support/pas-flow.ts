import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Bundle, ClaimResponse, Extension, MedicationRequest, Parameters, Questionnaire, QuestionnaireItem, QuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer } from 'fhir/r4.js';
import type { Express } from 'express';
import request from 'supertest';
import { coverageInformationFor } from './coverage-information.js';
import { buildQuestionnairePackageRequest } from './dtr-requests.js';
import { buildTecartusOrder } from './fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from './hook-requests.js';
import { buildPasRequestBundle, type PasRequestOptions } from './pas-requests.js';
import { itemDecisions } from './pas-conformance.js';
import type { TestRecord } from './patient-scenarios.js';
import { postHook } from './test-app.js';

/**
 * The documentation-to-decision flow as an EHR runs it (issues 12 and 13):
 * order-sign, the DTR package for the assertion, the clinician completing
 * the form, the PAS request carrying the order (with the coverage
 * information CRD put on it) and the form.
 */
export const QUESTIONNAIRE: Questionnaire = JSON.parse(readFileSync(new URL('../../policies/tecartus-carepartners-ct/dtr/questionnaire.json', import.meta.url), 'utf8')) as Questionnaire;
const ORDER = 'MedicationRequest/tecartus-order-1';

export interface Signed {
  readonly assertionId: string;
  /** The CRD coverage-information extension, as the EHR stores it on the order. */
  readonly coverageInformation: Extension;
  readonly draft: QuestionnaireResponse;
}

export async function signAndFetchForm(app: Express, record: TestRecord, options: { encounterId?: string; order?: MedicationRequest } = {}): Promise<Signed> {
  const order = options.order ?? buildTecartusOrder();
  const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record, orders: [order], ...(options.encounterId ? { encounterId: options.encounterId } : {}) }));
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  const info = coverageInformationFor(res.body, `MedicationRequest/${order.id}`) ?? coverageInformationFor(res.body, ORDER);
  assert.ok(info, 'the order-sign answer carries coverage information');
  const pkg = await request(app)
    .post('/fhir/Questionnaire/$questionnaire-package')
    .set('content-type', 'application/fhir+json')
    .send(buildQuestionnairePackageRequest({ context: info.assertionId, order }));
  assert.equal(pkg.status, 200, JSON.stringify(pkg.body).slice(0, 300));
  const bundle = (pkg.body as Parameters).parameter!.find((p) => p.name === 'packagebundle')!.resource as Bundle;
  return { assertionId: info.assertionId, coverageInformation: info.raw as Extension, draft: bundle.entry!.at(-1)!.resource as QuestionnaireResponse };
}

/** An answer the clinician gives: a boolean, a coding's code (from the item's options), a date, a string, or an attachment title. */
export type GivenAnswer = boolean | string | { attachment: string };

/**
 * The form completed: the draft's answers kept, the given ones added or
 * replacing them (null removes one), items in the Questionnaire's order and
 * groups, status completed.
 */
export function completeForm(draft: QuestionnaireResponse, given: Record<string, GivenAnswer | null>): QuestionnaireResponse {
  const drafted = new Map<string, QuestionnaireResponseItemAnswer[]>();
  const walk = (items: readonly QuestionnaireResponseItem[] | undefined) => {
    for (const i of items ?? []) {
      if (i.answer?.length) drafted.set(i.linkId, i.answer);
      walk(i.item);
    }
  };
  walk(draft.item);
  const build = (items: readonly QuestionnaireItem[]): QuestionnaireResponseItem[] =>
    items.flatMap((q): QuestionnaireResponseItem[] => {
      if (q.type === 'group') {
        const children = build(q.item ?? []);
        return children.length > 0 ? [{ linkId: q.linkId, text: q.text, item: children }] : [];
      }
      const value = q.linkId in given ? given[q.linkId] : undefined;
      if (value === null) return [];
      const answer = value === undefined ? drafted.get(q.linkId) : [answerFor(q, value)];
      return answer ? [{ linkId: q.linkId, text: q.text, answer }] : [];
    });
  return { ...draft, status: 'completed', authored: '2026-06-15T15:00:00Z', item: build(QUESTIONNAIRE.item ?? []) };
}

function answerFor(q: QuestionnaireItem, value: GivenAnswer): QuestionnaireResponseItemAnswer {
  if (typeof value === 'boolean') return { valueBoolean: value };
  if (typeof value === 'object') return { valueAttachment: { contentType: 'application/pdf', title: value.attachment, data: Buffer.from(`%PDF-1.4 ${value.attachment}`).toString('base64') } };
  if (q.type === 'date') return { valueDate: value };
  const option = (q.answerOption ?? []).find((o) => o.valueCoding?.code === value || o.valueString === value);
  if (option?.valueCoding) return { valueCoding: option.valueCoding };
  return { valueString: value };
}

/** What a clean MCL request's clinician adds: inpatient, the no-prior-CAR-T attestation, tocilizumab, the pathology report. */
export const CLEAN_ANSWERS: Record<string, GivenAnswer> = {
  'administration-setting': 'IMP',
  'prior-car-t': false,
  'no-prior-car-t-attestation': true,
  'tocilizumab-available': true,
  'pathology-report': { attachment: 'pathology.pdf' },
};

/** The PAS request for a signed order: the order carries the coverage information CRD returned, the form goes as supporting information. */
export function pasRequestFor(signed: Signed | undefined, form: QuestionnaireResponse | undefined, options: PasRequestOptions = {}): Bundle {
  const order = options.order ?? buildTecartusOrder();
  return buildPasRequestBundle({
    // A new trace number for each request unless given: the same one twice is a resubmission.
    identifier: { system: 'urn:trnorg:1234567890', value: `TRN-${randomUUID()}` },
    ...options,
    order: { ...order, ...(signed ? { extension: [...(order.extension ?? []), signed.coverageInformation] } : {}) },
    ...(form ? { questionnaireResponse: { ...form, id: form.id ?? 'dtr-qr-1' } } : {}),
  });
}

export async function submit(app: Express, bundle: Bundle, headers: Record<string, string> = {}): Promise<request.Response> {
  return request(app).post('/fhir/Claim/$submit').set('content-type', 'application/fhir+json').set(headers).send(bundle);
}

export function claimResponseOf(body: unknown): ClaimResponse {
  return (body as Bundle).entry![0]!.resource as ClaimResponse;
}

/** The X12 306 code of each item, by sequence. */
export function decisionsOf(body: unknown): Map<number, string[]> {
  return itemDecisions(claimResponseOf(body) as never);
}
