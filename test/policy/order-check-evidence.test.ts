import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cardsOf } from '../support/coverage-information.js';
import { buildEncounter, buildTecartusOrder } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();

describe('Evidence lines of the order checks (outpatient setting, one infusion)', () => {
  it('an outpatient order category and an ambulatory encounter are named by their codes, not read as a timing', async () => {
    const order = buildTecartusOrder({ category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient', display: 'Outpatient' }] }] });
    const encounter = buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [order], encounterId: encounter.id!, record: eligibleMantleCellRecord({ encounter }) }));
    const card = cardsOf(res.body).find((c) => c.topic === 'appropriate-use');
    assert.ok(card);
    assert.match(card.detail, /order category outpatient or community \(MedicationRequest\.category\): Outpatient/);
    assert.match(card.detail, /encounter class ambulatory \(AMB\): AMB/);
    assert.doesNotMatch(card.detail, /repeating timing/);
  });

  it('a repeating dosage timing is still described by its repeat', async () => {
    const order = buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }] });
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ orders: [order] }));
    const card = cardsOf(res.body).find((c) => /one-time infusion, but this order/.test(c.summary));
    assert.ok(card);
    assert.match(card.detail, /dosage timing that repeats: frequency 2, period 1, periodUnit d/);
  });
});
