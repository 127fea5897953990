import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bundle } from 'fhir/r4.js';
import request from 'supertest';
import { eventNumbers, NotificationReceiver } from '../../support/notification-receiver.js';
import { pasNotificationViolations } from '../../support/pas-conformance.js';
import { CLEAN_ANSWERS, claimResponseOf, completeForm, decisionsOf, pasRequestFor, signAndFetchForm, submit } from '../../support/pas-flow.js';
import { createNotificationTestApp, type NotificationTestApp } from '../../support/pas-notification-app.js';
import { REQUESTOR_NPI } from '../../support/pas-requests.js';
import { buildPasSubscription, token } from '../../support/pas-subscriptions.js';
import { eligibleMantleCellRecord } from '../../support/patient-scenarios.js';
import { REVIEWER, reviewersFile, signIn } from '../../support/reviewers.js';

/**
 * The loop issue 13 asks for: a pended request decided on the reviewer's page
 * reaches the requesting organisation's endpoint as a PAS notification
 * carrying the updated response Bundle, and no other organisation's.
 */

type Json = Record<string, any>;
const OTHER_HOSPITAL = { system: 'http://hl7.org/fhir/sid/us-npi', value: '1093817465' } as const;

let t: NotificationTestApp;
let requesting: NotificationReceiver;
let other: NotificationReceiver;

before(async () => {
  requesting = await new NotificationReceiver('127.0.0.1').start();
  other = await new NotificationReceiver('127.0.0.2').start();
  t = createNotificationTestApp({ REVIEWERS_FILE: await reviewersFile() });
});
after(async () => {
  await t.close();
  await requesting.close();
  await other.close();
});

async function pendedRequestFrom(organization: { system: string; value: string }): Promise<{ bundle: Bundle; requestId: string }> {
  const signed = await signAndFetchForm(t.app, eligibleMantleCellRecord());
  const bundle = pasRequestFor(signed, completeForm(signed.draft, { ...CLEAN_ANSWERS, 'tocilizumab-available': false }), { requestorIdentifier: organization });
  const res = await submit(t.app, bundle);
  assert.deepEqual(decisionsOf(res.body).get(1), ['A4'], 'pended');
  return { bundle, requestId: claimResponseOf(res.body).id! };
}

describe("A reviewer's decision notifies the requesting organisation (issue 13: pended, decided, notified)", () => {
  it("the approval reaches the requesting organisation's endpoint in full, and no other organisation's; the audit trail says it was queued", async () => {
    const subscribe = async (endpoint: string, organization: { system: string; value: string }) => {
      const res = await request(t.app).post('/fhir/Subscription').send(buildPasSubscription({ endpoint, filter: `org-identifier=${token(organization)}` }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as Json;
    };
    const subscription = await subscribe(requesting.url, REQUESTOR_NPI);
    await subscribe(other.url, OTHER_HOSPITAL);
    await t.notifications.delivery.deliverDue();

    const mine = await pendedRequestFrom(REQUESTOR_NPI);
    const theirs = await pendedRequestFrom(OTHER_HOSPITAL);
    const { agent, csrf } = await signIn(t.app, REVIEWER);
    const decided = await agent.post(`/review/requests/${mine.requestId}/decision`).type('form').send({ _csrf: csrf, action: 'approve', note: 'Tocilizumab confirmed on site by phone.' });
    assert.equal(decided.status, 303, decided.text.slice(0, 300));
    await t.notifications.delivery.deliverDue();

    const [notification, ...more] = requesting.ofType('event-notification');
    assert.ok(notification, 'the requesting organisation is told');
    assert.deepEqual(more, []);
    assert.deepEqual(eventNumbers(notification.body), ['1']);
    assert.deepEqual(pasNotificationViolations(notification.body, { request: mine.bundle, subscription: { ...subscription, status: 'active' } }), []);
    const response = notification.body['entry'][1].resource as Bundle;
    assert.deepEqual(decisionsOf(response).get(1), ['A1'], 'the updated response: certified');
    assert.deepEqual(response, (await t.store.paRequests().find(mine.requestId))!.responseBundle, 'the response of record');
    assert.deepEqual(other.ofType('event-notification'), [], "another organisation's endpoint hears nothing");
    assert.doesNotMatch(JSON.stringify(requesting.received), new RegExp(theirs.requestId));

    const trail = await t.store.paRequests().events(mine.requestId);
    assert.deepEqual(trail.at(-1)?.action, 'notification-queued');
    assert.match(trail.at(-1)?.note ?? '', /^1 subscription/);
  });
});
