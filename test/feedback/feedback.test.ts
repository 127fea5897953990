import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Express } from 'express';
import request from 'supertest';
import { SqliteDecisionStore } from '../../src/store/sqlite-decision-store.js';
import { buildProcedure, cpt } from '../support/fhir-factories.js';
import { buildFeedbackItem, buildFeedbackRequest } from '../support/feedback-requests.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp, postHook } from '../support/test-app.js';

type Json = Record<string, unknown>;
const OVERRIDE_SYSTEM = 'https://www.carepartnersct.com/fhir/CodeSystem/crd-override-reason';

async function postFeedback(app: Express, body: unknown, serviceId = ORDER_SIGN) {
  const res = await request(app).post(`/cds-services/${serviceId}/feedback`).send(body as object);
  if (res.status !== 200) assertAnswerConforms(res, serviceId, body);
  return res;
}

/** Signs an order for a patient with prior CAR-T: the answer has a warning card with override reasons. */
async function signWithWarning(app: Express) {
  const body = buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] }) });
  const res = await postHook(app, ORDER_SIGN, body);
  const cards = res.body.cards as Json[];
  const warning = cards.find((c) => c['indicator'] === 'warning')!;
  const info = cards.find((c) => c['indicator'] === 'info')!;
  return { hookInstance: body['hookInstance'] as string, warning: warning['uuid'] as string, info: info['uuid'] as string };
}

