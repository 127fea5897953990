import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { OutboundClient } from '../../src/net/outbound-client.js';
import { PasNotifications } from '../../src/pas/subscriptions/pas-notifications.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import type { NewPasSubscription, OutboxEvent, PasSubscriptionRecord, PasSubscriptionStore } from '../../src/store/pas-subscription-store.js';
import { eventNumbers, NotificationReceiver, statusParameter } from '../support/notification-receiver.js';
import { buildPasResponseBundle, buildPasSubscription, PAYER_BASE } from '../support/pas-subscriptions.js';

export interface SharedDatabase {
  /** Opens a store on the test database (the same one each time). */
  readonly open: () => DecisionStore;
  /**
   * Whether the second instance gets a store of its own. PostgreSQL: yes, two
   * pools, as two servers have. SQLite: no. Its connections run synchronously,
   * so a second one in the same process would wait for the first's write
   * lock while blocking the thread that holds it; the second instance shares
   * the first's connection instead, and its claims still exclude the
   * first's. (Between processes, WORKERS=N, SQLite's BEGIN IMMEDIATE gives
   * each claim the file's write lock.)
   */
  readonly ownStorePerInstance: boolean;
  readonly dispose: () => Promise<void>;
}

const newSubscription = (organization: string, overrides: Partial<NewPasSubscription> = {}): NewPasSubscription => ({
  id: randomUUID(),
  clientIss: 'https://ehr.example.org',
  organizationIdentifiers: [organization],
  endpoint: 'http://127.0.0.1:9/notify',
  payloadType: 'application/fhir+json',
  headers: ['Authorization: Bearer secret'],
  serverBase: PAYER_BASE,
  resource: buildPasSubscription({ endpoint: 'https://ehr.example.org/notify' }),
  ...overrides,
});

const handshake = (s: PasSubscriptionRecord) => ({ kind: 'handshake', subscription: s.id });

const eventFor = (organization: string, key?: string): OutboxEvent => ({
  concerns: (s) => s.organizationIdentifiers.includes(organization),
  key,
  payload: (s, n) => ({ subscription: s.id, eventNumber: n, eventsSinceStart: s.eventsSinceStart }),
  now: new Date(),
});

const later = (ms: number) => new Date(Date.now() + ms);

/**
 * The PAS subscription store and its outbox, the same on SQLite and
 * PostgreSQL: numbering per subscription, delivery in order, claims that two
 * instances never share, retries, giving up, and rows that outlive the
 * process. Then the whole loop run by two instances over one database: each
 * notification sent once.
 */
