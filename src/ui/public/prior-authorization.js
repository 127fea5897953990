// The "Submit the prior authorization" step (Da Vinci PAS 2.2.1): once the
// documentation step has produced a QuestionnaireResponse, the page builds
// the PAS request Bundle an EHR would send for the signed order, posts it to
// this service's Claim/$submit and shows the decision as the clinician needs
// it: certified (X12 306 A1) with the authorization number and period, or
// pended (A4) with what is missing. A pended request is linked on the
// reviewer's page, and "Check the decision" asks Claim/$inquire for it once a
// reviewer has decided. "Sign the order again" re-sends the order-sign call:
// an approved order is answered pa-needed satisfied (CRD q4, q5).
import { coverageInformationRows, renderCard, renderError } from './render-response.js';

const PAS_SD = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition';
const PAS = {
  reviewAction: `${PAS_SD}/extension-reviewAction`,
  reviewActionCode: `${PAS_SD}/extension-reviewActionCode`,
  itemPreAuthPeriod: `${PAS_SD}/extension-itemPreAuthPeriod`,
  levelOfServiceCode: `${PAS_SD}/extension-levelOfServiceCode`,
  serviceItemRequestType: `${PAS_SD}/extension-serviceItemRequestType`,
  certificationType: `${PAS_SD}/extension-certificationType`,
  requestedService: `${PAS_SD}/extension-requestedService`,
  documentInformation: `${PAS_SD}/extension-documentInformation`,
};
const X12 = (element) => `https://codesystem.x12.org/005010/${element}`;
const HCPCS = ['http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets'];
/** The simulated EHR's FHIR base: a PAS request's fullUrls are the EHR's RESTful URLs (spec-16). */
const EHR_BASE = 'https://ehr.example.org/fhir';
const DECISIONS = { A1: 'certified', A3: 'not certified', A4: 'pended' };

const $ = (id) => document.getElementById(id);
const section = $('prior-authorization');
/** The order-sign call, its answer and the QuestionnaireResponse the step is for; replaced by each new "Done". */
let offered;
/** The PAS request Bundle last answered by $submit and the request's id (its ClaimResponse's id, how the reviewer's page names it). */
let submitted;

$('submit-prior-authorization').addEventListener('click', () => submitRequest().catch((error) => fail(0, undefined, `The request could not be sent: ${error.message}`)));
$('sign-again').addEventListener('click', () => signAgain().catch((error) => fail(0, undefined, `The order could not be signed again: ${error.message}`)));
$('check-decision').addEventListener('click', () => checkDecision().catch((error) => fail(0, undefined, `The inquiry could not be sent: ${error.message}`)));

/**
 * Called with each QuestionnaireResponse the documentation step produces
 * (and with none when a new order-sign answer replaces the step): offers the
 * submission. The trace number (Claim.identifier) is made here, so that
 * submitting the same response twice is a resubmission: the same answer,
 * never a second authorization.
 */
export function offerPriorAuthorization(step) {
  offered = step ? { ...step, traceNumber: `TRN-${randomHex(12)}` } : undefined;
  submitted = undefined;
  for (const id of ['pa-error', 'pa-decision', 'pa-review', 'pa-response-panel', 'pa-request-panel', 'sign-again']) $(id).hidden = true;
  for (const id of ['pa-status', 'check-status', 'sign-again-status']) $(id).textContent = '';
  $('sign-again-cards').replaceChildren();
  delete section.dataset.state;
  delete section.dataset.resign;
  section.hidden = offered === undefined;
  if (!offered) return;
  $('pa-intro').textContent = `Sends ${offered.row.order} with the coverage information the order-sign answer put on it (assertion ${offered.row.assertionId}) and the ${offered.questionnaireResponse.status} QuestionnaireResponse to Claim/$submit as a PAS request Bundle (trace number ${offered.traceNumber}).`;
  $('submit-prior-authorization').disabled = false;
}

