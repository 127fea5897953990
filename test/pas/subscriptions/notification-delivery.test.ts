import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../../src/config.js';
import { startServer } from '../../../src/http/start-server.js';
import { retryDelayMs } from '../../../src/pas/subscriptions/notification-delivery.js';
import { SqliteDecisionStore } from '../../../src/store/sqlite-decision-store.js';
import { captureLogger } from '../../support/capture-logger.js';
import { eventNumbers, NotificationReceiver, statusParameter } from '../../support/notification-receiver.js';
import { pasNotificationViolations } from '../../support/pas-conformance.js';
import { createNotificationTestApp, FAST_RETRIES, type NotificationTestApp } from '../../support/pas-notification-app.js';
import { buildPasRequestBundle } from '../../support/pas-requests.js';
import { buildPasResponseBundle, buildPasSubscription, HOSPITAL_A, HOSPITAL_B, token } from '../../support/pas-subscriptions.js';
import { sampleValue } from '../../support/prometheus.js';
import { buildTecartusOrder } from '../../support/fhir-factories.js';

/**
 * Delivering PAS notifications (issue 13, item 5: "an outbox in the store,
 * retried with backoff, survives a restart, never delivered to another
 * organisation's endpoint"). Two provider organisations' endpoints are real
 * HTTP servers on two loopback addresses; every notification they get is
 * checked with the PAS notification check.
 */

type Json = Record<string, any>;

let hospitalA: NotificationReceiver;
let hospitalB: NotificationReceiver;
let t: NotificationTestApp | undefined;