export function pasSubscriptionStoreContract(name: string, setup: () => Promise<SharedDatabase>): void {
  describe(`${name}: PAS subscriptions and their outbox`, () => {
    let db: SharedDatabase;
    let first: DecisionStore;
    let second: DecisionStore;
    let one: PasSubscriptionStore;
    let two: PasSubscriptionStore;

    before(async () => {
      db = await setup();
      first = db.open();
      await first.ready();
      second = db.ownStorePerInstance ? db.open() : first;
      await second.ready();
      one = first.pasSubscriptions();
      two = second.pasSubscriptions();
    });
    after(async () => {
      await first?.close();
      if (second !== first) await second?.close();
      await db?.dispose();
    });

    /** A subscription whose handshake was delivered: active. */
    async function active(organization: string, overrides: Partial<NewPasSubscription> = {}): Promise<PasSubscriptionRecord> {
      const created = await one.create(newSubscription(organization, overrides), handshake, new Date());
      const [claimed] = (await one.claimDue('setup', new Date(), later(60_000), 100)).filter((c) => c.subscription.id === created.id);
      assert.equal(claimed?.kind, 'handshake');
      assert.equal(await one.markDelivered(claimed, new Date()), true);
      return (await one.find(created.id))!;
    }

    it('keeps a new subscription as requested, with its handshake as event 0, found by id and by client', async () => {
      const created = await one.create(newSubscription('org-keep'), handshake, new Date());
      const found = await two.find(created.id);
      assert.equal(found?.status, 'requested');
      assert.deepEqual(found?.headers, ['Authorization: Bearer secret']);
      assert.deepEqual(found?.organizationIdentifiers, ['org-keep']);
      assert.equal(found?.eventsSinceStart, 0);
      assert.ok((await two.listByClient('https://ehr.example.org')).some((s) => s.id === created.id));
      assert.deepEqual((await two.outbox(created.id)).map((r) => [r.kind, r.eventNumber, r.attempts, r.hasPayload]), [['handshake', 0, 0, true]]);
      assert.equal(await one.delete(created.id), true);
      assert.equal(await two.find(created.id), undefined);
      assert.deepEqual(await two.outbox(created.id), []);
    });

    it('numbers events per subscription, for the subscriptions an event concerns only; a key written twice is one event', async () => {
      const a = await active('org-number-a');
      const b = await active('org-number-b');
      assert.deepEqual(await one.writeEvent(eventFor('org-number-a')), [a.id]);
      assert.deepEqual(await two.writeEvent(eventFor('org-number-a', 'change-1')), [a.id]);
      assert.deepEqual(await one.writeEvent(eventFor('org-number-a', 'change-1')), []);
      assert.deepEqual(await one.writeEvent(eventFor('org-number-b')), [b.id]);
      assert.deepEqual((await one.outbox(a.id)).map((r) => r.eventNumber), [0, 1, 2]);
      assert.deepEqual((await one.outbox(b.id)).map((r) => r.eventNumber), [0, 1]);
      assert.equal((await one.find(a.id))?.eventsSinceStart, 2);
    });

    it('two instances writing events for one subscription at the same time number them 1..n, none twice', async () => {
      const s = await active('org-concurrent');
      const written = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? one : two).writeEvent(eventFor('org-concurrent'))));
      assert.ok(written.every((w) => w.length === 1));
      assert.deepEqual((await one.outbox(s.id)).map((r) => r.eventNumber), Array.from({ length: 13 }, (_, i) => i));
      assert.equal((await two.find(s.id))?.eventsSinceStart, 12);
    });

    it('a subscription in error or past its end is not told', async () => {
      const ended = await active('org-ended', { end: later(50) });
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(await one.writeEvent(eventFor('org-ended')), []);
      const failing = await active('org-failing');
      await one.writeEvent(eventFor('org-failing'));
      await one.writeEvent(eventFor('org-failing'));
      const [claimed] = (await one.claimDue('me', new Date(), later(60_000), 100)).filter((c) => c.subscription.id === failing.id);
      await one.markGivenUp(claimed!, 'HTTP 500', 'event 1 could not be delivered', new Date());
      assert.equal((await one.find(failing.id))?.status, 'error');
      assert.equal((await one.find(failing.id))?.error, 'event 1 could not be delivered');
      assert.deepEqual(await one.writeEvent(eventFor('org-failing')), []);
      const [row, behind] = (await one.outbox(failing.id)).filter((r) => r.eventNumber > 0);
      assert.equal(row?.hasPayload, false, 'a given-up notification keeps no patient data');
      assert.ok(row?.failedAt);
      assert.equal(behind?.hasPayload, false, 'nor does one that waited behind it');
      assert.equal(behind?.lastError, 'not sent: the subscription is in error');
      assert.equal(ended.status, 'active');
    });

    it('claims in order: the handshake before events, then one event at a time per subscription', async () => {
      const created = await one.create(newSubscription('org-order'), handshake, new Date());
      await one.writeEvent(eventFor('org-order'));
      await one.writeEvent(eventFor('org-order'));
      const mine = async () => (await one.claimDue('me', new Date(), later(60_000), 100)).filter((c) => c.subscription.id === created.id);
      const [shake, ...none] = await mine();
      assert.equal(shake?.kind, 'handshake');
      assert.deepEqual(none, []);
      assert.deepEqual(await mine(), [], 'events wait for the handshake');
      await one.markDelivered(shake!, new Date());
      assert.equal((await one.find(created.id))?.status, 'active');
      const [e1, ...rest] = await mine();
      assert.equal(e1?.eventNumber, 1);
      assert.deepEqual(rest, [], 'event 2 waits behind event 1');
      await one.markRetry(e1!, 'HTTP 503', later(200));
      assert.deepEqual(await mine(), [], 'not due before its retry time, and event 2 still waits');
      await new Promise((r) => setTimeout(r, 220));
      const [again] = await mine();
      assert.equal(again?.eventNumber, 1);
      assert.equal(again?.attempts, 1);
      await one.markDelivered(again!, new Date());
      const [e2] = await mine();
      assert.equal(e2?.eventNumber, 2);
      assert.deepEqual(e2?.payload, { subscription: created.id, eventNumber: 2, eventsSinceStart: 2 });
    });

    it('two instances claiming at the same time never take the same row', async () => {
      const subscriptions: PasSubscriptionRecord[] = [];
      for (let i = 0; i < 8; i++) subscriptions.push(await active(`org-claim-${i}`));
      for (let i = 0; i < 8; i++) await one.writeEvent(eventFor(`org-claim-${i}`));
      const ids = new Set(subscriptions.map((s) => s.id));
      const [byOne, byTwo] = await Promise.all([one.claimDue('instance-1', new Date(), later(60_000), 100), two.claimDue('instance-2', new Date(), later(60_000), 100)]);
      const taken = [...byOne, ...byTwo].filter((c) => ids.has(c.subscription.id)).map((c) => c.id);
      assert.equal(taken.length, 8, 'every due row claimed');
      assert.equal(new Set(taken).size, 8, 'none by both');
      assert.equal(await two.markDelivered({ ...byOne.find((c) => ids.has(c.subscription.id))!, claimedBy: 'instance-2' }, new Date()), false, "an instance cannot settle another's claim");
    });

    it('rows outlive the store: reopened, the database still has them due', async () => {
      const s = await active('org-reopen');
      await one.writeEvent(eventFor('org-reopen'));
      const reopened = db.open();
      try {
        const claimed = (await reopened.pasSubscriptions().claimDue('after-restart', new Date(), later(60_000), 100)).filter((c) => c.subscription.id === s.id);
        assert.deepEqual(claimed.map((c) => c.eventNumber), [1]);
      } finally {
        await reopened.close();
      }
    });

    it('two instances running the delivery loop over one database send every notification once, in order per subscription', async () => {
      const receiver = await new NotificationReceiver().start();
      const sink = new Writable({ write: (_c, _e, done) => done() });
      const outbound = new OutboundClient();
      const instances = [first, second].map(
        (store) =>
          new PasNotifications({
            store: store.pasSubscriptions(),
            outbound,
            trustedClients: undefined,
            settings: { maxAttempts: 5, retryBaseMs: 20, retryMaxMs: 100, timeoutMs: 2000, pollMs: 10 },
            logger: createLogger('silent', sink),
          }),
      );
      try {
        const organizations = Array.from({ length: 4 }, (_, i) => `urn:test:fleet|org-${i}-${randomUUID().slice(0, 6)}`);
        const created = await Promise.all(
          organizations.map((o, i) =>
            instances[i % 2]!.subscriptions.create(buildPasSubscription({ endpoint: receiver.url, filter: `org-identifier=${o}` }), { clientIss: 'open-development-mode', serverBase: PAYER_BASE }),
          ),
        );
        for (const instance of instances) instance.start();
        for (let round = 0; round < 5; round++) {
          await Promise.all(organizations.map((o, i) => instances[(i + round) % 2]!.enqueue({ organisationIdentifier: o, focus: buildPasResponseBundle() })));
        }
        await receiver.waitFor(4 + 4 * 5, 15_000);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(receiver.received.length, 24, 'nothing sent twice');
        for (const s of created) {
          const toIt = receiver.received.filter((n) => String(statusParameter(n.body, 'subscription')).endsWith(s.id!));
          assert.deepEqual(toIt.map((n) => statusParameter(n.body, 'type')), ['handshake', ...Array(5).fill('event-notification')]);
          assert.deepEqual(toIt.slice(1).map((n) => eventNumbers(n.body)[0]), ['1', '2', '3', '4', '5']);
        }
      } finally {
        await Promise.all(instances.map((i) => i.stop()));
        outbound.close();
        await receiver.close();
      }
    });
  });
}
