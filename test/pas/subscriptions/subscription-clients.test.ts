import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { parseTrustedClients } from '../../../src/auth/trusted-clients.js';
import { isOperationOutcome } from '../../support/cds-conformance.js';
import { bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, writeClientsFile, type TestSigner } from '../../support/cds-clients.js';
import { accessTokenFor } from '../../support/smart-clients.js';
import { eventNumbers, NotificationReceiver } from '../../support/notification-receiver.js';
import { createNotificationTestApp, type NotificationTestApp } from '../../support/pas-notification-app.js';
import { buildPasResponseBundle, buildPasSubscription, HOSPITAL_A, HOSPITAL_B, token } from '../../support/pas-subscriptions.js';

/**
 * Subscriptions with a clients file: each belongs to the client that created
 * it (PAS spec-65), names only organisations the clients file lists for that
 * client, and has notifications sent only to endpoints listed for it
 * (notificationEndpoints, issue 14). Two EHR clients call with SMART access
 * tokens; each organisation's endpoint is a real HTTP server.
 */

type Json = Record<string, any>;

let ehrA: TestSigner;
let ehrB: TestSigner;
let ehrC: TestSigner;
let endpointA: NotificationReceiver;
let endpointB: NotificationReceiver;
let clientsFile: ReturnType<typeof writeClientsFile>;
let t: NotificationTestApp;

const clientsWith = (aEndpoints: unknown[]) => [
  { iss: ehrA.iss, name: 'Hospital A', jwks: jwksOf(ehrA), fhirServers: [], notificationEndpoints: aEndpoints, organizationIdentifiers: [token(HOSPITAL_A)] },
  { iss: ehrB.iss, name: 'Hospital B', jwks: jwksOf(ehrB), fhirServers: [], notificationEndpoints: [endpointB.base], organizationIdentifiers: [HOSPITAL_B.value] },
  // Registered for hook calls only: no notification endpoint.
  { iss: ehrC.iss, name: 'Clinic C', jwks: jwksOf(ehrC), fhirServers: [] },
];

before(async () => {
  [ehrA, ehrB, ehrC] = await Promise.all([makeSigner('ES384', 'https://ehr.hospital-a.example.org'), makeSigner('ES384', 'https://ehr.hospital-b.example.org'), makeSigner('ES384', 'https://ehr.clinic-c.example.org')]);
  endpointA = await new NotificationReceiver('127.0.0.1').start();
  endpointB = await new NotificationReceiver('127.0.0.2').start();
  clientsFile = writeClientsFile(clientsWith([endpointA.base]));
});
after(async () => {
  clientsFile.remove();
  await endpointA.close();
  await endpointB.close();
});
beforeEach(() => {
  endpointA.reset();
  endpointB.reset();
  t = createNotificationTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL });
  tokens = new Map();
});
afterEach(() => t.close());

/** Access tokens of this app (SMART Backend Services), by client. */
let tokens = new Map<string, string>();

/** A call by `signer`'s client with its access token for every Subscription interaction; no token when `signer` is undefined. */
async function as(signer: TestSigner | undefined, method: 'get' | 'post' | 'delete', path: string, body?: unknown): Promise<request.Response> {
  const call = request(t.app)[method](path);
  if (signer) {
    if (!tokens.has(signer.iss)) tokens.set(signer.iss, await accessTokenFor(t.app, signer, 'system/Subscription.cruds'));
    call.set(bearer(tokens.get(signer.iss)!));
  }
  return body === undefined ? call : call.send(body as object);
}

const subscriptionFor = (endpoint: string, organization: { system: string; value: string } | string) =>
  buildPasSubscription({ endpoint, filter: `org-identifier=${typeof organization === 'string' ? organization : token(organization)}` });

describe('A subscription belongs to the client that created it (PAS spec-65)', () => {
  it('without an access token: 401, and nothing is kept', async () => {
    const res = await as(undefined, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_A));
    assert.equal(res.status, 401);
    assert.ok(isOperationOutcome(res.body));
    assert.equal((await as(ehrA, 'get', '/fhir/Subscription')).body.total, 0);
  });

  it('a token without the Subscription scope: 403 insufficient_scope, and nothing is kept', async () => {
    const claimsOnly = await accessTokenFor(t.app, ehrA, 'system/Claim.cr');
    const res = await request(t.app).post('/fhir/Subscription').set(bearer(claimsOnly)).send(subscriptionFor(endpointA.url, HOSPITAL_A));
    assert.equal(res.status, 403);
    assert.ok(isOperationOutcome(res.body));
    assert.equal((await as(ehrA, 'get', '/fhir/Subscription')).body.total, 0);
  });

  it("another client's subscription reads, deletes and $statuses as not found; each lists only its own", async () => {
    const a = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_A));
    const b = await as(ehrB, 'post', '/fhir/Subscription', subscriptionFor(endpointB.url, HOSPITAL_B));
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    for (const [method, path] of [['get', `/fhir/Subscription/${b.body.id}`], ['get', `/fhir/Subscription/${b.body.id}/$status`], ['delete', `/fhir/Subscription/${b.body.id}`]] as const) {
      const res = await as(ehrA, method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.ok(isOperationOutcome(res.body));
    }
    assert.deepEqual((await as(ehrA, 'get', '/fhir/Subscription')).body.entry.map((e: Json) => e.resource.id), [a.body.id]);
    assert.deepEqual((await as(ehrA, 'get', '/fhir/Subscription/$status')).body.total, 1);
    assert.equal((await as(ehrB, 'get', `/fhir/Subscription/${b.body.id}`)).body.id, b.body.id, 'still there for its owner');
  });

  it("a client may not subscribe to another organisation's results: 403, naming the identifier", async () => {
    const res = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_B));
    assert.equal(res.status, 403);
    assert.match(res.body.issue[0].details.text, new RegExp(`may not subscribe to the prior authorization results of ${token(HOSPITAL_B).replace(/[.|/]/g, '\\$&')}.*spec-65`));
    const mixed = await as(ehrA, 'post', '/fhir/Subscription', buildPasSubscription({ endpoint: endpointA.url, filter: `org-identifier=${token(HOSPITAL_A)},${HOSPITAL_B.value}` }));
    assert.equal(mixed.status, 403, 'one identifier not its own is enough to refuse');
  });

  it('a bare value is narrowed to the system the clients file gives it, so it never matches another system\'s identifier with the same value', async () => {
    const res = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_A.value));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await t.notifications.delivery.deliverDue();
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: { system: 'urn:oid:2.16.840.1.113883.4.4', value: HOSPITAL_A.value }, focus: buildPasResponseBundle() }), { subscriptions: 0 });
    assert.deepEqual(await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle() }), { subscriptions: 1 });
  });
});

