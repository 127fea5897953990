import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { assertChromiumInstalled, CHROMIUM_LAUNCH_OPTIONS } from '../support/browser.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildProcedure } from '../support/fhir-factories.js';
import { buildHookRequest } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp } from '../support/test-app.js';

/**
 * The card preview page in a real headless Chromium (Debian's, through
 * playwright-core), against the real app on an ephemeral port: what the page
 * shows must be what the hook answered.
 */
const SCENARIOS = ['eligible-mcl', 'eligible-b-all', 'prior-car-t', 'under-18', 'no-qualifying-diagnosis', 'rr-status-missing', 'outpatient', 'non-tecartus'];

let server: Server;
let baseUrl: string;
let browser: Browser;

before(async () => {
  assertChromiumInstalled();
  const { app } = createTestApp({ LOG_LEVEL: 'silent' });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

interface OpenPage {
  page: Page;
  context: BrowserContext;
  /** Console errors, page errors (CSP violations show here) and requests that left the service. */
  problems: string[];
}

async function openPage(options: { bypassCSP?: boolean } = {}): Promise<OpenPage> {
  const context = await browser.newContext({ bypassCSP: options.bypassCSP ?? false });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl)) problems.push(`request outside the service: ${r.url()}`);
  });
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, context, problems };
}

const isHookCall = (r: Response) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/cds-services/');

/** Runs `act`, captures the hook call it makes, and waits until the page has rendered that answer. */
async function hookCall(page: Page, act: () => Promise<unknown>) {
  const [response] = await Promise.all([page.waitForResponse(isHookCall), act()]);
  const requestBody = response.request().postDataJSON() as Record<string, unknown>;
  const body = (await response.json()) as Record<string, unknown>;
  // A string, so that it runs in the page (this project's TypeScript has no DOM types).
  const id = JSON.stringify(String(requestBody['hookInstance']));
  await page.waitForFunction(`document.getElementById('answer').dataset.hookInstance === ${id} && document.getElementById('answer').dataset.state !== 'loading'`);
  const serviceId = new URL(response.url()).pathname.split('/').pop()!;
  return { status: response.status(), serviceId, requestBody, body, headers: response.request().headers() };
}

interface RenderedCard {
  indicator: string;
  summary: string;
  detail: string;
  source: string;
  links: { text: string; href: string | null }[];
  overrideReasons: string[];
}

function renderedCards(page: Page): Promise<RenderedCard[]> {
  return page.$$eval('#cards article.card', (cards) =>
    cards.map((card) => ({
      indicator: card.getAttribute('data-indicator') ?? '',
      summary: card.querySelector('.card-summary')?.textContent ?? '',
      detail: card.querySelector('.card-detail')?.textContent ?? '',
      source: card.querySelector('.card-source')?.textContent ?? '',
      links: [...card.querySelectorAll('.card-links a')].map((a) => ({ text: a.textContent ?? '', href: a.getAttribute('href') })),
      overrideReasons: [...card.querySelectorAll('.override-reasons li')].map((li) => li.firstChild?.textContent ?? ''),
    })),
  );
}

function coverageCell(page: Page, order: string, field: string): Promise<string> {
  return page.$eval(`#coverage-table td[data-field="${field}"][data-order="${order}"]`, (td) => td.textContent ?? '');
}

