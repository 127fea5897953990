import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Bundle } from 'fhir/r4.js';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { summarizePaRequests } from '../../src/pas/pa-report.js';
import { createDecisionStore } from '../../src/store/create-decision-store.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { assertChromiumInstalled, CHROMIUM_LAUNCH_OPTIONS } from '../support/browser.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildTecartusOrder } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { NotificationReceiver } from '../support/notification-receiver.js';
import { pasInquireResponseViolations, pasNotificationViolations } from '../support/pas-conformance.js';
import { CLEAN_ANSWERS, claimResponseOf, completeForm, decisionsOf, pasRequestFor, signAndFetchForm, submit } from '../support/pas-flow.js';
import { createNotificationTestApp, type NotificationTestApp } from '../support/pas-notification-app.js';
import { buildPasSubscription, HOSPITAL_A, HOSPITAL_B, token } from '../support/pas-subscriptions.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { REVIEWER, reviewersFile } from '../support/reviewers.js';
import { postHook, TEST_CALL_TIME } from '../support/test-app.js';

/**
 * A simulated day of prior authorization (issue 13, item 8): two provider
 * organisations submit; clean requests are certified at once, requests with
 * a gap are pended; the service restarts with requests waiting; a reviewer
 * decides them in Chromium; the service restarts again before the
 * notifications go out; each organisation's endpoint receives its own
 * decision and nothing else; $inquire agrees with the queue throughout; a
 * re-sign of the approved order is satisfied; the report counts the day.
 * One SQLite file is the store across the restarts.
 */
type Organisation = { system: string; value: string };
const UNMAPPED_X12_886 = /reviewAction\.reasonCode must be coded in https:\/\/codesystem\.x12\.org\/external\/886$/;
interface Submitted {
  readonly bundle: Bundle;
  readonly requestId: string;
  readonly order: string;
}

let dir: string;
let env: Record<string, string>;
let store: DecisionStore;
let t: NotificationTestApp;
let hospitalA: NotificationReceiver;
let hospitalB: NotificationReceiver;
let browser: Browser;

function openInstance(): NotificationTestApp {
  store = createDecisionStore(loadConfig({ DATABASE_URL: join(dir, 'pa.sqlite') }).database);
  return createNotificationTestApp(env, { store });
}

async function restart(): Promise<void> {
  await t.close();
  await store.close();
  t = openInstance();
}

async function submitFrom(organisation: Organisation, orderId: string, given: Record<string, unknown>, priority: 'standard' | 'expedited' = 'standard'): Promise<Submitted> {
  const order = buildTecartusOrder({ id: orderId });
  const signed = await signAndFetchForm(t.app, eligibleMantleCellRecord(), { order });
  const bundle = pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, ...(given as Record<string, never>) }), { order, requestorIdentifier: organisation, priority });
  const res = await submit(t.app, bundle);
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
  return { bundle, requestId: claimResponseOf(res.body).id!, order: `MedicationRequest/${orderId}` };
}

async function inquire(submitted: Submitted): Promise<string[]> {
  const res = await request(t.app).post('/fhir/Claim/$inquire').set('content-type', 'application/fhir+json').send(submitted.bundle);
  assert.equal(res.status, 200);
  // Only the known deviation may show (docs/standards.md: denial reasons without licensed X12 886 codes).
  assert.deepEqual(pasInquireResponseViolations(res.body, { request: submitted.bundle }).filter((v) => !UNMAPPED_X12_886.test(v)), []);
  const mine = (res.body as { parameter: { resource: Bundle }[] }).parameter.map((p) => p.resource).filter((b) => claimResponseOf(b).id === submitted.requestId);
  assert.equal(mine.length, 1, 'the inquiry finds the request');
  return [...decisionsOf(mine[0]).values()].flat();
}

before(async () => {
  assertChromiumInstalled();
  dir = mkdtempSync(join(tmpdir(), 'tecartus-pa-day-'));
  env = { REVIEWERS_FILE: await reviewersFile(), LOG_LEVEL: 'silent' };
  hospitalA = await new NotificationReceiver('127.0.0.1').start();
  hospitalB = await new NotificationReceiver('127.0.0.2').start();
  t = openInstance();
  browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
});

