import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { isOperationOutcome } from '../../support/cds-conformance.js';
import { eventNumbers, NotificationReceiver, statusParameter } from '../../support/notification-receiver.js';
import { pasNotificationViolations } from '../../support/pas-conformance.js';
import { createNotificationTestApp, type NotificationTestApp } from '../../support/pas-notification-app.js';
import { buildPasRequestBundle } from '../../support/pas-requests.js';
import { buildPasResponseBundle, buildPasSubscription, HOSPITAL_A, token } from '../../support/pas-subscriptions.js';

/**
 * The Subscription API of the payer's FHIR API (PAS spec-62 to spec-69 on the
 * R4 Subscriptions backport), in open development mode: create, the
 * handshake, read, search, $status, delete, and every Subscription the
 * service cannot honour refused with an OperationOutcome (400 or 422, never
 * a 500). Endpoints are real HTTP servers on the loopback interface.
 */

type Json = Record<string, any>;
const FHIR_JSON = 'application/fhir+json';

let t: NotificationTestApp;
let receiver: NotificationReceiver;

before(async () => {
  receiver = await new NotificationReceiver().start();
});
after(async () => {
  await receiver.close();
});
beforeEach(async () => {
  await t?.close();
  t = createNotificationTestApp();
  receiver.received.length = 0;
  receiver.answered.length = 0;
  receiver.statuses = [200];
});
after(() => t?.close());

async function create(body: Json): Promise<request.Response> {
  return request(t.app).post('/fhir/Subscription').set('Content-Type', FHIR_JSON).send(body);
}