/** Card markdown and rendered text compared as words: markup, escapes and layout whitespace removed. */
function words(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/^\s*- /gm, ' ')
    .replace(/[*_\\]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Hook JSON, read loosely: the checks themselves say what must be there. */
type Json = Record<string, any>;

/** Checks that the page shows exactly the cards and coverage information of the hook's JSON. */
async function assertPageShows(page: Page, body: Json): Promise<void> {
  const cards = (body['cards'] as Json[]) ?? [];
  const rendered = await renderedCards(page);
  assert.equal(rendered.length, cards.length, 'one rendered card per card in the answer');
  cards.forEach((card, i) => {
    const shown = rendered[i]!;
    assert.equal(shown.summary, card['summary']);
    assert.equal(shown.indicator, card['indicator']);
    assert.equal(words(shown.detail), words(card['detail'] ?? ''), `detail of card ${i}`);
    assert.match(shown.source, new RegExp(`${escapeRegExp(card['source']['label'])}.*${escapeRegExp(card['source']['topic']['display'])}`));
    assert.deepEqual(
      shown.links,
      ((card['links'] as Json[]) ?? []).map((l) => ({ text: l['label'], href: l['url'] })),
    );
    assert.deepEqual(
      shown.overrideReasons,
      ((card['overrideReasons'] as Json[]) ?? []).map((r) => r['display']),
    );
  });
  // Indicator colour: the card's class (and so its colour) follows the indicator.
  const classes = await page.$$eval('#cards article.card', (els) => els.map((e) => e.className));
  cards.forEach((card, i) => assert.ok(classes[i]!.split(' ').includes(`indicator-${card['indicator']}`)));
  if (cards.length === 0) assert.equal(await page.textContent('#cards'), 'No cards: the clinician sees nothing from this service.');

  const actions = (body['systemActions'] as Json[]) ?? [];
  for (const action of actions) {
    const order = `${action['resource']['resourceType']}/${action['resource']['id']}`;
    const info = coverageInformationFor(body, order)!;
    assert.equal(await coverageCell(page, order, 'covered'), info.covered);
    assert.equal(await coverageCell(page, order, 'pa-needed'), info.paNeeded ?? '—');
    assert.equal(await coverageCell(page, order, 'documentation'), info.docNeeded.length > 0 ? `${info.docNeeded.join(', ')} (${info.docPurpose.join(', ')})` : '—');
    assert.equal(await coverageCell(page, order, 'info-needed'), info.infoNeeded.join(', ') || '—');
    assert.equal(await coverageCell(page, order, 'assertion-id'), info.assertionId);
    assert.equal(await coverageCell(page, order, 'billing-code'), info.billingCodes.join(', '));
    const reasonCodes = await page.$$eval(`#coverage-table td[data-field="reasons"][data-order="${order}"] li`, (lis) => lis.map((li) => li.getAttribute('data-code')));
    assert.deepEqual(reasonCodes, info.reasons);
    assert.match(await page.$eval(`#coverage-table thead th[data-order="${order}"]`, (th) => th.textContent ?? ''), new RegExp(escapeRegExp(info.coverage)));
  }
  const columns = await page.$$eval('#coverage-table thead th[data-order]', (ths) => ths.length);
  assert.equal(columns, actions.length, 'one coverage column per coverage-information update');
  if (actions.length === 0) assert.equal(await page.textContent('#coverage-table tbody'), 'No coverage information in this answer.');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('Card preview page in Chromium: each scenario shows what the hook answered', () => {
  let open: OpenPage;
  before(async () => {
    open = await openPage();
  });
  after(async () => {
    await open.context.close();
  });

  for (const id of SCENARIOS) {
    it(`scenario ${id}: cards and coverage table match the hook's JSON`, async () => {
      const { page } = open;
      const call = await hookCall(page, () => page.click(`button[data-scenario="${id}"]`));
      assert.equal(call.status, 200);
      assert.equal(call.serviceId, 'order-sign-crd');
      assertAnswerConforms({ status: call.status, body: call.body }, call.serviceId, call.requestBody);
      assert.equal(await page.getAttribute(`button[data-scenario="${id}"]`, 'aria-pressed'), 'true');
      await assertPageShows(page, call.body);
      // The form shows the scenario's facts, and the request panel the request that was sent.
      assert.deepEqual(JSON.parse(await page.inputValue('#request-json')), call.requestBody);
    });
  }

  it('the page loads everything from the service and runs under its CSP without a violation', () => {
    assert.deepEqual(open.problems, []);
  });
});

describe('Card preview page in Chromium: editing, pasting, errors, raw JSON, token', () => {
  it('changing the birth date in the form and signing shows the under-18 card', async () => {
    const { page, context, problems } = await openPage();
    await hookCall(page, () => page.click('button[data-scenario="eligible-mcl"]'));
    const orderYear = Number((await page.inputValue('#orderDate')).slice(0, 4));
    await page.fill('#birthDate', `${orderYear - 15}-01-01`);
    const call = await hookCall(page, () => page.click('#evaluate'));
    assert.equal((call.requestBody['prefetch'] as Json)['patient']['birthDate'], `${orderYear - 15}-01-01`);
    await assertPageShows(page, call.body);
    assert.match((await renderedCards(page))[0]!.summary, /not covered under age 18/);
    assert.equal(await page.getAttribute('button[data-scenario="eligible-mcl"]', 'aria-pressed'), 'false', 'edited facts are no longer the scenario');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('changing diagnosis, clinical status, prior CAR-T, setting and refills reaches the request', async () => {
    const { page, context } = await openPage();
    await hookCall(page, () => page.click('button[data-scenario="eligible-mcl"]'));
    await page.fill('#diagnosisCode', 'C91.00');
    await page.selectOption('#clinicalStatus', 'active');
    await page.selectOption('#lineage', 'b-cell-precursor');
    await page.selectOption('#priorCarT', 'harvest-38225');
    await page.selectOption('#setting', 'outpatient');
    await page.fill('#refills', '1');
    const call = await hookCall(page, () => page.click('#evaluate'));
    const prefetch = call.requestBody['prefetch'] as Json;
    assert.equal(prefetch['conditions']['entry'][0]['resource']['code']['coding'][0]['code'], 'C91.00');
    assert.equal(prefetch['encounter']['class']['code'], 'AMB');
    assert.equal(prefetch['procedures']['entry'][0]['resource']['code']['coding'][0]['code'], '38225');
    const info = coverageInformationFor(call.body, 'MedicationRequest/preview-tecartus-order')!;
    assert.deepEqual(info.reasons, ['pa-required', 'possible-prior-car-t', 'rr-status-undocumented', 'repeat-dosing', 'outpatient-attestation']);
    await assertPageShows(page, call.body);
    await context.close();
  });

  it('a pasted CDS Hooks request is sent as written and its answer shown', async () => {
    const { page, context } = await openPage();
    const pasted = buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ id: 'p-38228' })] }) });
    await page.click('#request-panel summary');
    await page.fill('#request-json', JSON.stringify(pasted, null, 2));
    const call = await hookCall(page, () => page.click('#send-request'));
    assert.deepEqual(call.requestBody, pasted);
    assert.equal(coverageInformationFor(call.body, 'MedicationRequest/tecartus-order-1')!.covered, 'not-covered');
    await assertPageShows(page, call.body);
    await context.close();
  });

  it('a pasted order-select request goes to order-select-crd', async () => {
    const { page, context } = await openPage();
    const pasted = buildHookRequest({ hook: 'order-select' });
    await page.click('#request-panel summary');
    await page.fill('#request-json', JSON.stringify(pasted));
    const call = await hookCall(page, () => page.click('#send-request'));
    assert.equal(call.serviceId, 'order-select-crd');
    await assertPageShows(page, call.body);
    await context.close();
  });

  it('an invalid request shows the HTTP status and every OperationOutcome issue', async () => {
    const { page, context } = await openPage();
    await page.click('#request-panel summary');
    await page.fill('#request-json', JSON.stringify({ hook: 'order-sign', hookInstance: 'x', context: { patientId: 'p' } }));
    const call = await hookCall(page, () => page.click('#send-request'));
    assert.equal(call.status, 400);
    assert.ok(await page.isVisible('#error'));
    const heading = await page.textContent('#error h3');
    assert.match(heading!, /^HTTP 400/);
    const shown = await page.$$eval('#error li.issue', (lis) => lis.map((li) => li.textContent ?? ''));
    const issues = (call.body['issue'] as Json[]).map((i) => i['details']['text'] as string);
    assert.ok(issues.length >= 2);
    assert.equal(shown.length, issues.length);
    issues.forEach((text, i) => assert.ok(shown[i]!.includes(text), `${shown[i]} shows ${text}`));
    assert.equal(await page.$$eval('#cards article', (a) => a.length), 0, 'no cards from an error');
    await context.close();
  });

  it('a record missing prefetch with no fhirServer shows the 412 message', async () => {
    const { page, context } = await openPage();
    const pasted = buildHookRequest();
    delete (pasted['prefetch'] as Json)['conditions'];
    await page.click('#request-panel summary');
    await page.fill('#request-json', JSON.stringify(pasted));
    const call = await hookCall(page, () => page.click('#send-request'));
    assert.equal(call.status, 412);
    assert.match((await page.textContent('#error h3'))!, /^HTTP 412/);
    assert.match((await page.textContent('#error li.issue'))!, /did not prefetch \(conditions\) and the request has no fhirServer/);
    await context.close();
  });

  it('text that is not JSON is refused on the page, with no call made', async () => {
    const { page, context } = await openPage();
    let calls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/cds-services/')) calls += 1;
    });
    await page.click('#request-panel summary');
    await page.fill('#request-json', '{ "hook": ');
    await page.click('#send-request');
    await page.waitForSelector('#answer[data-state="error"]');
    assert.match((await page.textContent('#error'))!, /not valid JSON/);
    assert.equal(calls, 0);
    await context.close();
  });

  it('the raw response is shown on demand and is exactly the hook’s JSON', async () => {
    const { page, context } = await openPage();
    const call = await hookCall(page, () => page.click('button[data-scenario="prior-car-t"]'));
    assert.equal(await page.isVisible('#response-json'), false, 'hidden until asked for');
    await page.click('#raw-response summary');
    assert.ok(await page.isVisible('#response-json'));
    assert.deepEqual(JSON.parse((await page.textContent('#response-json'))!), call.body);
    assert.equal(await page.isVisible('#request-json'), false, 'the request is hidden until asked for');
    await page.click('#request-panel summary');
    assert.deepEqual(JSON.parse(await page.inputValue('#request-json')), call.requestBody);
    await context.close();
  });

  it('a pasted bearer token is sent as the Authorization header, and none is sent without one', async () => {
    const { page, context } = await openPage();
    const without = await hookCall(page, () => page.click('button[data-scenario="eligible-mcl"]'));
    assert.equal(without.headers['authorization'], undefined);
    await page.click('#auth-panel summary');
    await page.fill('#bearer-token', 'eyJhbGciOiJFUzM4NCJ9.e30.c2ln');
    const withToken = await hookCall(page, () => page.click('button[data-scenario="eligible-mcl"]'));
    assert.equal(withToken.headers['authorization'], 'Bearer eyJhbGciOiJFUzM4NCJ9.e30.c2ln');
    await context.close();
  });
});

