// The "Complete the documentation" step (Da Vinci DTR): when the order-sign
// answer's coverage information names a Questionnaire, the page asks this
// service for the questionnaire package with the answer's
// coverage-assertion-id, and shows the form pre-filled with the package's
// draft QuestionnaireResponse in LHC-Forms (the SDC renderer, served by this
// service and loaded on first use). "Done" turns what the renderer produces
// back into a DTR QuestionnaireResponse (completedResponse), which the prior
// authorization step (prior-authorization.js) then sends with the PAS request.
import { offerPriorAuthorization } from './prior-authorization.js';
import { coverageInformationRows, renderError } from './render-response.js';

const LFORMS = '/assets/vendor/lforms';
/** zone.js first, then the Angular build in its own order, then LHC-Forms' FHIR support. */
const LFORMS_SCRIPTS = ['zone.min.js', 'runtime.js', 'polyfills.js', 'main.js', 'lformsFHIR.min.js'];
const INFORMATION_ORIGIN_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';

const $ = (id) => document.getElementById(id);
const section = $('documentation');
const container = $('documentation-form');
/** The order-sign call the step is for; replaced (and the form cleared) by each new answer. */
let offered;
/** The package's draft response, and what completedResponse needs, once the form is shown. */
let shown;
let lformsLoading;

$('start-documentation').addEventListener('click', () => startDocumentation().catch((error) => fail(0, `The form could not be shown: ${error.message}`)));
$('finish-documentation').addEventListener('click', finishDocumentation);

/**
 * Called with each order-sign answer the page shows and the service that
 * gave it (and with none after a failed call): offers the step when the
 * coverage information asks for documentation and names a Questionnaire
 * (CRD resp-38).
 */
export function offerDocumentation(request, response, serviceId) {
  offered = undefined;
  shown = undefined;
  offerPriorAuthorization(undefined);
  container.replaceChildren();
  for (const id of ['finish-documentation', 'documentation-error', 'documentation-response-panel']) $(id).hidden = true;
  for (const id of ['documentation-status', 'documentation-result', 'documentation-intro']) $(id).textContent = '';
  $('documentation-notes').replaceChildren();
  delete section.dataset.state;
  const row = response && request?.hook === 'order-sign' ? coverageInformationRows(response).find((r) => r.questionnaire && r.assertionId && r.docNeeded.length > 0) : undefined;
  section.hidden = row === undefined;
  if (!row) return;
  offered = { request, response, serviceId, row };
  $('documentation-intro').textContent = `The coverage information for ${row.order} asks for ${row.docNeeded.join(', ')} documentation with the form ${row.questionnaire}. The step asks this service for the questionnaire package (DTR $questionnaire-package, context ${row.assertionId}) and shows the form pre-filled with what the order-sign decision proved; answer the rest as the clinician would.`;
  $('start-documentation').disabled = false;
}

async function startDocumentation() {
  const call = offered;
  if (!call) return;
  $('start-documentation').disabled = true;
  setState('loading', 'Fetching the questionnaire package…');
  const res = await fetch('/fhir/Questionnaire/$questionnaire-package', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    body: JSON.stringify(packageRequest(call.request, call.row)),
  });
  const body = await res.json().catch(() => undefined);
  if (call !== offered) return;
  if (!res.ok) return fail(res.status, body, res.statusText);
  const outcome = body?.parameter?.find((p) => p.name === 'outcome')?.resource;
  $('documentation-notes').replaceChildren(...(outcome?.issue ?? []).map((i) => Object.assign(document.createElement('li'), { textContent: `${i.severity}: ${i.details?.text ?? i.code}` })));
  const entries = body?.parameter?.find((p) => p.name === 'packagebundle')?.resource?.entry ?? [];
  const questionnaire = entries[0]?.resource;
  const draft = entries.find((e) => e.resource?.resourceType === 'QuestionnaireResponse')?.resource;
  if (questionnaire?.resourceType !== 'Questionnaire' || !draft) return fail(res.status, body, 'The answer holds no questionnaire package');

  setState('loading', 'Loading the form renderer…');
  await loadLForms();
  if (call !== offered) return;
  const stringItems = stringChoiceItems(questionnaire);
  const LForms = window.LForms;
  let form = LForms.Util.convertFHIRQuestionnaireToLForms(questionnaire, 'R4');
  form = LForms.Util.mergeFHIRDataIntoLForms('QuestionnaireResponse', mapAnswers(draft, stringItems, stringToCoding), form, 'R4');
  await LForms.Util.addFormToPage(form, container, { fhirVersion: 'R4' });
  shown = { call, draft, stringItems, author: call.request.context?.userId };
  $('finish-documentation').hidden = false;
  setState('form', `${questionnaire.title ?? questionnaire.url}: pre-filled from the order-sign decision; answers that came from it are marked in the QuestionnaireResponse (information-origin auto-server).`);
}

/** $questionnaire-package input (DTR 2.2): the Coverage and the order as the request carried them, and the assertion id as context. */
function packageRequest(request, row) {
  const resources = [...Object.values(request.prefetch ?? {}), request.context?.draftOrders].flatMap((r) => (r?.resourceType === 'Bundle' ? (r.entry ?? []).map((e) => e.resource) : [r]));
  const named = (reference) => resources.find((r) => r && `${r.resourceType}/${r.id}` === reference);
  const coverage = named(row.coverage);
  const order = named(row.order);
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'context', valueString: row.assertionId },
      ...(coverage ? [{ name: 'coverage', resource: coverage }] : []),
      ...(order ? [{ name: 'order', resource: order }] : []),
    ],
  };
}