async function submitRequest() {
  const call = offered;
  if (!call) return;
  $('submit-prior-authorization').disabled = true;
  setState('loading', 'Submitting the prior authorization request…');
  const bundle = pasRequestBundle(call);
  $('pa-request').textContent = JSON.stringify(bundle, null, 2);
  $('pa-request-panel').hidden = false;
  const started = performance.now();
  const res = await fetch('/fhir/Claim/$submit', { method: 'POST', headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, body: JSON.stringify(bundle) });
  const body = await res.json().catch(() => undefined);
  const ms = Math.round(performance.now() - started);
  if (call !== offered) return;
  $('submit-prior-authorization').disabled = false;
  if (!res.ok || body?.entry?.[0]?.resource?.resourceType !== 'ClaimResponse') return fail(res.status, body, res.ok ? 'The answer is not a PAS response Bundle' : res.statusText);
  $('pa-error').hidden = true;
  const claimResponse = body.entry[0].resource;
  const decision = showDecision(claimResponse);
  submitted = { bundle, requestId: claimResponse.id };
  showReviewStep(decision);
  $('pa-response').textContent = JSON.stringify(body, null, 2);
  $('pa-response-panel').hidden = false;
  $('sign-again').hidden = false;
  setState(decision, `${res.status} from Claim/$submit in ${ms} ms.`);
  $('pa-status').dataset.ms = String(ms);
}

/** A pended request: the link to it on the reviewer's page (/review/requests/{id}, the id of its ClaimResponse) and the inquiry. */
function showReviewStep(decision) {
  $('pa-review').hidden = decision !== 'pended';
  $('check-status').textContent = '';
  $('pa-review-link').setAttribute('href', `/review/requests/${encodeURIComponent(submitted.requestId)}`);
}

/**
 * "Check the decision": Claim/$inquire for the submitted request, by
 * example (PAS Claim inquiry): the Claim with the trace number, patient,
 * provider, insurer, coverage and the item's service, and the resources it
 * references (the Patient and Coverage carry the member id the plan matches
 * on, the PractitionerRole's Organization the requesting organisation); no
 * order and no form. The answer holds the request's current response Bundle;
 * its ClaimResponse is shown as the $submit answer was.
 */
async function checkDecision() {
  const sent = submitted;
  if (!sent) return;
  $('check-decision').disabled = true;
  $('check-status').textContent = '';
  setState('loading', 'Asking the plan for the current decision (Claim/$inquire)…');
  const inquiry = inquiryBundle(sent.bundle);
  $('pa-request').textContent = JSON.stringify(inquiry, null, 2);
  const res = await fetch('/fhir/Claim/$inquire', { method: 'POST', headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, body: JSON.stringify(inquiry) });
  const body = await res.json().catch(() => undefined);
  if (sent !== submitted) return;
  $('check-decision').disabled = false;
  if (!res.ok || body?.resourceType !== 'Parameters') return fail(res.status, body, res.ok ? 'The answer is not a Parameters' : res.statusText);
  const current = (body.parameter ?? []).map((p) => p?.resource).find((b) => b?.entry?.[0]?.resource?.id === sent.requestId);
  if (!current) return fail(res.status, body, 'The inquiry found no answer for this request');
  $('pa-error').hidden = true;
  const decision = showDecision(current.entry[0].resource);
  $('pa-response').textContent = JSON.stringify(current, null, 2);
  const words = decision === 'pended' ? 'still pended: no final decision yet' : decision === 'certified' ? 'certified by the reviewer' : decision === 'not-certified' ? 'not certified by the reviewer' : 'answered';
  $('check-status').textContent = `Checked: ${words}.`;
  setState(decision, `${res.status} from Claim/$inquire: the request is ${words}.`);
}

