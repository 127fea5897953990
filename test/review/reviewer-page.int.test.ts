import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { assertChromiumInstalled, CHROMIUM_LAUNCH_OPTIONS } from '../support/browser.js';
import { CLEAN_ANSWERS, claimResponseOf, completeForm, decisionsOf, pasRequestFor, signAndFetchForm, submit } from '../support/pas-flow.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { REVIEWER, reviewersFile } from '../support/reviewers.js';
import { createTestApp, TEST_CALL_TIME, type TestApp } from '../support/test-app.js';

/**
 * The reviewer's page in a real headless Chromium against the real app on an
 * ephemeral port: sign in, the queue by deadline with an overdue request
 * flagged, one request with its criteria, evidence and answers, a denial with
 * reasons and a note, an approval. Few page loads: the machine is slow.
 */
const T0 = new Date(TEST_CALL_TIME).getTime();
const HOUR = 3_600_000;

let t: TestApp;
let server: Server;
let baseUrl: string;
let browser: Browser;
let clock = T0;
let standardId: string;
let expeditedId: string;

/** A pended request (the form says tocilizumab is not available), received at the clock's time. */
async function pended(priority: 'standard' | 'expedited'): Promise<string> {
  const signed = await signAndFetchForm(t.app, eligibleMantleCellRecord());
  const res = await submit(t.app, pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'tocilizumab-available': false }), { priority }));
  assert.deepEqual(decisionsOf(res.body).get(1), ['A4']);
  return claimResponseOf(res.body).id!;
}

before(async () => {
  assertChromiumInstalled();
  t = createTestApp({ REVIEWERS_FILE: await reviewersFile(), LOG_LEVEL: 'silent' }, { now: () => new Date(clock) });
  clock = T0 + 10 * HOUR;
  standardId = await pended('standard');
  clock = T0 + 50 * HOUR;
  expeditedId = await pended('expedited');
  // Now the expedited request (due T0 + 74 h) is 2 hours overdue; the standard one (due T0 + 82 h) has 6 hours left.
  clock = T0 + 76 * HOUR;
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** Console errors, page errors, CSP violations and requests that left the service. */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(baseUrl)) problems.push(`request outside the service: ${r.url()}`);
  });
  await page.exposeFunction('reportCspViolation', (v: string) => problems.push(`CSP violation: ${v}`));
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportCspViolation(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline')))`);
  return problems;
}

const queueIds = (page: Page) => page.$$eval('#queue tbody tr', (rows) => rows.map((r) => r.getAttribute('data-request-id')));

describe("The reviewer's page in Chromium", () => {
  it('sign in; the queue by deadline with the overdue request flagged; open it; see criteria, evidence and answers; deny with reasons and a note; it leaves the queue; approve the other', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems = await watch(page);

    await page.goto(`${baseUrl}/review`);
    assert.equal(new URL(page.url()).pathname, '/review/login', 'sent to sign in');
    await page.fill('input[name="username"]', REVIEWER.username);
    await page.fill('input[name="password"]', REVIEWER.password);
    await Promise.all([page.waitForURL(`${baseUrl}/review`), page.click('form.login button[type="submit"]')]);
    assert.match((await page.textContent('#signed-in-as')) ?? '', /Signed in as rnurse \(reviewer\)/);

    assert.deepEqual(await queueIds(page), [expeditedId, standardId], 'soonest deadline first');
    const overdue = page.locator(`#queue tr[data-request-id="${expeditedId}"]`);
    assert.equal(await overdue.getAttribute('class'), 'overdue');
    assert.match((await overdue.locator('.time-left').textContent()) ?? '', /Overdue\s+overdue by 2 h/);
    assert.match((await page.locator(`#queue tr[data-request-id="${standardId}"] .time-left`).textContent()) ?? '', /^\s*6 h left\s*$/);

    await Promise.all([page.waitForURL(`${baseUrl}/review/requests/${expeditedId}`), overdue.locator('a').click()]);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator('#criteria tr[data-criterion="diagnosis"]').getAttribute('data-outcome'), 'proven-by-record');
    assert.match((await page.locator('#criteria tr[data-criterion="diagnosis"] li.evidence').first().textContent()) ?? '', /^Condition\//, 'the evidence the criterion rests on');
    assert.match((await page.locator('#criteria tr[data-criterion="required-answer"][data-outcome="open"]').textContent()) ?? '', /Tocilizumab is available/);
    assert.match((await page.locator('#answers tr[data-link-id="tocilizumab-available"]').textContent()) ?? '', /No/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#answers a.download')]);
    assert.equal(download.suggestedFilename(), 'pathology.pdf');
    assert.match((await page.textContent('#crd')) ?? '', /Determination:/);

    // A denial needs a reason: the page says so before anything is sent.
    await page.fill('#deny-form textarea[name="note"]', 'Tocilizumab must be available on site before the infusion.');
    await page.click('#deny-form button[type="submit"]');
    assert.equal(new URL(page.url()).pathname, `/review/requests/${expeditedId}`, 'not sent without a reason');
    await page.check('#deny-form input[value="documentation-insufficient"]');
    await page.check('#deny-form input[value="outpatient-not-attested"]');
    await Promise.all([page.waitForURL(/\/review\?decided=/), page.click('#deny-form button[type="submit"]')]);
    assert.match((await page.textContent('#flash')) ?? '', new RegExp(`Request ${expeditedId.slice(0, 8)} denied`));
    assert.deepEqual(await queueIds(page), [standardId], 'the denied request left the queue');
    const denied = await t.store.paRequests().find(expeditedId);
    assert.equal(denied?.status, 'not-certified');
    assert.equal(denied?.decidedBy, REVIEWER.username);

    await Promise.all([page.waitForURL(`${baseUrl}/review/requests/${standardId}`), page.click(`#queue tr[data-request-id="${standardId}"] a`)]);
    await page.fill('#approve-form textarea[name="note"]', 'Tocilizumab availability confirmed with the pharmacy.');
    await Promise.all([page.waitForURL(/\/review\?decided=/), page.click('#approve-form button[type="submit"]')]);
    assert.match((await page.textContent('#flash')) ?? '', /approved/);
    assert.match((await page.textContent('main')) ?? '', /No request is waiting\./);
    assert.equal((await t.store.paRequests().find(standardId))?.status, 'certified');

    assert.deepEqual(problems, []);
    await context.close();
  });
});
