import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cardsOf } from '../support/coverage-information.js';
import { buildEncounter, buildTecartusOrder } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();

describe('Evidence lines of the order checks (outpatient setting, one infusion)', () => {
  it('an outpatient order category is named by its code, not read as a timing', async () => {
    const order = buildTecartusOrder({ category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient', display: 'Outpatient' }] }] });
    const encounter = buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [order], encounterId: encounter.id!, record: eligibleMantleCellRecord({ encounter }) }));
    const card = cardsOf(res.body).find((c) => c.topic === 'appropriate-use');
    assert.ok(card);
    assert.match(card.detail, /MedicationRequest\/tecartus-order-1: order category outpatient/);
    assert.doesNotMatch(card.detail, /repeat/);
  });

  it('a repeating dosage timing is still described by its repeat', async () => {
    const order = buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }] });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [order] }));
    const card = cardsOf(res.body).find((c) => /one-time infusion, but this order/.test(c.summary));
    assert.ok(card);
    assert.match(card.detail, /dosage timing that repeats: frequency 2 per 1 d/);
  });

  it('a single bounded infusion (frequency 1 within one day) is not repeat dosing and is never called a timing that repeats', async () => {
    const once = buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 1, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' } } } }] });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [once] }));
    assert.ok(!cardsOf(res.body).some((c) => /timing that repeats|one-time infusion, but/.test(c.summary + c.detail)));
  });

  it('count 1 is a single infusion', async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { count: 1, frequency: 1, period: 1, periodUnit: 'd' } } }] })] }));
    assert.ok(!cardsOf(res.body).some((c) => /one-time infusion, but/.test(c.summary)));
  });

  it('two dosage instructions on one order ask for more than one infusion', async () => {
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [buildTecartusOrder({ dosageInstruction: [{ text: 'Infuse' }, { text: 'Infuse again if needed' }] })] }));
    const card = cardsOf(res.body).find((c) => /one-time infusion, but this order/.test(c.summary));
    assert.ok(card);
    assert.match(card.detail, /2 dosage instructions/);
  });

  it('two Tecartus orders signed together: repeat dosing on each', async () => {
    const a = buildTecartusOrder({ id: 'tec-a' });
    const b = buildTecartusOrder({ id: 'tec-b' });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [a, b] }));
    const cards = cardsOf(res.body).filter((c) => /one-time infusion, but this order/.test(c.summary));
    assert.equal(cards.length, 2);
    for (const card of cards) assert.match(card.detail, /2 Tecartus orders are signed together/);
  });
});