/** The inquiry Bundle for a PAS request Bundle: its Claim without the order and the form, and what that Claim references. */
function inquiryBundle(request) {
  const resources = request.entry.map((e) => e.resource);
  const created = new Date().toISOString();
  const claim = { ...resources[0], created, item: resources[0].item.map((item) => ({ ...item, extension: (item.extension ?? []).filter((e) => e.url !== PAS.requestedService) })) };
  delete claim.supportingInfo;
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${uuid()}` },
    type: 'collection',
    timestamp: created,
    entry: withReferenced([claim], resources).map((resource) => ({ fullUrl: `${EHR_BASE}/${resource.resourceType}/${resource.id}`, resource })),
  };
}

/**
 * The PAS request Bundle (profile-pas-request-bundle) for the signed order:
 * the Claim first (use preauthorization, spec-12), then every resource it
 * references, each once (spec-13, spec-14): the Patient, the Coverage with
 * the member id, the insurer, the ordering clinician's PractitionerRole,
 * Practitioner and Organization, the order as active with the CRD
 * coverage-information the order-sign answer put on it (how $submit finds
 * that decision), and the QuestionnaireResponse as additional information.
 */
function pasRequestBundle({ request, response, row, questionnaireResponse, traceNumber }) {
  const resources = [...Object.values(request.prefetch ?? {}), request.context?.draftOrders].flatMap((r) => (r?.resourceType === 'Bundle' ? (r.entry ?? []).map((e) => e.resource) : [r]));
  const named = (reference) => resources.find((r) => r && `${r.resourceType}/${r.id}` === reference);
  const updated = (response.systemActions ?? []).map((a) => a?.resource).find((r) => r && `${r.resourceType}/${r.id}` === row.order);
  const order = { ...(updated ?? named(row.order)), status: 'active', intent: 'order' };
  const coverage = named(row.coverage);
  const patient = withMemberId(named(`Patient/${request.context.patientId}`), coverage);
  const encounter = named(`Encounter/${request.context.encounterId}`);
  const created = new Date().toISOString();

  const insurer = { resourceType: 'Organization', id: 'preview-payer', active: true, type: [{ coding: [{ system: X12(98), code: 'PR', display: 'Payer' }] }], name: coverage?.payor?.[0]?.display ?? 'The plan' };
  const requestor = { resourceType: 'Organization', id: 'preview-cancer-center', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1427052729' }], active: true, name: 'Preview Cancer Center' };
  const practitionerId = String(request.context.userId ?? 'Practitioner/preview-clinician').split('/').pop();
  const practitioner = { resourceType: 'Practitioner', id: practitionerId, name: [{ family: 'Clinician', given: ['Preview'] }] };
  const role = { resourceType: 'PractitionerRole', id: `${practitionerId}-role`, practitioner: { reference: `Practitioner/${practitionerId}` }, organization: { reference: `Organization/${requestor.id}` } };
  const form = { ...questionnaireResponse, id: questionnaireResponse.id ?? 'preview-questionnaire-response' };
  const outpatient = encounter?.class?.code === 'AMB';
  const claim = {
    resourceType: 'Claim',
    id: `pa-${order.id}`,
    extension: [{ url: PAS.levelOfServiceCode, valueCodeableConcept: { coding: [{ system: X12(1338), code: 'E', display: 'Elective' }] } }],
    identifier: [{ system: 'urn:trnorg:preview-ehr', value: traceNumber }],
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'preauthorization',
    patient: { reference: `Patient/${patient.id}` },
    created,
    insurer: { reference: `Organization/${insurer.id}` },
    provider: { reference: `PractitionerRole/${role.id}` },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: row.coverage } }],
    supportingInfo: [
      {
        sequence: 1,
        category: { coding: [{ system: 'http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes', code: 'additionalInformation' }] },
        extension: [
          {
            url: PAS.documentInformation,
            extension: [
              { url: 'reportTypeCode', valueCodeableConcept: { coding: [{ system: X12(755), code: 'PY', display: "Physician's Report" }] } },
              { url: 'transmissionMethod', valueCodeableConcept: { coding: [{ system: X12(756), code: 'EL', display: 'Electronically Only' }] } },
            ],
          },
        ],
        valueReference: { reference: `QuestionnaireResponse/${form.id}` },
      },
    ],
    item: [
      {
        sequence: 1,
        extension: [
          { url: PAS.serviceItemRequestType, valueCodeableConcept: { coding: [{ system: X12(1525), code: 'HS', display: 'Health Services Review' }] } },
          { url: PAS.certificationType, valueCodeableConcept: { coding: [{ system: X12(1322), code: 'I', display: 'Initial' }] } },
          { url: PAS.requestedService, valueReference: { reference: row.order } },
        ],
        // X12 1365 service type 1 (Medical Care): a drug given under the medical benefit.
        category: { coding: [{ system: X12(1365), code: '1', display: 'Medical Care' }] },
        productOrService: { coding: [billingCode(order)] },
        // CMS place of service: 21 inpatient hospital, 22 outpatient hospital, as the encounter says.
        locationCodeableConcept: { coding: [{ system: 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set', ...(outpatient ? { code: '22', display: 'On Campus-Outpatient Hospital' } : { code: '21', display: 'Inpatient Hospital' }) }] },
        quantity: { value: 1 },
      },
    ],
  };
  // spec-13: what these resources reference in turn (the order's encounter, the record entries the form's answers cite) goes too.
  const included = withReferenced([claim, patient, coverage, insurer, role, practitioner, requestor, order, form], resources);
  return {
    resourceType: 'Bundle',
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${uuid()}` },
    type: 'collection',
    timestamp: created,
    entry: included.map((resource) => ({ fullUrl: `${EHR_BASE}/${resource.resourceType}/${resource.id}`, resource })),
  };
}