/** A hostile answer: every text field tries to run script, every URL is javascript:. */
function hostileResponse(): Json {
  return {
    cards: [
      {
        uuid: '9a4b6a1e-5d7b-4b43-9a71-4a3f0a6f0c11',
        summary: '<img src=x onerror="window.__xss=\'summary\'">Summary',
        indicator: 'critical',
        detail: [
          'Before <script>window.__xss = "script"</script> after.',
          '<img src="x" onerror="window.__xss=\'img\'">',
          '<svg onload="window.__xss=\'svg\'"></svg>',
          '<iframe src="javascript:window.__xss=\'iframe\'"></iframe>',
          '[markdown javascript link](javascript:window.__xss=\'md-link\')',
          '[spaced javascript link]( JaVaScRiPt:window.__xss=\'md-link-2\')',
          '<a href="javascript:window.__xss=\'a\'">html javascript link</a>',
          '<a href="data:text/html,<script>window.__xss=1</script>">data link</a>',
          '<form action="javascript:window.__xss=\'form\'"><button>submit</button></form>',
          '<div style="background:url(javascript:window.__xss=1)" onclick="window.__xss=\'div\'">div</div>',
          '[a safe link](https://example.org/safe)',
        ].join('\n\n'),
        source: { label: '<b onmouseover="window.__xss=\'source\'">Source</b>', url: 'javascript:window.__xss=\'source-url\'', topic: { system: 'http://x', code: 'guideline', display: '<i>Guideline</i>' } },
        links: [
          { label: 'javascript link', url: 'javascript:window.__xss=\'links\'', type: 'absolute' },
          { label: 'vbscript link', url: 'vbscript:msgbox(1)', type: 'absolute' },
          { label: 'safe link', url: 'https://example.org/link', type: 'absolute' },
        ],
        suggestions: [{ label: '<img src=x onerror="window.__xss=\'suggestion\'">', uuid: 's1', actions: [{ type: 'create', description: '<script>window.__xss=1</script>', resource: { resourceType: 'ServiceRequest', id: 'x' } }] }],
        selectionBehavior: 'any',
        overrideReasons: [{ system: 'http://x', code: 'r', display: '<script>window.__xss="reason"</script>' }],
      },
    ],
    systemActions: [
      {
        type: 'update',
        description: '<img src=x onerror="window.__xss=\'action\'">',
        resource: {
          resourceType: 'MedicationRequest',
          id: 'evil',
          extension: [
            {
              url: 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information',
              extension: [
                { url: 'coverage', valueReference: { reference: '<img src=x onerror="window.__xss=\'coverage\'">' } },
                { url: 'covered', valueCode: '<script>window.__xss=1</script>' },
                { url: 'reason', valueCodeableConcept: { coding: [{ code: 'x', display: '<img src=x onerror="window.__xss=\'reason\'">' }], text: '<script>1</script>' } },
                { url: 'coverage-assertion-id', valueString: '<img src=x onerror="window.__xss=\'id\'">' },
              ],
            },
          ],
        },
      },
    ],
  };
}

