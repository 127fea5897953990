import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DecisionStore } from '../../src/store/decision-store.js';
import type { ReviewerSessionRecord } from '../../src/store/reviewer-session-store.js';
import { buildCardRecord, buildFeedbackRecord, buildHookCallRecord, buildOrderDecisionRecord } from '../support/decision-records.js';

/** Compares as JSON would: members that are undefined are absent. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null)) as unknown;

export interface StoreUnderTest {
  /** Opens a store on the test database (the same one each time). */
  readonly open: () => DecisionStore;
  /** Removes the test database once the suite is done. */
  readonly dispose: () => Promise<void>;
}

/**
 * The decision store's behaviour, the same for every implementation: the
 * SQLite and PostgreSQL test files run this suite against a real database.
 */
export function decisionStoreContract(name: string, setup: () => Promise<StoreUnderTest>): void {
  describe(`${name} decision store`, () => {
    let subject: StoreUnderTest;
    let store: DecisionStore;

    before(async () => {
      subject = await setup();
      store = subject.open();
      await store.ready();
    });
    after(async () => {
      await store?.close();
      await subject?.dispose();
    });

    describe('hook calls (CRD found-37: a log of every hook call and answer)', () => {
      it('keeps an answered call with its orders, criteria, coverage information and cards, found again by hookInstance', async () => {
        const call = buildHookCallRecord();
        assert.equal(await store.recordHookCall(call), 'recorded');
        const [stored, ...more] = await store.findHookCalls(call.hookInstance);
        assert.equal(more.length, 0);
        assert.ok(stored);
        const { callId, ...rest } = stored;
        assert.match(callId, /^[0-9a-f-]{36}$/);
        assert.deepEqual(rest, call);
      });

      it('keeps a call that judged no Tecartus order (nothing to say is also an answer)', async () => {
        const call = buildHookCallRecord({ orders: [], cards: [] });
        await store.recordHookCall(call);
        const [stored] = await store.findHookCalls(call.hookInstance);
        assert.deepEqual(stored?.orders, []);
        assert.deepEqual(stored?.cards, []);
      });

      it('the same answer recorded twice is one record, never an error', async () => {
        const call = buildHookCallRecord();
        assert.equal(await store.recordHookCall(call), 'recorded');
        assert.equal(await store.recordHookCall({ ...call, answeredAt: new Date(call.answeredAt.getTime() + 1000) }), 'already-recorded');
        assert.equal((await store.findHookCalls(call.hookInstance)).length, 1);
      });

      it('a retried hookInstance answered anew (new card uuids) is kept as a second answer', async () => {
        const first = buildHookCallRecord();
        const retry = buildHookCallRecord({ hookInstance: first.hookInstance, answeredAt: new Date(first.answeredAt.getTime() + 2000) });
        assert.equal(await store.recordHookCall(first), 'recorded');
        assert.equal(await store.recordHookCall(retry), 'recorded');
        const calls = await store.findHookCalls(first.hookInstance);
        assert.deepEqual(
          calls.map((c) => c.responseSha256),
          [first.responseSha256, retry.responseSha256],
        );
      });

      it('the same hookInstance from two clients is two calls', async () => {
        const a = buildHookCallRecord();
        const b = { ...a, clientIss: 'https://other-ehr.example.org' };
        assert.equal(await store.recordHookCall(a), 'recorded');
        assert.equal(await store.recordHookCall(b), 'recorded');
        assert.equal((await store.findHookCalls(a.hookInstance)).length, 2);
      });

      it('records concurrent calls without losing any', async () => {
        const calls = Array.from({ length: 25 }, () => buildHookCallRecord());
        const results = await Promise.all(calls.map((c) => store.recordHookCall(c)));
        assert.deepEqual(new Set(results), new Set(['recorded']));
        for (const c of calls) assert.equal((await store.findHookCalls(c.hookInstance)).length, 1, c.hookInstance);
      });

      it('a write that fails midway leaves nothing recorded (one transaction per call)', async () => {
        const broken = buildOrderDecisionRecord({ order: null as unknown as string });
        const call = buildHookCallRecord({ orders: [buildOrderDecisionRecord(), broken] });
        await assert.rejects(store.recordHookCall(call));
        assert.deepEqual(await store.findHookCalls(call.hookInstance), []);
        assert.equal(await store.findAssertion(call.orders[0]!.coverageInformation!.assertionId), undefined);
        assert.equal(await store.recordHookCall({ ...call, orders: [call.orders[0]!] }), 'recorded', 'the retry is recorded in full');
      });

      it('a write that fails among concurrent ones fails alone: the others are recorded', async () => {
        const broken = buildHookCallRecord({ orders: [buildOrderDecisionRecord({ order: null as unknown as string })] });
        const good = Array.from({ length: 5 }, () => buildHookCallRecord());
        const results = await Promise.allSettled([good[0]!, broken, ...good.slice(1)].map((c) => store.recordHookCall(c)));
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
        );
        assert.deepEqual(await store.findHookCalls(broken.hookInstance), []);
        for (const c of good) assert.equal((await store.findHookCalls(c.hookInstance)).length, 1, c.hookInstance);
      });

      it('the same answer recorded twice at once is one record', async () => {
        const call = buildHookCallRecord();
        const results = await Promise.all([store.recordHookCall(call), store.recordHookCall({ ...call })]);
        assert.deepEqual(results.sort(), ['already-recorded', 'recorded']);
        assert.equal((await store.findHookCalls(call.hookInstance)).length, 1);
      });

      it('a card uuid repeated within an answer is kept once', async () => {
        const card = buildCardRecord();
        const call = buildHookCallRecord({ cards: [card, { ...card }] });
        assert.equal(await store.recordHookCall(call), 'recorded');
        assert.equal((await store.findHookCalls(call.hookInstance))[0]?.cards.length, 1);
      });
    });

    describe('coverage assertions (the look-up DTR, PAS and claims use)', () => {
      it('finds the assertion behind a coverage-assertion-id: order, decision, reasons, policy version', async () => {
        const order = buildOrderDecisionRecord();
        const call = buildHookCallRecord({ orders: [order] });
        await store.recordHookCall(call);
        const assertion = await store.findAssertion(order.coverageInformation!.assertionId);
        assert.ok(assertion);
        assert.equal(assertion.patientId, 'pat-1');
        assert.equal(assertion.coverage, 'Coverage/cov-1');
        assert.equal(assertion.hook, 'order-sign');
        assert.deepEqual(assertion.firstAssertedAt, call.answeredAt);
        assert.deepEqual(assertion.orders, [order]);
      });

      it('one id covering all Tecartus orders on one Coverage returns every order', async () => {
        const assertionId = randomUUID();
        const info = buildOrderDecisionRecord().coverageInformation!;
        const orders = ['MedicationRequest/a', 'ServiceRequest/b'].map((order) => buildOrderDecisionRecord({ order, coverageInformation: { ...info, assertionId } }));
        await store.recordHookCall(buildHookCallRecord({ orders }));
        const assertion = await store.findAssertion(assertionId);
        assert.deepEqual(
          assertion?.orders.map((o) => o.order),
          ['MedicationRequest/a', 'ServiceRequest/b'],
        );
      });

      it('a re-sign carrying the same id is the same assertion, first and last asserted kept', async () => {
        const order = buildOrderDecisionRecord();
        const first = buildHookCallRecord({ orders: [order], answeredAt: new Date('2026-06-15T10:00:00Z') });
        const resign = buildHookCallRecord({ orders: [{ ...order, coverageInformation: { ...order.coverageInformation!, sent: false } }], answeredAt: new Date('2026-06-16T09:00:00Z') });
        await store.recordHookCall(resign);
        await store.recordHookCall(first);
        const assertion = await store.findAssertion(order.coverageInformation!.assertionId);
        assert.equal(assertion?.orders.length, 1);
        assert.equal(assertion?.orders[0]?.coverageInformation?.sent, true, 'the first assertion is the one shown');
        assert.deepEqual(assertion?.firstAssertedAt, first.answeredAt);
        assert.deepEqual(assertion?.lastAssertedAt, resign.answeredAt);
      });

      it('an unknown id finds nothing', async () => {
        assert.equal(await store.findAssertion('no-such-assertion'), undefined);
      });
    });

    describe('feedback (CDS Hooks 2.0 feedback)', () => {
      it('links feedback to the decision through the card uuid and marks a reason the card offered', async () => {
        const card = buildCardRecord();
        const call = buildHookCallRecord({ cards: [card] });
        await store.recordHookCall(call);
        const [callId] = (await store.findHookCalls(call.hookInstance)).map((c) => c.callId);
        const feedback = buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss, userComment: 'Prior CAR-T was at another hospital, in a trial' });
        assert.deepEqual(await store.recordFeedback([feedback]), [{ card: card.uuid, status: 'stored', linked: true }]);
        assert.deepEqual(plain(await store.findFeedback(card.uuid)), plain([{ ...feedback, callId, reasonOffered: true }]));
      });

      it('the same card, outcome and outcomeTimestamp twice is one record', async () => {
        const card = buildCardRecord();
        const call = buildHookCallRecord({ cards: [card] });
        await store.recordHookCall(call);
        const feedback = buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss });
        await store.recordFeedback([feedback]);
        assert.deepEqual(await store.recordFeedback([{ ...feedback, receivedAt: new Date() }]), [{ card: card.uuid, status: 'already-stored', linked: true }]);
        assert.equal((await store.findFeedback(card.uuid)).length, 1);
        await store.recordFeedback([{ ...feedback, outcomeTimestamp: new Date('2026-06-15T15:00:00Z') }]);
        assert.equal((await store.findFeedback(card.uuid)).length, 2, 'a later outcome is new feedback');
      });

      it('an override reason outside the card list is kept and marked as not offered', async () => {
        const card = buildCardRecord();
        const call = buildHookCallRecord({ cards: [card] });
        await store.recordHookCall(call);
        const feedback = buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss, overrideReason: { system: 'https://ehr.example.org/reasons', code: 'patient-declined' } });
        await store.recordFeedback([feedback]);
        const [stored] = await store.findFeedback(card.uuid);
        assert.deepEqual(plain(stored?.overrideReason), { system: 'https://ehr.example.org/reasons', code: 'patient-declined' });
        assert.equal(stored?.reasonOffered, false);
      });

      it('a reason given with only its code matches the card list on the code', async () => {
        const card = buildCardRecord();
        const call = buildHookCallRecord({ cards: [card] });
        await store.recordHookCall(call);
        await store.recordFeedback([buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss, overrideReason: { code: 'record-incorrect' } })]);
        assert.equal((await store.findFeedback(card.uuid))[0]?.reasonOffered, true);
      });

      it('feedback on an unknown card is kept, unlinked', async () => {
        const feedback = buildFeedbackRecord({ outcome: 'accepted', overrideReason: undefined, acceptedSuggestions: ['s-1'] });
        assert.deepEqual(await store.recordFeedback([feedback]), [{ card: feedback.card, status: 'stored', linked: false }]);
        assert.deepEqual(plain(await store.findFeedback(feedback.card)), plain([feedback]));
      });

      it("feedback from another client on a card is not linked to the first client's decision", async () => {
        const card = buildCardRecord();
        await store.recordHookCall(buildHookCallRecord({ cards: [card] }));
        const [outcome] = await store.recordFeedback([buildFeedbackRecord({ card: card.uuid, clientIss: 'https://intruder.example.org' })]);
        assert.equal(outcome?.linked, false);
        assert.equal((await store.findFeedback(card.uuid))[0]?.callId, undefined);
      });

      it('a batch covering several calls and cards is stored in one go', async () => {
        const calls = [buildHookCallRecord(), buildHookCallRecord()];
        for (const c of calls) await store.recordHookCall(c);
        const items = calls.flatMap((c) => c.cards.map((k) => buildFeedbackRecord({ card: k.uuid, clientIss: c.clientIss, outcome: 'accepted', overrideReason: undefined })));
        const outcomes = await store.recordFeedback(items);
        assert.equal(outcomes.length, 4);
        assert.ok(outcomes.every((o) => o.status === 'stored' && o.linked));
      });
    });

    describe('report rows', () => {
      it('returns decisions and feedback since the given moment, with finding codes and the card finding', async () => {
        const since = new Date('2030-01-01T00:00:00Z');
        const card = buildCardRecord({ finding: 'age-under-18' });
        const order = buildOrderDecisionRecord({
          order: 'MedicationRequest/report-1',
          determination: 'not-covered',
          findings: [
            { code: 'age-under-18', determination: 'not-covered', evidence: ['Patient/pat-1'] },
            { code: 'rr-status-undocumented', determination: 'conditional', evidence: [] },
          ],
        });
        const call = buildHookCallRecord({ answeredAt: new Date('2030-01-02T12:00:00Z'), orders: [order], cards: [card] });
        await store.recordHookCall(call);
        await store.recordHookCall(buildHookCallRecord({ answeredAt: new Date('2029-12-31T23:59:59Z') }));
        await store.recordFeedback([buildFeedbackRecord({ card: card.uuid, clientIss: call.clientIss, outcomeTimestamp: new Date('2030-01-02T12:05:00Z') })]);
        const rows = await store.reportRows(since);
        assert.deepEqual(rows.decisions, [
          {
            answeredAt: call.answeredAt,
            callKey: `${call.clientIss} ${call.hookInstance}`,
            order: 'MedicationRequest/report-1',
            determination: 'not-covered',
            findings: ['age-under-18', 'rr-status-undocumented'],
          },
        ]);
        assert.deepEqual(rows.feedback, [{ outcomeTimestamp: new Date('2030-01-02T12:05:00Z'), outcome: 'overridden', reason: 'record-incorrect', finding: 'age-under-18' }]);
      });
    });

    describe('retention', () => {
      it('purges hook calls with their decisions and cards, and feedback, older than the cutoff; keeps the rest', async () => {
        const old = buildHookCallRecord({ answeredAt: new Date('2001-01-01T00:00:00Z') });
        const recent = buildHookCallRecord({ answeredAt: new Date('2001-03-01T00:00:00Z') });
        await store.recordHookCall(old);
        await store.recordHookCall(recent);
        const oldFeedback = buildFeedbackRecord({ card: old.cards[0]!.uuid, clientIss: old.clientIss, receivedAt: new Date('2001-01-01T00:05:00Z') });
        const recentFeedback = buildFeedbackRecord({ card: recent.cards[0]!.uuid, clientIss: recent.clientIss, receivedAt: new Date('2001-03-01T00:05:00Z') });
        await store.recordFeedback([oldFeedback, recentFeedback]);

        const counts = await store.purgeBefore(new Date('2001-02-01T00:00:00Z'));
        assert.ok(counts.hookCalls >= 1 && counts.feedback >= 1, JSON.stringify(counts));
        assert.deepEqual(await store.findHookCalls(old.hookInstance), []);
        assert.equal(await store.findAssertion(old.orders[0]!.coverageInformation!.assertionId), undefined);
        assert.deepEqual(await store.findFeedback(oldFeedback.card), []);
        assert.equal((await store.findHookCalls(recent.hookInstance)).length, 1);
        assert.ok(await store.findAssertion(recent.orders[0]!.coverageInformation!.assertionId));
        assert.equal((await store.findFeedback(recentFeedback.card)).length, 1);
        assert.deepEqual(await store.purgeBefore(new Date('2001-02-01T00:00:00Z')), { hookCalls: 0, feedback: 0 });
      });
    });

    describe("reviewer's page sessions (migration 6)", () => {
      const session = (overrides: Partial<ReviewerSessionRecord> = {}): ReviewerSessionRecord => ({
        tokenSha256: randomUUID(),
        username: 'rnurse',
        role: 'reviewer',
        csrfToken: randomUUID(),
        createdAt: new Date('2026-06-15T12:00:00.000Z'),
        expiresAt: new Date('2026-06-15T12:30:00.000Z'),
        ...overrides,
      });

      it('a session is found by its token hash until it expires, with its user, role and CSRF token', async () => {
        const s = session();
        await store.reviewerSessions().create(s);
        assert.deepEqual(await store.reviewerSessions().find(s.tokenSha256, new Date('2026-06-15T12:29:59.000Z')), s);
        assert.equal(await store.reviewerSessions().find(s.tokenSha256, new Date('2026-06-15T12:30:00.000Z')), undefined);
      });

      it('extended by use; ended by sign-out on every store sharing the database', async () => {
        const s = session();
        await store.reviewerSessions().create(s);
        await store.reviewerSessions().extend(s.tokenSha256, new Date('2026-06-15T13:00:00.000Z'));
        assert.ok(await store.reviewerSessions().find(s.tokenSha256, new Date('2026-06-15T12:45:00.000Z')));
        const other = subject.open();
        try {
          await other.reviewerSessions().delete(s.tokenSha256);
        } finally {
          await other.close();
        }
        assert.equal(await store.reviewerSessions().find(s.tokenSha256, new Date('2026-06-15T12:45:00.000Z')), undefined);
      });

      it('ended sessions are removed; live ones stay', async () => {
        const ended = session({ expiresAt: new Date('2001-01-01T00:00:00.000Z'), createdAt: new Date('2001-01-01T00:00:00.000Z') });
        const live = session({ expiresAt: new Date('2099-01-01T00:00:00.000Z') });
        await store.reviewerSessions().create(ended);
        await store.reviewerSessions().create(live);
        assert.ok((await store.reviewerSessions().deleteExpired(new Date('2026-01-01T00:00:00.000Z'))) >= 1);
        assert.ok(await store.reviewerSessions().find(live.tokenSha256, new Date('2026-01-01T00:00:00.000Z')));
        assert.equal(await store.reviewerSessions().find(ended.tokenSha256, new Date('2000-06-01T00:00:00.000Z')), undefined);
      });
    });

    describe('migrations', () => {
      it('run on start and again without harm: a second store on the same database sees the records', async () => {
        const call = buildHookCallRecord();
        await store.recordHookCall(call);
        const again = subject.open();
        try {
          await again.ready();
          assert.equal((await again.findHookCalls(call.hookInstance)).length, 1);
        } finally {
          await again.close();
        }
      });
    });

  });
}
