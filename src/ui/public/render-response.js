// Renders a CDS Hooks response the way an EHR shows it. Everything in a
// response is untrusted: text goes in through textContent, card markdown
// through marked and then DOMPurify (returned as a DOM fragment, never as an
// HTML string), and only absolute http(s) URLs become links.
import { marked } from './vendor/marked.esm.js';
import DOMPurify from './vendor/purify.es.mjs';

const COVERAGE_INFORMATION_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const INDICATORS = new Set(['info', 'warning', 'critical']);

/** Markdown elements a card detail may use (GitHub-flavoured markdown without images or raw HTML widgets). */
const MARKDOWN_TAGS = ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td'];

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  // CDS Hooks cards come from a remote service: a link is followed only when it is absolute http(s).
  const href = node.getAttribute('href');
  if (httpUrl(href) === undefined) {
    node.removeAttribute('href');
    return;
  }
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', 'noopener noreferrer');
});

/** The URL when it is an absolute http(s) URL, else undefined. */
export function httpUrl(value) {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Card markdown as a sanitised DOM fragment. */
export function markdownFragment(markdown) {
  const html = marked.parse(String(markdown ?? ''), { async: false, gfm: true });
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS: MARKDOWN_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'align'],
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A link when the URL is absolute http(s); otherwise the label as text, saying why. */
function safeLink(label, url) {
  const href = httpUrl(url);
  if (href === undefined) return el('span', { class: 'unlinked', title: 'Not shown as a link: not an absolute http(s) URL' }, String(label ?? url ?? ''), ' (link not followed)');
  return el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, String(label ?? href));
}