async function createActive(body: Json = buildPasSubscription({ endpoint: receiver.url })): Promise<Json> {
  const res = await create(body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await t.notifications.delivery.deliverDue();
  return res.body as Json;
}

describe('Creating a PAS Subscription (backport IG rest-hook; PAS spec-62, spec-63)', () => {
  it('answers 201 with the Subscription, its id and status requested, and a Location', async () => {
    const res = await create(buildPasSubscription({ endpoint: receiver.url }));
    assert.equal(res.status, 201);
    assert.match(res.headers['content-type']!, /^application\/fhir\+json/);
    assert.equal(res.body.resourceType, 'Subscription');
    assert.match(res.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(res.body.status, 'requested');
    assert.match(res.headers['location']!, new RegExp(`/fhir/Subscription/${res.body.id}$`));
    assert.equal(res.body.criteria, 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic');
    assert.equal(res.body.channel.endpoint, receiver.url);
  });

  it('sends the handshake, a history Bundle with the SubscriptionStatus (type handshake, status requested) as a call to $status; a 2xx answer makes it active', async () => {
    const created = await createActive();
    assert.equal(receiver.received.length, 1);
    const handshake = receiver.received[0]!;
    assert.match(String(handshake.headers['content-type']), /^application\/fhir\+json/);
    assert.equal(handshake.body['type'], 'history');
    const entry = handshake.body['entry'][0];
    assert.equal(entry.resource.resourceType, 'Parameters');
    assert.equal(statusParameter(handshake.body, 'type'), 'handshake');
    assert.equal(statusParameter(handshake.body, 'status'), 'requested');
    assert.equal(statusParameter(handshake.body, 'events-since-subscription-start'), '0');
    assert.match(statusParameter(handshake.body, 'subscription'), new RegExp(`/fhir/Subscription/${created['id']}$`));
    assert.equal(entry.request.method, 'GET');
    assert.match(entry.request.url, new RegExp(`/Subscription/${created['id']}/\\$status$`));
    assert.equal(entry.response.status, '200');
    assert.deepEqual(eventNumbers(handshake.body), [], 'a handshake carries no event');

    const read = await request(t.app).get(`/fhir/Subscription/${created['id']}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.status, 'active');
  });

  it('a handshake the endpoint refuses puts the subscription in error, saying why (backport IG: no retry of a handshake)', async () => {
    receiver.statuses = [503];
    const res = await create(buildPasSubscription({ endpoint: receiver.url }));
    await t.notifications.delivery.deliverDue();
    await t.notifications.delivery.deliverDue();
    assert.deepEqual(receiver.answered, [503]);
    const read = await request(t.app).get(`/fhir/Subscription/${res.body.id}`);
    assert.equal(read.body.status, 'error');
    assert.match(read.body.error, /handshake could not be delivered: the endpoint answered HTTP 503/);
  });

  it('an endpoint nobody listens on is an error too, not a crash', async () => {
    const closed = await new NotificationReceiver().start();
    const endpoint = closed.url;
    await closed.close();
    const res = await create(buildPasSubscription({ endpoint }));
    assert.equal(res.status, 201);
    await t.notifications.delivery.deliverDue();
    const read = await request(t.app).get(`/fhir/Subscription/${res.body.id}`);
    assert.equal(read.body.status, 'error');
    assert.match(read.body.error, /ECONNREFUSED/);
  });

  it('sends channel.header with each notification, and never shows the values back', async () => {
    const created = await createActive(buildPasSubscription({ endpoint: receiver.url, header: ['Authorization: Bearer endpoint-secret-123', 'X-Org: hospital-a'] }));
    assert.equal(receiver.received[0]!.headers['authorization'], 'Bearer endpoint-secret-123');
    assert.equal(receiver.received[0]!.headers['x-org'], 'hospital-a');
    const read = await request(t.app).get(`/fhir/Subscription/${created['id']}`);
    assert.deepEqual(read.body.channel.header, ['Authorization: [hidden]', 'X-Org: [hidden]']);
    assert.doesNotMatch(JSON.stringify(read.body) + t.logs.join('') + t.deliveryLogs.join(''), /endpoint-secret-123/);
  });

  it('accepts the filter as org-identifier, orgIdentifier or identifier; a bare value or system|value; several separated by commas (PAS spec-64)', async () => {
    for (const filter of [`org-identifier=${HOSPITAL_A.value}`, `orgIdentifier=${token(HOSPITAL_A)}`, `identifier=${HOSPITAL_A.value}`, `org-identifier=N123456,${token(HOSPITAL_A)}`, `org-identifier = ${encodeURIComponent(token(HOSPITAL_A))}`]) {
      const res = await create(buildPasSubscription({ endpoint: receiver.url, filter }));
      assert.equal(res.status, 201, `${filter}: ${JSON.stringify(res.body)}`);
    }
  });

  it('drops the heartbeat it does not send and keeps the rest as sent', async () => {
    const body = buildPasSubscription({ endpoint: receiver.url });
    body['channel']['extension'] = [
      { url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period', valueUnsignedInt: 60 },
      { url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-timeout', valueUnsignedInt: 30 },
    ];
    const res = await create(body);
    assert.equal(res.status, 201);
    assert.deepEqual(res.body.channel.extension, [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-timeout', valueUnsignedInt: 30 }]);
    assert.equal(res.body.reason, body['reason']);
  });
});

describe('Reading, searching, $status and deleting', () => {
  it('$status (instance level, GET and POST): a searchset with the SubscriptionStatus of type query-status', async () => {
    const created = await createActive();
    for (const method of ['get', 'post'] as const) {
      const res = await request(t.app)[method](`/fhir/Subscription/${created['id']}/$status`);
      assert.equal(res.status, 200);
      assert.equal(res.body.type, 'searchset');
      assert.equal(res.body.entry.length, 1);
      const status = res.body.entry[0].resource;
      assert.equal(status.resourceType, 'Parameters');
      assert.deepEqual(status.meta.profile, ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4']);
      assert.equal(statusParameter({ entry: [{ resource: status }] }, 'type'), 'query-status');
      assert.equal(statusParameter({ entry: [{ resource: status }] }, 'status'), 'active');
      assert.equal(statusParameter({ entry: [{ resource: status }] }, 'events-since-subscription-start'), '0');
    }
  });

  it('$status counts the events notified since the subscription started', async () => {
    const created = await createActive();
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle() });
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle() });
    const res = await request(t.app).get(`/fhir/Subscription/${created['id']}/$status`);
    assert.equal(statusParameter({ entry: [{ resource: res.body.entry[0].resource }] }, 'events-since-subscription-start'), '2');
  });

  it('$status at type level lists the caller\'s subscriptions, narrowed by ids and status', async () => {
    const a = await createActive();
    receiver.statuses = [500];
    const b = (await create(buildPasSubscription({ endpoint: receiver.url }))).body as Json;
    await t.notifications.delivery.deliverDue();
    const all = await request(t.app).get('/fhir/Subscription/$status');
    assert.equal(all.body.total, 2);
    const active = await request(t.app).get('/fhir/Subscription/$status?status=active');
    assert.deepEqual(active.body.entry.map((e: Json) => statusParameter({ entry: [e] }, 'subscription').split('/').pop()), [a['id']]);
    const byId = await request(t.app).post('/fhir/Subscription/$status').send({ resourceType: 'Parameters', parameter: [{ name: 'ids', valueId: b['id'] }] });
    assert.equal(byId.body.total, 1);
    assert.equal(statusParameter({ entry: [byId.body.entry[0]] }, 'status'), 'error');
  });

  it('GET /fhir/Subscription lists the caller\'s subscriptions as a searchset; ?status narrows it', async () => {
    const created = await createActive();
    const res = await request(t.app).get('/fhir/Subscription');
    assert.equal(res.body.type, 'searchset');
    assert.deepEqual(res.body.entry.map((e: Json) => e.resource.id), [created['id']]);
    assert.equal((await request(t.app).get('/fhir/Subscription?status=error')).body.total, 0);
  });

  it('DELETE removes it: 204, then 404; what was queued for it is not sent', async () => {
    const created = await createActive();
    await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: buildPasResponseBundle() });
    const deleted = await request(t.app).delete(`/fhir/Subscription/${created['id']}`);
    assert.equal(deleted.status, 204);
    await t.notifications.delivery.deliverDue();
    assert.equal(receiver.ofType('event-notification').length, 0);
    const read = await request(t.app).get(`/fhir/Subscription/${created['id']}`);
    assert.equal(read.status, 404);
    assert.ok(isOperationOutcome(read.body));
    assert.equal((await request(t.app).delete(`/fhir/Subscription/${created['id']}`)).status, 404);
  });

  it('an unknown id is a 404 OperationOutcome, on every route', async () => {
    for (const path of ['/fhir/Subscription/no-such-id', '/fhir/Subscription/no-such-id/$status']) {
      const res = await request(t.app).get(path);
      assert.equal(res.status, 404, path);
      assert.ok(isOperationOutcome(res.body));
    }
  });
});

describe('The CapabilityStatement exposes subscriptions (PAS spec-66)', () => {
  it('GET /fhir/metadata lists Subscription: create, read, delete, search, $status, the backport and PAS profiles, the PAS topic', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    const subscription = (res.body.rest[0].resource as Json[]).find((r) => r['type'] === 'Subscription');
    assert.ok(subscription, 'a Subscription entry');
    assert.deepEqual(subscription['interaction'].map((i: Json) => i['code']).sort(), ['create', 'delete', 'read', 'search-type']);
    assert.deepEqual(subscription['operation'], [{ name: 'status', definition: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status' }]);
    assert.ok(subscription['supportedProfile'].includes('http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription'));
    assert.equal(subscription['extension'][0].valueCanonical, 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic');
  });
});

describe('An event notification (PAS spec-68, spec-69: full-resource, the PAS response Bundle)', () => {
  it('passes the PAS notification check: history Bundle, active event-notification, event 1, the response Bundle as focus', async () => {
    const created = await createActive();
    const claim = buildPasRequestBundle();
    const response = buildPasResponseBundle(claim, 'A1');
    const queued = await t.notifications.enqueue({ organisationIdentifier: HOSPITAL_A, focus: response });
    assert.deepEqual(queued, { subscriptions: 1 });
    await t.notifications.delivery.deliverDue();
    const [notification] = receiver.ofType('event-notification');
    assert.ok(notification, 'an event notification');
    assert.deepEqual(pasNotificationViolations(notification.body, { request: claim, subscription: { ...created, status: 'active' } }), []);
    assert.deepEqual(eventNumbers(notification.body), ['1']);
    assert.deepEqual(notification.body['entry'][1].resource, response);
  });
});

describe('Subscriptions the service cannot honour are refused with an OperationOutcome: 400 malformed, 422 not offered (never a 500)', () => {
  const base = () => buildPasSubscription({ endpoint: 'https://ehr.hospital-a.example.org/pas/notify' });
  const edit = (change: (s: Json) => void): Json => {
    const s = base();
    change(s);
    return s;
  };
  const cases: [string, unknown, number, RegExp][] = [
    ['a JSON array', [], 400, /must be a Subscription resource/],
    ['another resource', { resourceType: 'Patient' }, 400, /must be a Subscription resource/],
    ['no criteria', edit((s) => delete s['criteria']), 400, /^criteria is required: the PAS topic canonical/],
    ['no channel', edit((s) => delete s['channel']), 400, /^channel is required/],
    ['another topic', edit((s) => (s['criteria'] = 'http://example.org/SubscriptionTopic/encounter')), 422, /only topic offered is .*PASSubscriptionTopic/],
    ['no filter criteria', edit((s) => delete s['_criteria']), 400, /exactly one filter .*spec-64/],
    ['two filters', edit((s) => s['_criteria'].extension.push(s['_criteria'].extension[0])), 400, /exactly one filter/],
    ['a filter on another parameter', edit((s) => (s['_criteria'].extension[0].valueString = 'patient=Patient/123')), 422, /Unsupported filter criteria: the filter must be org-identifier=/],
    ['an empty org-identifier', edit((s) => (s['_criteria'].extension[0].valueString = 'org-identifier=')), 422, /no empty entries/],
    ['two filter parameters', edit((s) => (s['_criteria'].extension[0].valueString = 'org-identifier=1&status=active')), 422, /one parameter/],
    ['the websocket channel', edit((s) => (s['channel'].type = 'websocket')), 422, /rest-hook only \(spec-67\)/],
    ['no endpoint', edit((s) => delete s['channel'].endpoint), 400, /needs channel\.endpoint/],
    ['an endpoint that is not a URL', edit((s) => (s['channel'].endpoint = 'not a url')), 400, /not an absolute URL/],
    ['a plain-http endpoint off this machine', edit((s) => (s['channel'].endpoint = 'http://ehr.hospital-a.example.org/notify')), 422, /must be an https URL: notifications carry patient data/],
    ['an endpoint with credentials', edit((s) => (s['channel'].endpoint = 'https://user:pw@ehr.hospital-a.example.org/notify')), 422, /must not carry credentials/],
    ['the cloud metadata address', edit((s) => (s['channel'].endpoint = 'https://169.254.169.254/latest')), 422, /link-local address/],
    ['an XML payload', edit((s) => (s['channel'].payload = 'application/fhir+xml')), 422, /sent as application\/fhir\+json/],
    ['no payload', edit((s) => delete s['channel'].payload), 422, /channel\.payload is missing/],
    ['id-only content', edit((s) => (s['channel']._payload.extension[0].valueCode = 'id-only')), 422, /must be full-resource \(PAS spec-69\).*not id-only/],
    ['no payload content', edit((s) => delete s['channel']._payload), 422, /must be full-resource/],
    ['a header the service sets', edit((s) => (s['channel'].header = ['Content-Type: text/plain'])), 422, /sets Content-Type, which the service sets itself/],
    ['a header over two lines', edit((s) => (s['channel'].header = ['X-A: 1\r\nX-B: 2'])), 400, /"Name: value" on one line/],
    ['a header that is not a string', edit((s) => (s['channel'].header = [{ name: 'x' }])), 400, /channel\.header\[0\] must be a string "Name: value"/],
    ['a cross-version extension', edit((s) => (s['_criteria'].extension = [{ url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Subscription.filterBy', valueString: 'x' }])), 422, /cross-version extension/],
    ['an end already past', edit((s) => (s['end'] = '2020-01-01T00:00:00Z')), 422, /end is already past/],
    ['an end that is not an instant', edit((s) => (s['end'] = 'next week')), 400, /must be an instant/],
    ['a zero timeout', edit((s) => (s['channel'].extension = [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-timeout', valueUnsignedInt: 0 }])), 400, /backport-timeout/],
  ];
  for (const [name, body, status, pattern] of cases) {
    it(name, async () => {
      const res = await create(body as Json);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.ok(isOperationOutcome(res.body), 'an OperationOutcome');
      assert.equal(res.body.issue[0].severity, 'error');
      assert.match(res.body.issue[0].details.text, pattern);
    });
  }

  it('a body that is not JSON is a 400', async () => {
    const res = await request(t.app).post('/fhir/Subscription').set('Content-Type', FHIR_JSON).send('{"resourceType": "Subscription",');
    assert.equal(res.status, 400);
    assert.ok(isOperationOutcome(res.body));
  });

  it('nothing refused is kept', async () => {
    for (const [, body] of cases) await create(body as Json);
    assert.equal((await request(t.app).get('/fhir/Subscription')).body.total, 0);
  });
});