/**
 * The Patient as a PAS request carries it: with the member id the plan
 * issued (the Coverage's identifier of type v2-0203 MB) among its
 * identifiers, which an inquiry's answers are matched on (PAS spec-53).
 */
function withMemberId(patient, coverage) {
  const memberIds = (coverage?.identifier ?? []).filter((id) => (id.type?.coding ?? []).some((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v2-0203' && c.code === 'MB'));
  const known = (patient.identifier ?? []).map((id) => `${id.system}|${id.value}`);
  const added = memberIds.filter((id) => !known.includes(`${id.system}|${id.value}`));
  return added.length === 0 ? patient : { ...patient, identifier: [...(patient.identifier ?? []), ...added] };
}

/** The resources with every one of `available` they reference, directly or through another, each once. */
function withReferenced(resources, available) {
  const key = (r) => `${r.resourceType}/${r.id}`;
  const out = [...resources];
  const have = new Set(out.map(key));
  for (let i = 0; i < out.length; i += 1) {
    for (const reference of referencesIn(out[i])) {
      const found = have.has(reference) ? undefined : available.find((r) => r && key(r) === reference);
      if (!found) continue;
      have.add(reference);
      out.push(found);
    }
  }
  return out;
}

function referencesIn(value, out = []) {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) k === 'reference' && typeof v === 'string' ? out.push(v) : referencesIn(v, out);
  return out;
}

/** The order's HCPCS code (what the plan's Claim item is for), else its first coding. */
function billingCode(order) {
  const codings = (order.medicationCodeableConcept ?? order.code)?.coding ?? [];
  const coding = codings.find((c) => HCPCS.includes(c.system)) ?? codings[0] ?? {};
  return { system: HCPCS.includes(coding.system) ? HCPCS[0] : coding.system, code: coding.code };
}

/** Each item's X12 306 review action, as the ClaimResponse states it, with a denial's reasons (reviewAction.reasonCode). */
function itemDecisions(claimResponse) {
  return (claimResponse.item ?? []).map((item) => {
    const review = (item.adjudication ?? []).flatMap((a) => a.extension ?? []).find((e) => e.url === PAS.reviewAction)?.extension ?? [];
    const code = review.find((e) => e.url === PAS.reviewActionCode)?.valueCodeableConcept?.coding?.[0]?.code;
    return {
      sequence: item.itemSequence,
      code,
      number: review.find((e) => e.url === 'number')?.valueString,
      reasons: review.filter((e) => e.url === 'reasonCode').map((e) => e.valueCodeableConcept?.text ?? e.valueCodeableConcept?.coding?.[0]?.display ?? e.valueCodeableConcept?.coding?.[0]?.code ?? 'unstated'),
      period: (item.extension ?? []).find((e) => e.url === PAS.itemPreAuthPeriod)?.valuePeriod,
    };
  });
}

/** The decision in plain words: per item, certified with the number and period, not certified with the reasons, or pended; then the plan's notes (what is missing, the reviewer's note). */
function showDecision(claimResponse) {
  const items = itemDecisions(claimResponse);
  const codes = new Set(items.map((i) => i.code));
  const decision = codes.size === 1 && codes.has('A1') ? 'certified' : codes.has('A4') ? 'pended' : codes.has('A3') ? 'not-certified' : 'other';
  const box = $('pa-decision');
  box.replaceChildren();
  box.hidden = false;
  box.dataset.decision = decision;
  const heading = { certified: 'Certified: the prior authorization is approved', pended: 'Pended for review: the plan needs more before it decides', 'not-certified': 'Not certified', other: 'Decision' }[decision];
  box.append(el('h3', {}, heading));
  const list = el('ul', { class: 'pa-items' });
  for (const item of items) {
    const words = `Item ${item.sequence}: ${DECISIONS[item.code] ?? 'answered'} (X12 306 ${item.code ?? 'no review action'})`;
    const li = el('li', { 'data-sequence': item.sequence, 'data-code': item.code ?? '' }, words);
    if (item.number) li.append(', authorization number ', el('strong', { 'data-field': 'auth-number' }, item.number));
    if (item.period) li.append(', valid ', el('span', { 'data-field': 'period' }, `${item.period.start ?? '…'} to ${item.period.end ?? '…'}`));
    if (item.reasons.length > 0) li.append(', because:', el('ul', { class: 'pa-reasons' }, ...item.reasons.map((r) => el('li', { 'data-field': 'reason' }, r))));
    list.append(li);
  }
  box.append(list);
  const notes = (claimResponse.processNote ?? []).map((n) => n?.text).filter((t) => typeof t === 'string');
  if (notes.length > 0) {
    box.append(el('h4', {}, decision === 'pended' ? 'What is missing (processNote)' : 'Notes from the plan (processNote)'));
    box.append(el('ul', { id: 'pa-notes', class: 'pa-notes' }, ...notes.map((t) => el('li', {}, t))));
  }
  return decision;
}

/** The order-sign call again for the same order (a new hookInstance: a new call), its answer shown in the step. */
async function signAgain() {
  const call = offered;
  if (!call) return;
  $('sign-again').disabled = true;
  $('sign-again-status').textContent = 'Signing the order again…';
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const token = $('bearer-token').value.trim();
  if (token) headers.authorization = `Bearer ${token.replace(/^Bearer\s+/i, '')}`;
  const res = await fetch(`/cds-services/${encodeURIComponent(call.serviceId)}`, { method: 'POST', headers, body: JSON.stringify({ ...call.request, hookInstance: uuid() }) });
  const body = await res.json().catch(() => undefined);
  if (call !== offered) return;
  $('sign-again').disabled = false;
  if (!res.ok) return fail(res.status, body, res.statusText);
  const row = coverageInformationRows(body).find((r) => r.order === call.row.order);
  section.dataset.resign = row?.paNeeded || 'none';
  $('sign-again-status').textContent = row
    ? `${res.status} from ${call.serviceId}: coverage information for ${row.order}: ${row.covered}, PA needed ${row.paNeeded || '—'}${row.satisfiedPaId ? `, satisfied-pa-id ${row.satisfiedPaId}` : ''}, documentation ${row.docNeeded.join(', ') || '—'}.`
    : `${res.status} from ${call.serviceId}: no coverage information for ${call.row.order}.`;
  const cards = Array.isArray(body?.cards) ? body.cards : [];
  $('sign-again-cards').replaceChildren(...cards.map(renderCard));
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

function setState(state, status) {
  section.dataset.state = state;
  section.setAttribute('aria-busy', String(state === 'loading'));
  $('pa-status').textContent = status;
}

function fail(status, body, statusText = '') {
  renderError($('pa-error'), status, statusText, body);
  setState('error', status ? `The service answered ${status}.` : 'The step could not go on.');
  for (const id of ['submit-prior-authorization', 'check-decision', 'sign-again']) $(id).disabled = false;
}

function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A version 4 UUID (crypto.randomUUID needs a secure context; the page may be opened over plain http). */
function uuid() {
  const h = randomHex(16).split('');
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