function text(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function codingText(coding) {
  if (!coding || typeof coding !== 'object') return '';
  const display = text(coding.display);
  const code = text(coding.code);
  return display && code ? `${display} (${code})` : display || code;
}

/** One card: indicator colour, summary, markdown detail, source, links, suggestions, override reasons. */
export function renderCard(card, index) {
  const raw = card && typeof card === 'object' ? card : {};
  const indicator = INDICATORS.has(raw.indicator) ? raw.indicator : 'unknown';
  const article = el('article', { class: `card indicator-${indicator}`, 'data-indicator': text(raw.indicator) || 'missing', 'data-card-index': index });
  article.append(
    el('header', { class: 'card-header' }, el('span', { class: 'indicator-badge' }, indicator === 'unknown' ? `indicator ${text(raw.indicator) || 'missing'}` : indicator), el('h3', { class: 'card-summary' }, text(raw.summary))),
  );
  if (raw.detail !== undefined) {
    const detail = el('div', { class: 'card-detail' });
    detail.append(markdownFragment(text(raw.detail)));
    article.append(detail);
  }

  const source = raw.source && typeof raw.source === 'object' ? raw.source : {};
  const topic = source.topic && typeof source.topic === 'object' ? codingText(source.topic) : '';
  article.append(
    el(
      'p',
      { class: 'card-source' },
      'Source: ',
      source.url !== undefined ? safeLink(text(source.label), source.url) : el('span', { class: 'source-label' }, text(source.label)),
      topic ? el('span', { class: 'source-topic' }, ` · ${topic}`) : undefined,
    ),
  );

  const links = Array.isArray(raw.links) ? raw.links : [];
  if (links.length > 0) {
    const list = el('ul', { class: 'card-links' });
    for (const link of links) {
      const l = link && typeof link === 'object' ? link : {};
      list.append(el('li', {}, safeLink(text(l.label), l.url), el('span', { class: 'link-type' }, l.type === 'smart' ? ' (SMART app: launch not simulated)' : '')));
    }
    article.append(el('div', { class: 'card-section' }, el('h4', {}, 'Links'), list));
  }

  const suggestions = Array.isArray(raw.suggestions) ? raw.suggestions : [];
  if (suggestions.length > 0) {
    const list = el('ul', { class: 'card-suggestions' });
    for (const suggestion of suggestions) {
      const s = suggestion && typeof suggestion === 'object' ? suggestion : {};
      const actions = el('ul', { class: 'suggestion-actions' });
      for (const action of Array.isArray(s.actions) ? s.actions : []) {
        const a = action && typeof action === 'object' ? action : {};
        const target = a.resource && typeof a.resource === 'object' ? `${text(a.resource.resourceType)}/${text(a.resource.id)}` : text(a.resourceId);
        actions.append(el('li', {}, `${text(a.type)} ${target}`.trim(), a.description ? `: ${text(a.description)}` : ''));
      }
      list.append(
        el(
          'li',
          {},
          el('button', { type: 'button', class: 'suggestion', disabled: '' }, text(s.label)),
          s.isRecommended === true ? el('span', { class: 'recommended' }, ' recommended') : undefined,
          actions.childElementCount > 0 ? actions : undefined,
        ),
      );
    }
    article.append(el('div', { class: 'card-section' }, el('h4', {}, `Suggestions${raw.selectionBehavior ? ` (${text(raw.selectionBehavior)})` : ''}`), list));
  }

  const reasons = Array.isArray(raw.overrideReasons) ? raw.overrideReasons : [];
  if (reasons.length > 0) {
    const list = el('ul', { class: 'override-reasons' });
    for (const reason of reasons) list.append(el('li', {}, text(reason?.display) || text(reason?.code), reason?.code ? el('code', {}, text(reason.code)) : undefined));
    article.append(el('div', { class: 'card-section' }, el('h4', {}, 'Override reasons'), list));
  }
  return article;
}

/** The coverage-information extensions of the systemActions, read back as plain values. */
export function coverageInformationRows(response) {
  const rows = [];
  for (const action of Array.isArray(response?.systemActions) ? response.systemActions : []) {
    const resource = action?.resource;
    if (!resource || typeof resource !== 'object') continue;
    for (const ext of Array.isArray(resource.extension) ? resource.extension : []) {
      if (ext?.url !== COVERAGE_INFORMATION_URL) continue;
      const subs = Array.isArray(ext.extension) ? ext.extension : [];
      const all = (url) => subs.filter((s) => s?.url === url);
      const codes = (url) => all(url).map((s) => text(s.valueCode)).filter(Boolean);
      const contact = all('contact').map((c) => {
        const points = c.valueContactPoint ? [c.valueContactPoint] : Array.isArray(c.valueContactDetail?.telecom) ? c.valueContactDetail.telecom : [];
        const name = text(c.valueContactDetail?.name);
        return [name, ...points.map((p) => `${text(p?.system)} ${text(p?.value)}`.trim())].filter(Boolean).join(': ');
      });
      rows.push({
        order: `${text(resource.resourceType)}/${text(resource.id)}`,
        description: text(action.description),
        coverage: text(all('coverage')[0]?.valueReference?.reference),
        covered: codes('covered').join(', '),
        paNeeded: codes('pa-needed').join(', '),
        satisfiedPaId: text(all('satisfied-pa-id')[0]?.valueString),
        docNeeded: codes('doc-needed'),
        docPurpose: codes('doc-purpose'),
        infoNeeded: codes('info-needed').join(', '),
        reasons: all('reason').map((r) => {
          const coding = Array.isArray(r.valueCodeableConcept?.coding) ? r.valueCodeableConcept.coding[0] : undefined;
          return { code: text(coding?.code), display: text(coding?.display) || text(coding?.code), text: text(r.valueCodeableConcept?.text) };
        }),
        billingCodes: all('billingCode').map((b) => text(b.valueCoding?.code)).filter(Boolean),
        date: text(all('date')[0]?.valueDate),
        contact: contact.join('; '),
        assertionId: text(all('coverage-assertion-id')[0]?.valueString),
        questionnaire: text(all('questionnaire')[0]?.valueCanonical),
      });
    }
  }
  return rows;
}

const COVERAGE_FIELDS = [
  ['covered', 'Covered'],
  ['pa-needed', 'PA needed'],
  ['documentation', 'Documentation'],
  ['info-needed', 'Info needed'],
  ['reasons', 'Reasons'],
  ['billing-code', 'Billing code'],
  ['date', 'Date'],
  ['contact', 'Contact'],
  ['assertion-id', 'Coverage assertion id'],
  ['action', 'System action'],
];

/**
 * The coverage information as a table with one column per order and
 * coverage, and one row per field, so that long values stay readable.
 */
export function renderCoverageTable(table, response) {
  const rows = coverageInformationRows(response);
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Field'));
  for (const row of rows) head.append(el('th', { scope: 'col', 'data-order': row.order }, row.order, el('br'), el('span', { class: 'coverage-ref' }, `on ${row.coverage}`)));
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  if (rows.length === 0) {
    body.append(el('tr', { class: 'empty' }, el('td', { colspan: 2 }, 'No coverage information in this answer.')));
    return;
  }
  for (const [field, label] of COVERAGE_FIELDS) {
    const tr = el('tr', {}, el('th', { scope: 'row' }, label));
    for (const row of rows) tr.append(el('td', { 'data-field': field, 'data-order': row.order, class: field === 'covered' ? `covered covered-${row.covered.replace(/[^a-z-]/g, '')}` : undefined }, coverageCell(field, row)));
    body.append(tr);
  }
}

function coverageCell(field, row) {
  switch (field) {
    case 'covered':
      return row.covered;
    case 'pa-needed':
      return row.paNeeded || '—';
    case 'documentation':
      return row.docNeeded.length > 0 ? `${row.docNeeded.join(', ')}${row.docPurpose.length > 0 ? ` (${row.docPurpose.join(', ')})` : ''}` : '—';
    case 'info-needed':
      return row.infoNeeded || '—';
    case 'reasons': {
      const list = el('ul', { class: 'reasons' });
      for (const r of row.reasons) list.append(el('li', { 'data-code': r.code }, el('strong', {}, r.display), r.text ? `: ${r.text}` : ''));
      return list;
    }
    case 'billing-code':
      return row.billingCodes.join(', ');
    case 'date':
      return row.date;
    case 'contact':
      return row.contact;
    case 'assertion-id':
      return el('code', {}, row.assertionId);
    case 'action':
      return row.description;
    default:
      return '';
  }
}

/** System actions other than coverage information (shown as a list; an EHR would apply them). */
export function renderOtherActions(list, response) {
  list.replaceChildren();
  for (const action of Array.isArray(response?.systemActions) ? response.systemActions : []) {
    const hasCoverageInfo = Array.isArray(action?.resource?.extension) && action.resource.extension.some((e) => e?.url === COVERAGE_INFORMATION_URL);
    if (hasCoverageInfo) continue;
    const target = action?.resource ? `${text(action.resource.resourceType)}/${text(action.resource.id)}` : text(action?.resourceId);
    list.append(el('li', {}, `System action: ${text(action?.type)} ${target}`, action?.description ? `: ${text(action.description)}` : ''));
  }
}

/** An HTTP error answer: the OperationOutcome's issues, or the body as text. */
export function renderError(container, status, statusText, body) {
  container.replaceChildren();
  container.hidden = false;
  container.append(el('h3', {}, status ? `HTTP ${status}${statusText ? ` ${statusText}` : ''}` : 'The call failed'));
  if (body && typeof body === 'object' && body.resourceType === 'OperationOutcome' && Array.isArray(body.issue)) {
    const list = el('ul', { class: 'issues' });
    for (const issue of body.issue) {
      const where = Array.isArray(issue?.expression) && issue.expression.length > 0 ? ` (at ${issue.expression.map(text).join(', ')})` : '';
      list.append(el('li', { class: 'issue' }, el('span', { class: 'issue-code' }, `${text(issue?.severity)} ${text(issue?.code)}`.trim()), ': ', text(issue?.details?.text) || text(issue?.diagnostics) || 'no details', where));
    }
    container.append(list);
  } else if (body !== undefined) {
    container.append(el('pre', {}, (typeof body === 'string' ? body : JSON.stringify(body, null, 2)).slice(0, 4000)));
  }
  if (status === 401 || status === 403) {
    container.append(el('p', { class: 'hint' }, 'The service requires a CDS Hooks JWT: paste a valid token under Authorization and send again.'));
  }
}