describe('POST /cds-services/{id}/feedback (CDS Hooks 2.0 feedback)', () => {
  it('stores an override with a reason from the card, linked to the decision through the card uuid', async () => {
    const { app, store } = createTestApp();
    const { hookInstance, warning } = await signWithWarning(app);
    const body = buildFeedbackRequest(
      buildFeedbackItem({ card: warning, overrideReason: { reason: { system: OVERRIDE_SYSTEM, code: 'record-incorrect', display: 'The record is wrong' }, userComment: 'Trial product was not CAR-T' } }),
    );
    const res = await postFeedback(app, body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { feedback: [{ card: warning, status: 'stored', linked: true }] });
    const [call] = await store.findHookCalls(hookInstance);
    const [stored] = await store.findFeedback(warning);
    assert.equal(stored?.callId, call?.callId);
    assert.equal(stored?.outcome, 'overridden');
    assert.deepEqual(stored?.overrideReason, { system: OVERRIDE_SYSTEM, code: 'record-incorrect', display: 'The record is wrong' });
    assert.equal(stored?.reasonOffered, true);
    assert.equal(stored?.userComment, 'Trial product was not CAR-T');
    assert.equal(stored?.clientIss, 'open-development-mode');
    assert.equal(stored?.serviceId, ORDER_SIGN);
  });

  it('accepts an accepted card with its acceptedSuggestions (the spec example)', async () => {
    const { app, store } = createTestApp();
    const { info } = await signWithWarning(app);
    const res = await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: info, outcome: 'accepted', acceptedSuggestions: [{ id: 'e56e1945-20b3-4393-8503-a1a20fd73152' }], outcomeTimestamp: '2021-12-11T10:05:31Z' })));
    assert.equal(res.status, 200);
    const [stored] = await store.findFeedback(info);
    assert.deepEqual(stored?.acceptedSuggestions, ['e56e1945-20b3-4393-8503-a1a20fd73152']);
    assert.equal(stored?.outcomeTimestamp.toISOString(), '2021-12-11T10:05:31.000Z');
  });

  it('accepts an override without a reason (the spec example)', async () => {
    const { app, store } = createTestApp();
    const { warning } = await signWithWarning(app);
    assert.equal((await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: warning })))).status, 200);
    const [stored] = await store.findFeedback(warning);
    assert.equal(stored?.overrideReason, undefined);
    assert.equal(stored?.reasonOffered, undefined);
  });

  it("accepts an override reason outside the card's list (CDS Hooks lets the client send its own), marked as not offered", async () => {
    const { app, store } = createTestApp();
    const { warning } = await signWithWarning(app);
    const res = await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: warning, overrideReason: { reason: { code: 'd7ecf885', system: 'https://example.com/cds-hooks/override-reason-system' } } })));
    assert.equal(res.status, 200);
    const [stored] = await store.findFeedback(warning);
    assert.equal(stored?.overrideReason?.code, 'd7ecf885');
    assert.equal(stored?.reasonOffered, false);
  });

  it('accepts the sandbox shape: overrideReason.reason with only code and system', async () => {
    const { app, store } = createTestApp();
    const { warning } = await signWithWarning(app);
    const res = await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: warning, overrideReason: { reason: { code: 'record-incorrect', system: OVERRIDE_SYSTEM } } })));
    assert.equal(res.status, 200);
    assert.equal((await store.findFeedback(warning))[0]?.reasonOffered, true);
  });

  it('reads a bare Coding as overrideReason (the pre-2020 sandbox) as the reason', async () => {
    const { app, store } = createTestApp();
    const { warning } = await signWithWarning(app);
    const res = await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: warning, overrideReason: { code: 'record-incorrect', system: OVERRIDE_SYSTEM, display: 'wrong record' } })));
    assert.equal(res.status, 200);
    assert.deepEqual((await store.findFeedback(warning))[0]?.overrideReason, { system: OVERRIDE_SYSTEM, code: 'record-incorrect', display: 'wrong record' });
  });

  it('is idempotent: the same card, outcome and outcomeTimestamp twice is one record, even written with another offset', async () => {
    const { app, store } = createTestApp();
    const { warning } = await signWithWarning(app);
    const item = buildFeedbackItem({ card: warning, outcomeTimestamp: '2026-06-15T14:34:00Z' });
    assert.equal((await postFeedback(app, buildFeedbackRequest(item))).body.feedback[0].status, 'stored');
    const again = await postFeedback(app, buildFeedbackRequest({ ...item, outcomeTimestamp: '2026-06-15T10:34:00.000-04:00' }));
    assert.equal(again.status, 200);
    assert.equal(again.body.feedback[0].status, 'already-stored');
    assert.equal((await store.findFeedback(warning)).length, 1);
  });

  it('takes a batch of feedback for several hook calls and cards', async () => {
    const { app, store } = createTestApp();
    const a = await signWithWarning(app);
    const b = await signWithWarning(app);
    const res = await postFeedback(
      app,
      buildFeedbackRequest(buildFeedbackItem({ card: a.warning }), buildFeedbackItem({ card: a.info, outcome: 'accepted' }), buildFeedbackItem({ card: b.warning, overrideReason: { userComment: 'will send records' } })),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.feedback.map((f: { status: string; linked: boolean }) => [f.status, f.linked]),
      [
        ['stored', true],
        ['stored', true],
        ['stored', true],
      ],
    );
    assert.equal((await store.findFeedback(b.warning))[0]?.userComment, 'will send records');
  });

  it('keeps feedback on a card it does not know, unlinked', async () => {
    const { app } = createTestApp();
    const res = await postFeedback(app, buildFeedbackRequest(buildFeedbackItem({ card: 'f6b95768-b1c8-40dc-8385-bf3504b82ffb' })));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.feedback, [{ card: 'f6b95768-b1c8-40dc-8385-bf3504b82ffb', status: 'stored', linked: false }]);
  });

  it('takes feedback on the order-select service too', async () => {
    const { app } = createTestApp();
    assert.equal((await postFeedback(app, buildFeedbackRequest(), ORDER_SELECT)).status, 200);
  });

  it('answers 404 for an unknown service', async () => {
    const { app } = createTestApp();
    const res = await postFeedback(app, buildFeedbackRequest(), 'no-such-service');
    assert.equal(res.status, 404);
    assert.match(res.body.issue[0].details.text, /no CDS service "no-such-service"/);
  });

  describe('answers 400 with every reason for malformed feedback', () => {
    const cases: [string, unknown, string[]][] = [
      ['a body that is not an object', [1, 2], ['']],
      ['no feedback array', { cards: [] }, ['feedback']],
      ['an empty feedback array', { feedback: [] }, ['feedback']],
      ['a missing card and an unknown outcome', { feedback: [{ outcome: 'ignored', outcomeTimestamp: '2026-06-15T14:34:00Z' }] }, ['feedback[0].card', 'feedback[0].outcome']],
      ['a missing outcomeTimestamp', { feedback: [{ card: 'c', outcome: 'accepted' }] }, ['feedback[0].outcomeTimestamp']],
      ['an outcomeTimestamp that is not a date-time', { feedback: [{ card: 'c', outcome: 'accepted', outcomeTimestamp: 'yesterday' }] }, ['feedback[0].outcomeTimestamp']],
      ['an override reason without a code', { feedback: [buildFeedbackItem({ overrideReason: { reason: { system: OVERRIDE_SYSTEM } } })] }, ['feedback[0].overrideReason.reason.code']],
      ['an override reason on an accepted card', { feedback: [buildFeedbackItem({ outcome: 'accepted', overrideReason: { userComment: 'x' } })] }, ['feedback[0].overrideReason']],
      ['acceptedSuggestions that are not objects with an id', { feedback: [buildFeedbackItem({ outcome: 'accepted', acceptedSuggestions: ['s1'] as unknown as { id: string }[] })] }, ['feedback[0].acceptedSuggestions[0]']],
    ];
    for (const [name, body, paths] of cases) {
      it(name, async () => {
        const { app } = createTestApp();
        const res = await postFeedback(app, body);
        assert.equal(res.status, 400);
        const expressions = (res.body.issue as { expression?: string[] }[]).map((i) => i.expression?.[0] ?? '');
        for (const p of paths) assert.ok(expressions.includes(p), `expected an issue at "${p}", got ${JSON.stringify(res.body.issue)}`);
      });
    }
  });

  it('answers 503 when the store cannot write', async () => {
    const store = new SqliteDecisionStore({ path: ':memory:', synchronous: 'NORMAL' });
    const { app } = createTestApp({}, { store });
    await store.close();
    const res = await postFeedback(app, buildFeedbackRequest());
    assert.equal(res.status, 503);
    assert.equal(res.body.issue[0].code, 'transient');
  });
});