function finishDocumentation() {
  if (!shown) return;
  const LForms = window.LForms;
  const produced = LForms.Util.getFormFHIRData('QuestionnaireResponse', 'R4', container);
  const missing = LForms.Util.checkValidity(container);
  const response = completedResponse(produced, shown, missing === null);
  $('documentation-response').textContent = JSON.stringify(response, null, 2);
  $('documentation-response-panel').hidden = false;
  $('documentation-response-panel').open = true;
  $('documentation-result').textContent =
    missing === null ? 'Every required item is answered: the QuestionnaireResponse is completed.' : `Still to answer: ${missing.length} item${missing.length === 1 ? '' : 's'} (${missing.join('; ')}). The QuestionnaireResponse stays in-progress.`;
  section.dataset.state = response.status;
  offerPriorAuthorization({ ...shown.call, questionnaireResponse: response });
}

/**
 * The DTR QuestionnaireResponse from what LHC-Forms produced. The renderer
 * keeps only items and answers, so the draft's id, profile, subject and
 * qr-coverage, qr-context and intendedUse extensions are put back; it says
 * "completed" whatever is missing, so the status follows its own validity
 * check; and it drops answer extensions, so every answer gets its DTR
 * information-origin again: the draft's (auto-server, with the evidence)
 * when the clinician left the pre-filled answer as it was, "override" when
 * they changed it, "manual" for their own answers, both naming the clinician
 * (dtrx-1).
 */
function completedResponse(produced, { draft, stringItems, author }, valid) {
  const drafted = new Map();
  forEachItem(draft.item, (item) => drafted.set(item.linkId, item.answer ?? []));
  const withOrigin = (linkId, answer) => {
    const before = drafted.get(linkId) ?? [];
    const same = before.find((a) => valueKey(a) === valueKey(answer));
    const origin = same ? undefined : { url: INFORMATION_ORIGIN_URL, extension: [{ url: 'source', valueCode: before.length > 0 ? 'override' : 'manual' }, ...(author ? [{ url: 'author', extension: [{ url: 'practitioner', valueReference: { reference: author } }] }] : [])] };
    return { ...answer, extension: same ? same.extension : [origin] };
  };
  const items = mapAnswers(produced, stringItems, codingToString).item ?? [];
  const restore = (list) =>
    list.map((item) => ({
      ...item,
      ...(item.answer ? { answer: item.answer.map((a) => ({ ...withOrigin(item.linkId, a), ...(a.item ? { item: restore(a.item) } : {}) })) } : {}),
      ...(item.item ? { item: restore(item.item) } : {}),
    }));
  return {
    resourceType: 'QuestionnaireResponse',
    id: draft.id,
    meta: draft.meta,
    extension: draft.extension,
    questionnaire: draft.questionnaire,
    status: valid ? 'completed' : 'in-progress',
    subject: draft.subject,
    authored: produced.authored ?? new Date().toISOString(),
    ...(author ? { author: { reference: author } } : {}),
    item: restore(items),
  };
}

/** An answer's value, to tell whether the clinician changed a pre-filled one (codings by system and code). */
function valueKey(answer) {
  const [type, value] = Object.entries(answer).find(([k]) => k.startsWith('value')) ?? [];
  return type === 'valueCoding' ? `${type}:${value.system}|${value.code}` : `${type}:${JSON.stringify(value)}`;
}

/** linkIds of the choice items whose options are strings: LHC-Forms reads and writes those answers as codings with a display only. */
function stringChoiceItems(questionnaire) {
  const out = new Set();
  const visit = (items) => {
    for (const item of items ?? []) {
      if (item.answerOption?.some((o) => o.valueString !== undefined)) out.add(item.linkId);
      visit(item.item);
    }
  };
  visit(questionnaire.item);
  return out;
}

const stringToCoding = (a) => (a.valueString !== undefined ? { ...withoutValue(a), valueCoding: { display: a.valueString } } : a);
const codingToString = (a) => (a.valueCoding && a.valueCoding.code === undefined ? { ...withoutValue(a), valueString: a.valueCoding.display } : a);
const withoutValue = (a) => Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith('value')));

/** A copy of the response with `convert` applied to the answers of the given items. */
function mapAnswers(response, linkIds, convert) {
  const visit = (items) =>
    items?.map((item) => ({
      ...item,
      ...(item.answer ? { answer: item.answer.map((a) => ({ ...(linkIds.has(item.linkId) ? convert(a) : a), ...(a.item ? { item: visit(a.item) } : {}) })) } : {}),
      ...(item.item ? { item: visit(item.item) } : {}),
    }));
  return { ...response, item: visit(response.item) };
}

function forEachItem(items, visit) {
  for (const item of items ?? []) {
    visit(item);
    for (const answer of item.answer ?? []) forEachItem(answer.item, visit);
    forEachItem(item.item, visit);
  }
}

function loadLForms() {
  lformsLoading ??= (async () => {
    // Before the page's own stylesheet, so that the page keeps its look where the two disagree.
    document.querySelector('link[href="/assets/preview.css"]').before(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: `${LFORMS}/styles.css` }));
    for (const file of LFORMS_SCRIPTS) await loadScript(`${LFORMS}/${file}`);
  })().catch((error) => {
    lformsLoading = undefined;
    throw error;
  });
  return lformsLoading;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src, async: false });
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error(`${src} did not load`)));
    document.head.append(script);
  });
}

function setState(state, status) {
  section.dataset.state = state;
  section.setAttribute('aria-busy', String(state === 'loading'));
  $('documentation-status').textContent = status;
}

function fail(status, body, statusText = '') {
  renderError($('documentation-error'), status, statusText, body);
  setState('error', status ? `The service answered ${status}.` : 'The step could not go on.');
  $('start-documentation').disabled = false;
}