after(async () => {
  await browser?.close();
  await t?.close();
  await store?.close();
  await hospitalA?.close();
  await hospitalB?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('A simulated day of prior authorization, two provider organisations, restarts included (issue 13)', () => {
  it('certified at once, pended, decided in the browser, notified to the right organisation only, $inquire agreeing with the queue, nothing lost across restarts', async () => {
    // Morning: each organisation subscribes to PAS notifications for itself (the handshake makes them active).
    for (const [receiver, organisation] of [[hospitalA, HOSPITAL_A], [hospitalB, HOSPITAL_B]] as const) {
      const res = await request(t.app).post('/fhir/Subscription').send(buildPasSubscription({ endpoint: receiver.url, filter: `org-identifier=${token(organisation)}` }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await t.notifications.delivery.deliverDue();
    assert.equal(hospitalA.ofType('handshake').length, 1);
    assert.equal(hospitalB.ofType('handshake').length, 1);

    // The requests of the day.
    const cleanA = await submitFrom(HOSPITAL_A, 'order-a-clean', {});
    const gapA = await submitFrom(HOSPITAL_A, 'order-a-gap', { 'tocilizumab-available': false });
    const cleanB = await submitFrom(HOSPITAL_B, 'order-b-clean', { 'administration-setting': 'AMB', 'outpatient-attestation': true });
    const gapB = await submitFrom(HOSPITAL_B, 'order-b-gap', { 'prior-car-t': true, 'no-prior-car-t-attestation': null }, 'expedited');
    assert.deepEqual(await inquire(cleanA), ['A1']);
    assert.deepEqual(await inquire(cleanB), ['A1']);
    assert.deepEqual(await inquire(gapA), ['A4']);
    assert.deepEqual(await inquire(gapB), ['A4']);
    const queue = async () => (await store.paRequests().open()).map((r) => r.requestId);
    assert.deepEqual(await queue(), [gapB.requestId, gapA.requestId], 'the queue: the expedited request first (24 h), then the standard (72 h)');

    // The service restarts with requests waiting: nothing is lost, the answers are the same.
    await restart();
    assert.deepEqual(await queue(), [gapB.requestId, gapA.requestId]);
    assert.deepEqual(await inquire(gapA), ['A4']);
    assert.deepEqual(await inquire(cleanA), ['A1']);

    // Afternoon: a reviewer decides both in Chromium.
    const server: Server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${base}/review`);
      await page.fill('input[name="username"]', REVIEWER.username);
      await page.fill('input[name="password"]', REVIEWER.password);
      await Promise.all([page.waitForURL(`${base}/review`), page.click('form.login button[type="submit"]')]);
      await Promise.all([page.waitForURL(`${base}/review/requests/${gapB.requestId}`), page.click(`#queue tr[data-request-id="${gapB.requestId}"] a`)]);
      await page.check('#deny-form input[value="prior-car-t"]');
      await page.fill('#deny-form textarea[name="note"]', 'The provider reports earlier CAR-T therapy in a clinical trial.');
      await Promise.all([page.waitForURL(/\/review\?decided=/), page.click('#deny-form button[type="submit"]')]);
      await Promise.all([page.waitForURL(`${base}/review/requests/${gapA.requestId}`), page.click(`#queue tr[data-request-id="${gapA.requestId}"] a`)]);
      await page.fill('#approve-form textarea[name="note"]', 'Tocilizumab on site, confirmed with the pharmacy.');
      await Promise.all([page.waitForURL(/\/review\?decided=/), page.click('#approve-form button[type="submit"]')]);
      assert.match((await page.textContent('main')) ?? '', /No request is waiting\./);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.deepEqual(await queue(), []);

    // The service restarts before the notifications go out: the outbox keeps them.
    assert.deepEqual(hospitalA.ofType('event-notification'), []);
    await restart();
    await t.notifications.delivery.deliverDue();
    const [toA, ...moreA] = hospitalA.ofType('event-notification');
    const [toB, ...moreB] = hospitalB.ofType('event-notification');
    assert.deepEqual([moreA, moreB], [[], []], 'one notification each');
    assert.ok(toA && toB);
    assert.deepEqual(pasNotificationViolations(toA.body, { request: gapA.bundle }), []);
    // The one known deviation (docs/standards.md): the plan's denial reasons are not mapped to licensed X12 886 codes.
    assert.deepEqual(pasNotificationViolations(toB.body, { request: gapB.bundle }), [
      'extension-reviewAction: notification-event[0] focus Bundle ClaimResponse.item[0] (itemSequence 1): reviewAction.reasonCode must be coded in https://codesystem.x12.org/external/886',
    ]);
    const focus = (n: { body: Record<string, any> }) => n.body['entry'][1].resource as Bundle;
    assert.equal(claimResponseOf(focus(toA)).id, gapA.requestId, "hospital A hears of its own request");
    assert.equal(claimResponseOf(focus(toB)).id, gapB.requestId, "hospital B hears of its own request");
    assert.deepEqual(decisionsOf(focus(toA)).get(1), ['A1']);
    assert.deepEqual(decisionsOf(focus(toB)).get(1), ['A3']);

    // $inquire agrees with what was decided.
    assert.deepEqual(await inquire(gapA), ['A1']);
    assert.deepEqual(await inquire(gapB), ['A3']);

    // Re-signing the order approved after review: satisfied, with its authorization number.
    const resigned = await postHook(t.app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord(), orders: [buildTecartusOrder({ id: 'order-a-gap' })] }));
    const info = coverageInformationFor(resigned.body, gapA.order)!;
    assert.equal(info.paNeeded, 'satisfied');
    assert.equal(info.raw.extension!.find((e) => e.url === 'satisfied-pa-id')?.valueString, claimResponseOf(focus(toA)).preAuthRef);

    // The day in the plan's figures.
    const day = summarizePaRequests(await store.paRequests().receivedSince(new Date(Date.parse(TEST_CALL_TIME) - 86_400_000)), new Date(TEST_CALL_TIME));
    assert.deepEqual(
      { received: day.received, approvedAutomatically: day.approvedAutomatically, approvedAfterReview: day.approvedAfterReview, denied: day.denied, pending: day.pending, overdue: day.overdue },
      { received: 4, approvedAutomatically: 2, approvedAfterReview: 1, denied: 1, pending: 0, overdue: 0 },
    );
  });
});