describe('Card preview page in Chromium: nothing in a response can run script', () => {
  for (const bypassCSP of [true, false]) {
    it(`markdown with <script>, event handlers and javascript: links is not executed (${bypassCSP ? 'sanitiser alone, CSP bypassed' : 'with the page CSP'})`, async () => {
      const { page, context } = await openPage({ bypassCSP });
      const dialogs: string[] = [];
      page.on('dialog', async (d) => {
        dialogs.push(d.message());
        await d.dismiss();
      });
      await page.route('**/cds-services/*', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(hostileResponse()) }));
      await hookCall(page, () => page.click('button[data-scenario="eligible-mcl"]'));

      const dom = await page.$eval('#answer', (answer) => {
        const all = [...answer.querySelectorAll('*')];
        return {
          scripts: answer.querySelectorAll('script, iframe, object, embed, svg, img, form, style').length,
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
          styles: all.filter((e) => e.hasAttribute('style')).length,
          hrefs: [...answer.ownerDocument.body.querySelectorAll('[href], [src], [action]')].map((e) => e.getAttribute('href') ?? e.getAttribute('src') ?? e.getAttribute('action') ?? ''),
          summary: answer.querySelector('.card-summary')?.textContent,
          detailLinks: [...answer.querySelectorAll('.card-detail a[href]')].map((a) => a.getAttribute('href')),
          cardLinks: [...answer.querySelectorAll('.card-links a[href]')].map((a) => a.getAttribute('href')),
        };
      });
      assert.equal(dom.scripts, 0, 'no script, iframe, svg, img or form from the response in the DOM');
      assert.deepEqual(dom.handlers, []);
      assert.equal(dom.styles, 0);
      const unsafe = dom.hrefs.filter((h) => !/^(https?:|\/)/i.test(h.trim()));
      assert.deepEqual(unsafe, [], 'no javascript:, data: or vbscript: URL anywhere in the page body');
      assert.equal(dom.summary, '<img src=x onerror="window.__xss=\'summary\'">Summary', 'the summary is shown as text');
      assert.deepEqual(dom.detailLinks, ['https://example.org/safe'], 'the http(s) link in the markdown stays a link');
      assert.deepEqual(dom.cardLinks, ['https://example.org/link']);
      assert.match((await page.textContent('.card-links'))!, /javascript link \(link not followed\)/);

      const pageUrl = page.url();
      const nothingRan = async (when: string) => {
        await page.waitForTimeout(200);
        assert.equal(page.url(), pageUrl, `${when}: the page did not navigate`);
        assert.equal(await page.evaluate('typeof window.__xss'), 'undefined', `${when}: no script from the response ran`);
        assert.deepEqual(dialogs, [], `${when}: no dialog opened`);
      };
      await nothingRan('on rendering');
      // Fire the events an inline handler or a javascript: URL would wait for on
      // everything in the answer (links that would leave the page aside)...
      await page.evaluate(`for (const e of document.querySelectorAll('#answer *')) {
        if (e.matches('a[href^="http"]')) continue;
        for (const type of ['mouseover', 'focus', 'load', 'error', 'click']) e.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true }));
      }`);
      await nothingRan('after events on every element');
      // ...and really click what is left of the javascript: links.
      for (const handle of await page.$$('#answer .unlinked, #answer .card-detail a:not([href])')) await handle.click({ timeout: 1000 });
      await nothingRan('after clicking the unlinked labels');
      await context.close();
    });
  }
});