before(async () => {
  hospitalA = await new NotificationReceiver('127.0.0.1').start();
  hospitalB = await new NotificationReceiver('127.0.0.2').start();
});
after(async () => {
  await hospitalA.close();
  await hospitalB.close();
});
beforeEach(() => {
  hospitalA.reset();
  hospitalB.reset();
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function subscribe(app: NotificationTestApp, endpoint: string, organization: { system: string; value: string }): Promise<Json> {
  const res = await request(app.app).post('/fhir/Subscription').send(buildPasSubscription({ endpoint, filter: `org-identifier=${token(organization)}` }));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as Json;
}

/** Resolves once `condition` holds, or fails after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An endpoint that takes requests and never answers. */
async function silentEndpoint(host: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}/notify`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Tecartus PA request of its own (order id) and the payer's answer to it. */
function exchange(orderId: string, decision: 'A1' | 'A4' = 'A1') {
  const claim = buildPasRequestBundle({ order: buildTecartusOrder({ id: orderId }) });
  return { claim, response: buildPasResponseBundle(claim, decision, `CP-AUTH-${orderId}`) };
}

describe('Each organisation gets only its own notifications', () => {
  it('two provider organisations, each subscribed for itself: each endpoint gets the handshake and exactly its own events, in order, each a conformant full-resource notification', async () => {
    t = createNotificationTestApp();
    const subA = await subscribe(t, hospitalA.url, HOSPITAL_A);
    const subB = await subscribe(t, hospitalB.url, HOSPITAL_B);
    await t.notifications.delivery.deliverDue();

    const a1 = exchange('order-a1');
    const a2 = exchange('order-a2', 'A4');
    const b1 = exchange('order-b1');
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: a1.response }), { subscriptions: 1 });
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: [{ system: 'urn:other', value: 'x' }, HOSPITAL_B], focus: b1.response }), { subscriptions: 1 });
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: token(HOSPITAL_A), focus: a2.response }), { subscriptions: 1 });
    // An organisation nobody subscribed for: nothing is queued, nothing sent.
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: { system: HOSPITAL_A.system, value: '9999999991' }, focus: exchange('order-c1').response }), { subscriptions: 0 });
    await t.notifications.delivery.deliverDue();

    assert.equal(hospitalA.ofType('handshake').length, 1);
    assert.equal(hospitalB.ofType('handshake').length, 1);
    const toA = hospitalA.ofType('event-notification');
    const toB = hospitalB.ofType('event-notification');
    assert.deepEqual(toA.map((n) => eventNumbers(n.body)), [['1'], ['2']]);
    assert.deepEqual(toB.map((n) => eventNumbers(n.body)), [['1']]);
    assert.deepEqual(toA.map((n) => n.body['entry'][1].resource), [a1.response, a2.response]);
    assert.deepEqual(toB.map((n) => n.body['entry'][1].resource), [b1.response]);
    const active = (s: Json) => ({ ...s, status: 'active' });
    toA.forEach((n, i) => assert.deepEqual(pasNotificationViolations(n.body, { request: [a1, a2][i]!.claim, subscription: active(subA) }), []));
    assert.deepEqual(pasNotificationViolations(toB[0]!.body, { request: b1.claim, subscription: active(subB) }), []);
    for (const n of toA) assert.match(statusParameter(n.body, 'subscription'), new RegExp(`${subA['id']}$`));
  });

  it('the same change enqueued twice (the same event key) is notified once', async () => {
    t = createNotificationTestApp();
    await subscribe(t, hospitalA.url, HOSPITAL_A);
    const { response } = exchange('order-k');
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: response, event: { key: 'ClaimResponse/order-k-response/decision-1' } }), { subscriptions: 1 });
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: response, event: { key: 'ClaimResponse/order-k-response/decision-1' } }), { subscriptions: 0 });
    await t.notifications.delivery.deliverDue();
    assert.equal(hospitalA.ofType('event-notification').length, 1);
  });

  it('a subscription past its end is not told', async () => {
    t = createNotificationTestApp();
    const body = buildPasSubscription({ endpoint: hospitalA.url, filter: `org-identifier=${token(HOSPITAL_A)}` });
    body['end'] = new Date(Date.now() + 300).toISOString();
    assert.equal((await request(t.app).post('/fhir/Subscription').send(body)).status, 201);
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-e').response }), { subscriptions: 0 });
  });
});

describe('Retries with exponential backoff and jitter', () => {
  it('retryDelayMs: base, 2 base, 4 base ... up to the cap; half fixed, half random', () => {
    const settings = { retryBaseMs: 1000, retryMaxMs: 10_000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, settings, () => 0)), [500, 1000, 2000, 4000, 5000, 5000]);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, settings, () => 0.999999)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(retryDelayMs(1000, settings, () => 0.5), 7500, 'no overflow however many attempts');
  });

  it('a failing endpoint is tried again after growing waits and then gets the events, still in order', async () => {
    t = createNotificationTestApp({}, { settings: FAST_RETRIES, random: () => 0.5 });
    const sub = await subscribe(t, hospitalA.url, HOSPITAL_A);
    await t.notifications.delivery.deliverDue();
    hospitalA.statuses = [503, 502, 200];
    hospitalA.answered.length = 0;
    hospitalA.answeredAt.length = 0;
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-r1').response });
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-r2').response });
    t.notifications.start();
    await until(async () => (await t!.store.pasSubscriptions().outbox(sub['id'])).every((r) => r.deliveredAt !== undefined));

    // Event 1 failed twice, then went through; event 2 waited behind it.
    assert.deepEqual(hospitalA.answered.slice(0, 4), [503, 502, 200, 200]);
    assert.deepEqual(hospitalA.ofType('event-notification').map((n) => eventNumbers(n.body)), [['1'], ['2']]);
    // random 0.5: waits of 30 ms (base 40) then 60 ms (80).
    const [first, second, third] = hospitalA.answeredAt;
    assert.ok(second! - first! >= 30, `first wait ${second! - first!} ms`);
    assert.ok(third! - second! >= 60, `second wait ${third! - second!} ms`);
    const outbox = await t.store.pasSubscriptions().outbox(sub['id']);
    assert.deepEqual(outbox.map((r) => [r.kind, r.eventNumber, r.attempts, r.deliveredAt !== undefined, r.hasPayload]), [
      ['handshake', 0, 1, true, false],
      ['event-notification', 1, 3, true, false],
      ['event-notification', 2, 1, true, false],
    ]);
    const retries = t.deliveryLogs.filter((l) => l.includes('"event":"pas-notification-retry"'));
    assert.equal(retries.length, 2);
    assert.match(retries[0]!, /"detail":"the endpoint answered HTTP 503"/);
    assert.equal((await request(t.app).get(`/fhir/Subscription/${sub['id']}`)).body.status, 'active');
  });

  it('after PAS_NOTIFICATION_MAX_ATTEMPTS failed attempts the subscription is in error, saying why, and nothing more is sent', async () => {
    t = createNotificationTestApp({ PAS_NOTIFICATION_MAX_ATTEMPTS: '3' }, { settings: { ...FAST_RETRIES, maxAttempts: 3 }, random: () => 0 });
    const sub = await subscribe(t, hospitalA.url, HOSPITAL_A);
    await t.notifications.delivery.deliverDue();
    hospitalA.statuses = [500];
    hospitalA.answered.length = 0;
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-f1').response });
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-f2').response });
    t.notifications.start();
    await until(async () => (await request(t!.app).get(`/fhir/Subscription/${sub['id']}`)).body.status === 'error');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(hospitalA.answered, [500, 500, 500], 'three attempts at event 1, none at event 2');
    const read = await request(t.app).get(`/fhir/Subscription/${sub['id']}/$status`);
    const parameters = read.body.entry[0].resource.parameter as Json[];
    assert.equal(parameters.find((p) => p['name'] === 'status')?.['valueCode'], 'error');
    assert.match(parameters.find((p) => p['name'] === 'error')?.['valueCodeableConcept']['text'], /notification event 1 could not be delivered after 3 attempts: the endpoint answered HTTP 500/);
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-f3').response }), { subscriptions: 0 }, 'a subscription in error is told nothing more');

    const metrics = (await request(t.app).get('/metrics')).text;
    assert.equal(sampleValue(metrics, 'pa_notifications_failed_total', { kind: 'event-notification', failure: 'http-status', final: 'false' }), 2);
    assert.equal(sampleValue(metrics, 'pa_notifications_failed_total', { kind: 'event-notification', failure: 'http-status', final: 'true' }), 1);
    assert.equal(sampleValue(metrics, 'pa_notifications_delivered_total', { kind: 'handshake' }), 1);
  });

  it('an endpoint that does not answer in time is a timeout (here on the handshake, which puts the subscription in error)', async () => {
    t = createNotificationTestApp({}, { settings: { ...FAST_RETRIES, timeoutMs: 150 } });
    const hang = await silentEndpoint('127.0.0.4');
    try {
      const sub = await subscribe(t, hang.url, HOSPITAL_A);
      await t.notifications.delivery.deliverDue();
      const read = await request(t.app).get(`/fhir/Subscription/${sub['id']}`);
      assert.equal(read.body.status, 'error');
      assert.match(read.body.error, /no answer within 150 ms/);
      const metrics = (await request(t.app).get('/metrics')).text;
      assert.equal(sampleValue(metrics, 'pa_notifications_failed_total', { kind: 'handshake', failure: 'timeout', final: 'true' }), 1);
    } finally {
      await hang.close();
    }
  });
});

describe('The server runs the delivery loop', () => {
  it('a started server sends the handshake without being asked, and shuts down cleanly with the loop', async () => {
    const { logger } = captureLogger();
    const running = await startServer(loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: ':memory:', PAS_NOTIFICATION_POLL_MS: '20' }), logger);
    try {
      const created = await fetch(`${running.url}/fhir/Subscription`, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify(buildPasSubscription({ endpoint: hospitalA.url, filter: `org-identifier=${token(HOSPITAL_A)}` })),
      });
      assert.equal(created.status, 201);
      await hospitalA.waitFor(1);
      assert.equal(hospitalA.ofType('handshake').length, 1);
      const id = ((await created.json()) as Json)['id'];
      await until(async () => ((await (await fetch(`${running.url}/fhir/Subscription/${id}`)).json()) as Json)['status'] === 'active');
    } finally {
      assert.equal(await running.shutdown(), true);
    }
  });
});

describe('Durable: the outbox survives a restart', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pas-outbox-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('notifications queued by an instance that stopped before sending them are sent by the next one over the same database', async () => {
    const path = join(dir, 'restart.sqlite');
    const firstStore = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
    const first = createNotificationTestApp({ DATABASE_URL: path }, { store: firstStore });
    const sub = await subscribe(first, hospitalA.url, HOSPITAL_A);
    await first.notifications.delivery.deliverDue();
    const { claim, response } = exchange('order-restart');
    await first.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: response });
    await first.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-restart-2').response });
    // The first instance stops (its loop never ran past the handshake) and its store closes.
    await first.close();
    await firstStore.close();
    assert.equal(hospitalA.ofType('event-notification').length, 0);

    const secondStore = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
    t = createNotificationTestApp({ DATABASE_URL: path }, { store: secondStore, settings: FAST_RETRIES });
    try {
      t.notifications.start();
      await hospitalA.waitFor(3);
      const events = hospitalA.ofType('event-notification');
      assert.deepEqual(events.map((n) => eventNumbers(n.body)), [['1'], ['2']]);
      assert.deepEqual(pasNotificationViolations(events[0]!.body, { request: claim, subscription: { ...sub, status: 'active' } }), []);
    } finally {
      await t.close();
      t = undefined;
      await secondStore.close();
    }
  });

  it('a notification claimed by an instance that died mid-send is sent by another once the claim\'s lease runs out', async () => {
    const path = join(dir, 'lease.sqlite');
    const store = new SqliteDecisionStore({ path, synchronous: 'NORMAL' });
    t = createNotificationTestApp({ DATABASE_URL: path }, { store, settings: FAST_RETRIES });
    try {
      await subscribe(t, hospitalA.url, HOSPITAL_A);
      await t.notifications.delivery.deliverDue();
      await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: exchange('order-lease').response });
      const now = new Date();
      const claimed = await store.pasSubscriptions().claimDue('instance-that-died', now, new Date(now.getTime() + 300), 10);
      assert.equal(claimed.length, 1);
      assert.equal(await t.notifications.delivery.deliverDue(), 0, 'claimed by another instance: not sent while its lease holds');
      await new Promise((r) => setTimeout(r, 320));
      assert.equal(await t.notifications.delivery.deliverDue(), 1);
      assert.equal(hospitalA.ofType('event-notification').length, 1);
      assert.equal(await store.pasSubscriptions().markDelivered(claimed[0]!, new Date()), false, 'the dead instance\'s late answer changes nothing');
    } finally {
      await t.close();
      t = undefined;
      await store.close();
    }
  });

  it('stopping gives rows in flight back untried, for the next instance', async () => {
    t = createNotificationTestApp({}, { settings: { ...FAST_RETRIES, timeoutMs: 5000 } });
    const hang = await silentEndpoint('127.0.0.5');
    try {
      const sub = await subscribe(t, hang.url, HOSPITAL_A);
      t.notifications.start();
      await new Promise((r) => setTimeout(r, 100));
      await t.notifications.stop();
      const [handshake] = await t.store.pasSubscriptions().outbox(sub['id']);
      assert.equal(handshake!.attempts, 0, 'not counted as an attempt');
      assert.equal(handshake!.deliveredAt, undefined);
      assert.equal(handshake!.failedAt, undefined);
      assert.equal((await request(t.app).get(`/fhir/Subscription/${sub['id']}`)).body.status, 'requested');
    } finally {
      await hang.close();
    }
  });
});
