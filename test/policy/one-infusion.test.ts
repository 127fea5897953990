import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTecartusOrder, buildTecartusServiceRequest } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();

describe('Limitation: Tecartus is limited to a one-time infusion', () => {
  it('a single infusion with no refills is fine', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 1, unit: 'bag' } } }));
    assert.equal(info.covered, 'covered');
  });

  it('refills (numberOfRepeatsAllowed > 0) ask for more than one infusion', async () => {
    const { info, findings } = await judge(app, {}, buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 2 } }));
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'repeat-dosing']);
    assert.equal(findings[0]!.topic, 'limits');
    assert.match(findings[0]!.detail, /refills allowed \(dispenseRequest.numberOfRepeatsAllowed\): 2/);
  });

  it('a quantity of two bags asks for more than one infusion', async () => {
    const { info, findings } = await judge(app, {}, buildTecartusOrder({ dispenseRequest: { quantity: { value: 2, unit: 'bag' } } }));
    assert.ok(info.reasons.includes('repeat-dosing'));
    assert.match(findings[0]!.detail, /2 bag/);
  });

  it('a quantity of two doses (UCUM {dose}) asks for more than one infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dispenseRequest: { quantity: { value: 2, system: 'http://unitsofmeasure.org', code: '{dose}' } } }));
    assert.ok(info.reasons.includes('repeat-dosing'));
  });

  it('a volume (68 mL, one bag) is not more than one infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dispenseRequest: { quantity: { value: 68, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' } } }));
    assert.equal(info.covered, 'covered');
  });

  it('a dosage timing that repeats (daily, no count) asks for more than one infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }] }));
    assert.ok(info.reasons.includes('repeat-dosing'));
  });

  it('a timing with count 2 asks for more than one infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { count: 2 } } }] }));
    assert.ok(info.reasons.includes('repeat-dosing'));
  });

  it('a timing with count 1 is a single infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ dosageInstruction: [{ timing: { repeat: { count: 1, period: 1, periodUnit: 'd' } } }] }));
    assert.equal(info.covered, 'covered');
  });

  it('a ServiceRequest for Q2053 with quantity 2 asks for more than one infusion', async () => {
    const { info } = await judge(app, {}, buildTecartusServiceRequest({ quantityQuantity: { value: 2, unit: 'infusions' } }));
    assert.ok(info.reasons.includes('repeat-dosing'));
  });
});
