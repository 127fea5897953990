import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { buildCondition, buildEncounter, buildTecartusOrder, icd10cm } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN, type HookRequestOptions } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();
const ORDER = 'MedicationRequest/tecartus-order-1';
type Json = Record<string, unknown>;

/**
 * A Tecartus order whose answer has a card of every type: a non-qualifying
 * diagnosis (off-guideline), refills (limits), an ambulatory encounter
 * (appropriate-use), the Instructions (coverage-info) and the External
 * Reference (guideline).
 */
function everyCardType(options: HookRequestOptions = {}): HookRequestOptions {
  return {
    orders: [buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 1 } })],
    encounterId: 'enc-1',
    record: eligibleMantleCellRecord({
      conditions: [buildCondition({ code: icd10cm('C50.911', 'Malignant neoplasm of right female breast') })],
      encounter: buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } }),
    }),
    ...options,
  };
}

/** A Tecartus order with exactly one finding: refills (a limits card). */
function oneFinding(configuration?: Json): HookRequestOptions {
  return {
    orders: [buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 2 } })],
    ...(configuration ? { extension: { 'davinci-crd.configuration': configuration } } : {}),
  };
}

async function sign(options: HookRequestOptions, serviceId = ORDER_SIGN) {
  const res = await postHook(app, serviceId, buildHookRequest(options));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Json;
}

const topics = (body: Json) => cardsOf(body).map((c) => c.topic);
const INSTRUCTIONS = /^Prior authorization required for Tecartus/;
const REFERENCE = /^Tecartus medical necessity guideline/;

describe('davinci-crd.configuration (CRD dev-5, dev-17)', () => {
  it('by default every card type is returned', async () => {
    const body = await sign(everyCardType());
    assert.deepEqual([...new Set(topics(body))].sort(), ['appropriate-use', 'coverage-info', 'guideline', 'limits', 'off-guideline']);
    assert.equal((body['systemActions'] as unknown[]).length, 1);
  });

  describe('coverage-info: false', () => {
    it('leaves out the coverage-information system action and the Instructions card', async () => {
      const body = await sign(everyCardType({ extension: { 'davinci-crd.configuration': { 'coverage-info': false } } }));
      assert.deepEqual(body['systemActions'], []);
      assert.ok(!topics(body).includes('coverage-info'));
      assert.ok(!cardsOf(body).some((c) => INSTRUCTIONS.test(c.summary)));
      assert.deepEqual([...new Set(topics(body))].sort(), ['appropriate-use', 'guideline', 'limits', 'off-guideline'], 'the other cards stay');
    });

    it('on order-select too', async () => {
      const res = await postHook(app, ORDER_SELECT, buildHookRequest({ hook: 'order-select', extension: { 'davinci-crd.configuration': { 'coverage-info': false } } }));
      assert.equal(res.status, 200);
      assert.equal(res.body['systemActions'], undefined);
      assert.ok(!cardsOf(res.body).some((c) => INSTRUCTIONS.test(c.summary)));
    });
  });

  describe('a card type switched off is never returned', () => {
    for (const topic of ['guideline', 'off-guideline', 'limits', 'appropriate-use'] as const) {
      it(`${topic}: false removes the ${topic} cards and nothing else`, async () => {
        const all = topics(await sign(everyCardType()));
        const body = await sign(everyCardType({ extension: { 'davinci-crd.configuration': { [topic]: false } } }));
        assert.ok(all.includes(topic));
        assert.deepEqual(topics(body), all.filter((t) => t !== topic));
        assert.equal((body['systemActions'] as unknown[]).length, 1, 'coverage information is still sent');
      });
    }

    it('a switched-off card type still counts in the coverage information (the reason stays)', async () => {
      const body = await sign(oneFinding({ limits: false }));
      assert.ok(!topics(body).includes('limits'));
      const info = coverageInformationFor(body, ORDER);
      assert.equal(info?.covered, 'conditional');
      assert.ok(info?.reasons.includes('repeat-dosing'));
    });

    it('all card types and coverage-info off: {cards: [], systemActions: []}', async () => {
      const off = { 'coverage-info': false, guideline: false, 'off-guideline': false, limits: false, 'appropriate-use': false };
      assert.deepEqual(await sign(everyCardType({ extension: { 'davinci-crd.configuration': off } })), { cards: [], systemActions: [] });
    });
  });

  describe('max-cards: findings first, then Instructions, then External Reference', () => {
    it('without max-cards: the finding, the Instructions, the External Reference', async () => {
      const cards = cardsOf(await sign(oneFinding()));
      assert.equal(cards.length, 3);
      assert.equal(cards[0]!.topic, 'limits');
      assert.match(cards[1]!.summary, INSTRUCTIONS);
      assert.match(cards[2]!.summary, REFERENCE);
    });

    it('max-cards 1 with a finding: only the finding', async () => {
      const cards = cardsOf(await sign(oneFinding({ 'max-cards': 1 })));
      assert.deepEqual(
        cards.map((c) => c.topic),
        ['limits'],
      );
      assert.equal(cards[0]!.indicator, 'warning');
    });

    it('max-cards 2 with a finding: the finding and the Instructions', async () => {
      const cards = cardsOf(await sign(oneFinding({ 'max-cards': 2 })));
      assert.equal(cards.length, 2);
      assert.equal(cards[0]!.topic, 'limits');
      assert.match(cards[1]!.summary, INSTRUCTIONS);
    });

    it('max-cards 1 without findings: the Instructions', async () => {
      const cards = cardsOf(await sign({ extension: { 'davinci-crd.configuration': { 'max-cards': 1 } } }));
      assert.equal(cards.length, 1);
      assert.match(cards[0]!.summary, INSTRUCTIONS);
    });

    it('more findings than max-cards: the findings fill the cards, most serious first', async () => {
      const body = await sign(everyCardType({ extension: { 'davinci-crd.configuration': { 'max-cards': 2 } } }));
      const cards = cardsOf(body);
      assert.equal(cards.length, 2);
      assert.ok(cards.every((c) => c.indicator === 'warning'), 'findings only');
      assert.ok(!cards.some((c) => c.topic === 'appropriate-use'), 'the outpatient note (no effect on coverage) is cut before the conditional findings');
    });

    it('max-cards 0: no cards, but the system action is still there', async () => {
      const body = await sign(oneFinding({ 'max-cards': 0 }));
      assert.deepEqual(body['cards'], []);
      assert.equal((body['systemActions'] as unknown[]).length, 1);
    });

    it('max-cards together with a switched-off type counts only the cards that are left', async () => {
      const cards = cardsOf(await sign(oneFinding({ limits: false, 'max-cards': 1 })));
      assert.equal(cards.length, 1);
      assert.match(cards[0]!.summary, INSTRUCTIONS);
    });
  });

  it('unknown settings are ignored (CRD dev-17)', async () => {
    const plain = await sign(oneFinding());
    const body = await sign(oneFinding({ 'alt-drug': true, 'dtr-clin': false, cost: false, claim: false, 'x-vendor': { anything: [1] }, coverage: 'yes' }));
    assert.deepEqual(topics(body), topics(plain));
    assert.equal((body['systemActions'] as unknown[]).length, 1);
  });

  it('configuration is honoured by order-select as well', async () => {
    const res = await postHook(
      app,
      ORDER_SELECT,
      buildHookRequest({ ...oneFinding({ 'max-cards': 1 }), hook: 'order-select' }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(topics(res.body), ['limits']);
  });

  it('an empty configuration changes nothing', async () => {
    const body = await sign(oneFinding({}));
    assert.equal(cardsOf(body).length, 3);
  });

});
