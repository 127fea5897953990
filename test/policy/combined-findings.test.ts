import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPatient, buildProcedure, buildTecartusOrder, cpt } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();

describe('Findings combine: not-covered over conditional over covered, every finding reported', () => {
  it('prior CAR-T, under 18, no qualifying diagnosis and refills together: not covered, all four reported, not-covered ones first', async () => {
    const { info, findings, cards } = await judge(
      app,
      { patient: buildPatient({ birthDate: '2012-05-01' }), conditions: [], procedures: [buildProcedure({ code: cpt('38228') })] },
      buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 1 } }),
    );
    assert.equal(info.covered, 'not-covered');
    assert.equal(info.paNeeded, undefined);
    assert.deepEqual(info.docNeeded, []);
    assert.deepEqual(info.infoNeeded, []);
    assert.deepEqual(new Set(info.reasons), new Set(['pa-required', 'prior-car-t', 'age-under-18', 'diagnosis-not-qualifying', 'repeat-dosing']));
    assert.equal(findings.length, 4);
    assert.match(findings[0]!.summary, /Prior CAR-T|under age 18/);
    assert.match(findings[1]!.summary, /Prior CAR-T|under age 18/);
    // Findings, then Instructions, then External Reference.
    assert.deepEqual(cards.map((c) => c.topic).slice(-2), ['coverage-info', 'guideline']);
  });

  it('two conditional findings stay conditional, with info-needed OTH and both reasons', async () => {
    const { info } = await judge(app, { patient: buildPatient({ birthDate: '2008' }), conditions: [] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.infoNeeded, ['OTH']);
    assert.deepEqual(new Set(info.reasons), new Set(['pa-required', 'diagnosis-not-qualifying', 'age-unknown']));
  });

  it('every finding card is a warning with override reasons; the PA requirement is info', async () => {
    const { cards } = await judge(app, { conditions: [] });
    for (const card of cards) assert.equal(card.indicator, card.topic === 'coverage-info' || card.topic === 'guideline' ? 'info' : 'warning');
  });
});
