// The card preview page: scenarios and a facts form build a CDS Hooks request
// (POST /ui/requests), which is sent to this service's real hook endpoint and
// its answer rendered (render-response.js). No inline script or handlers: the
// page runs under a CSP of script-src 'self'.
import { offerDocumentation } from './documentation.js';
import { renderCard, renderCoverageTable, renderError, renderOtherActions } from './render-response.js';

const $ = (id) => document.getElementById(id);
const form = $('facts');
const requestText = $('request-json');
const answer = $('answer');
let services = [];
let scenarios = [];
let diagnoses = [];
/** Each call gets a number; an answer that arrives after a newer call started is dropped. */
let callNumber = 0;

function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

async function init() {
  const res = await fetch('/ui/scenarios.json', { headers: { accept: 'application/json' } });
  if (!res.ok) {
    renderError($('error'), res.status, res.statusText, await readBody(res));
    return;
  }
  const data = await res.json();
  services = data.services;
  scenarios = data.scenarios;
  diagnoses = data.choices.diagnoses;

  $('diagnosis-choices').replaceChildren(...diagnoses.map((d) => option(d.code, `${d.display} — ${d.policyReading}`)));
  $('clinicalStatus').replaceChildren(option('', '(none recorded)'), ...data.choices.clinicalStatuses.map((s) => option(s, s)));
  $('lineage').replaceChildren(...data.choices.lineages.map((c) => option(c.value, c.label)));
  $('priorCarT').replaceChildren(...data.choices.priorCarT.map((c) => option(c.value, c.label)));
  $('order').replaceChildren(...data.choices.orders.map((c) => option(c.value, c.label)));
  $('hook').replaceChildren(...services.map((s) => option(s.hook, `${s.hook} (${s.id})`)));

  const list = $('scenarios');
  list.replaceChildren(
    ...scenarios.map((s) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'scenario';
      b.dataset.scenario = s.id;
      b.textContent = s.title;
      b.title = s.description;
      b.addEventListener('click', () => pickScenario(s));
      return b;
    }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    markScenario(undefined);
    evaluateFacts();
  });
  $('diagnosisCode').addEventListener('input', showDiagnosisReading);
  $('send-request').addEventListener('click', sendRequestAsWritten);
  document.body.dataset.ready = 'true';
}

function markScenario(id) {
  for (const b of document.querySelectorAll('button.scenario')) b.setAttribute('aria-pressed', String(b.dataset.scenario === id));
  const s = scenarios.find((x) => x.id === id);
  $('scenario-description').textContent = s ? s.description : 'Your own facts.';
}

function pickScenario(scenario) {
  markScenario(scenario.id);
  for (const [name, value] of Object.entries(scenario.facts)) {
    const field = form.elements.namedItem(name);
    if (field) field.value = String(value);
  }
  showDiagnosisReading();
  return evaluateFacts();
}

function showDiagnosisReading() {
  const code = $('diagnosisCode').value.trim().toUpperCase().replace('.', '');
  const known = diagnoses.find((d) => d.code.replace('.', '') === code);
  $('diagnosis-reading').textContent = code === '' ? 'No diagnosis on record.' : known ? `${known.display}: ${known.policyReading}.` : 'A code the page does not list; the policy decides.';
}

function readFacts() {
  const facts = {};
  for (const name of ['hook', 'crdVersion', 'orderDate', 'birthDate', 'diagnosisCode', 'clinicalStatus', 'lineage', 'priorCarT', 'setting', 'refills', 'order']) {
    facts[name] = form.elements.namedItem(name).value;
  }
  facts.refills = Number(facts.refills || 0);
  // Each signing is a new order, as in an EHR: a prior authorization approved for one (PAS step) stays with it.
  facts.orderId = `preview-order-${randomHex(4)}`;
  return facts;
}

function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function evaluateFacts() {
  const number = ++callNumber;
  setState('loading');
  const res = await fetch('/ui/requests', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(readFacts()) });
  if (number !== callNumber) return;
  if (!res.ok) {
    showFailure(res.status, res.statusText, await readBody(res));
    return;
  }
  const request = await res.json();
  requestText.value = JSON.stringify(request, null, 2);
  await sendRequest(request, number);
}

function sendRequestAsWritten() {
  const number = ++callNumber;
  let request;
  try {
    request = JSON.parse(requestText.value);
  } catch (error) {
    showFailure(0, '', `The request is not valid JSON: ${error.message}`);
    return;
  }
  markScenario(undefined);
  return sendRequest(request, number);
}

/** The service for the request's hook (order-sign unless the request says order-select). */
function serviceFor(request) {
  const hook = request && typeof request === 'object' ? request.hook : undefined;
  return (services.find((s) => s.hook === hook) ?? services.find((s) => s.hook === 'order-sign') ?? services[0]).id;
}

async function sendRequest(request, number) {
  setState('loading');
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const token = $('bearer-token').value.trim();
  if (token) headers.authorization = `Bearer ${token.replace(/^Bearer\s+/i, '')}`;
  const serviceId = serviceFor(request);
  const started = performance.now();
  let res;
  try {
    res = await fetch(`/cds-services/${encodeURIComponent(serviceId)}`, { method: 'POST', headers, body: JSON.stringify(request) });
  } catch (error) {
    if (number === callNumber) showFailure(0, '', `The service could not be reached: ${error.message}`);
    return;
  }
  const body = await readBody(res);
  if (number !== callNumber) return;
  const ms = Math.round(performance.now() - started);
  answer.dataset.hookInstance = request && typeof request === 'object' ? String(request.hookInstance ?? '') : '';
  $('response-json').textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  if (!res.ok) {
    showFailure(res.status, res.statusText, body);
    return;
  }
  $('error').hidden = true;
  const cards = Array.isArray(body?.cards) ? body.cards : [];
  const updates = Array.isArray(body?.systemActions) ? body.systemActions.length : 0;
  $('call-status').textContent = `${res.status} from ${serviceId} in ${ms} ms: ${cards.length} card${cards.length === 1 ? '' : 's'}, ${updates} system action${updates === 1 ? '' : 's'}.`;
  $('cards').replaceChildren(...(cards.length > 0 ? cards.map(renderCard) : [emptyNote()]));
  renderCoverageTable($('coverage-table'), body);
  renderOtherActions($('other-actions'), body);
  offerDocumentation(request, body, serviceId);
  setState('done');
}

function emptyNote() {
  const p = document.createElement('p');
  p.className = 'no-cards';
  p.textContent = 'No cards: the clinician sees nothing from this service.';
  return p;
}

function showFailure(status, statusText, body) {
  $('call-status').textContent = status ? `The service answered ${status}.` : 'The call was not made.';
  renderError($('error'), status, statusText, body);
  $('cards').replaceChildren();
  renderCoverageTable($('coverage-table'), {});
  $('other-actions').replaceChildren();
  offerDocumentation(undefined, undefined);
  if (status === 0) $('response-json').textContent = '';
  setState('error');
}

function setState(state) {
  answer.dataset.state = state;
  answer.setAttribute('aria-busy', String(state === 'loading'));
}

async function readBody(res) {
  const raw = await res.text();
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

init().catch((error) => showFailure(0, '', `The page could not start: ${error.message}`));