describe('Notifications go only to endpoints listed for the client (notificationEndpoints)', () => {
  it("an endpoint listed for another client is refused: 422, and nothing is sent there", async () => {
    const res = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointB.url, HOSPITAL_A));
    assert.equal(res.status, 422);
    assert.match(res.body.issue[0].details.text, /not one registered for this client \(notificationEndpoints in the clients file\)/);
    await t.notifications.delivery.deliverDue();
    assert.equal(endpointB.answered.length, 0);
  });

  it('a client with no notification endpoints cannot subscribe: 422, saying the operator registers them', async () => {
    const res = await as(ehrC, 'post', '/fhir/Subscription', subscriptionFor('https://ehr.clinic-c.example.org/notify', HOSPITAL_A));
    assert.equal(res.status, 422);
    assert.match(res.body.issue[0].details.text, /no notification endpoint is registered for this client/);
  });

  it('each organisation\'s endpoint gets its own notifications and nothing else', async () => {
    const a = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_A));
    const b = await as(ehrB, 'post', '/fhir/Subscription', subscriptionFor(endpointB.url, HOSPITAL_B.value));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    await t.notifications.delivery.deliverDue();
    assert.equal((await as(ehrA, 'get', `/fhir/Subscription/${a.body.id}`)).body.status, 'active');
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_B, focus: buildPasResponseBundle(undefined, 'A1', 'CP-AUTH-B1') });
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle(undefined, 'A1', 'CP-AUTH-A1') });
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_B, focus: buildPasResponseBundle(undefined, 'A4') });
    await t.notifications.delivery.deliverDue();
    const numbers = (r: NotificationReceiver) => r.ofType('event-notification').map((n) => eventNumbers(n.body)[0]);
    assert.deepEqual(numbers(endpointA), ['1']);
    assert.deepEqual(numbers(endpointB), ['1', '2']);
    assert.match(JSON.stringify(endpointA.ofType('event-notification')[0]!.body), /CP-AUTH-A1/);
    assert.doesNotMatch(JSON.stringify(endpointA.received), /CP-AUTH-B1/);
  });

  it('an endpoint taken out of the clients file gets nothing more: the next delivery is refused and the subscription is in error', async () => {
    const a = await as(ehrA, 'post', '/fhir/Subscription', subscriptionFor(endpointA.url, HOSPITAL_A));
    await t.notifications.delivery.deliverDue();
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle() });
    await t.close();
    // The operator removes Hospital A's endpoint; the service restarts on the same database.
    const store = t.store;
    const withoutA = writeClientsFile(clientsWith([]));
    try {
      t = createNotificationTestApp({ CDS_CLIENTS_FILE: withoutA.path, PUBLIC_BASE_URL }, { store });
      tokens = new Map();
      endpointA.reset();
      await t.notifications.delivery.deliverDue();
      assert.equal(endpointA.answered.length, 0, 'nothing sent');
      const read = await as(ehrA, 'get', `/fhir/Subscription/${a.body.id}`);
      assert.equal(read.body.status, 'error');
      assert.match(read.body.error, /no notification endpoint is registered for this client/);
    } finally {
      withoutA.remove();
    }
  });
});

describe('The clients file', () => {
  it('reads notificationEndpoints as allowed servers and organizationIdentifiers as tokens', () => {
    const [client] = [...parseTrustedClients([{ iss: 'https://ehr.example.org', jwks: jwksOf(ehrA), notificationEndpoints: [{ url: 'https://notify.hospital.example.org/pas', privateAddresses: ['10.1.0.0/16'] }], organizationIdentifiers: [token(HOSPITAL_A)] }]).values()];
    assert.equal(client!.notificationEndpoints![0]!.base, 'https://notify.hospital.example.org/pas');
    assert.match(client!.notificationEndpoints![0]!.addressRules.key, /^named:10\.1\.0\.0\/16$/);
    assert.deepEqual(client!.organizationIdentifiers, [token(HOSPITAL_A)]);
  });

  it('refuses a notification endpoint at a link-local address and an organisation identifier with a comma, naming the mistake', () => {
    for (const [entry, pattern] of [
      [{ notificationEndpoints: ['https://169.254.169.254/notify'] }, /link-local.*notificationEndpoints\[0\]/s],
      [{ organizationIdentifiers: ['a,b'] }, /system\|value or a value.*organizationIdentifiers\[0\]/s],
    ] as const) {
      assert.throws(() => parseTrustedClients([{ iss: 'https://ehr.example.org', jwks: jwksOf(ehrA), ...entry }]), pattern);
    }
  });
});
