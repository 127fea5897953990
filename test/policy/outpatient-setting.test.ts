import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEncounter, buildTecartusOrder, concept } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();
const outpatientCategory = concept({ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' });
const communityCategory = concept({ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'community' });

describe('Outpatient administration needs the provider\'s attestation (coverage unchanged)', () => {
  it('an ambulatory encounter (class AMB) raises the attestation card and reason, and stays covered', async () => {
    const encounter = buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } });
    const { info, findings } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
    assert.equal(info.covered, 'covered');
    assert.equal(info.paNeeded, 'auth-needed');
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.topic, 'appropriate-use');
    assert.match(findings[0]!.detail, /Encounter enc-1: encounter class ambulatory \(AMB\)/);
  });

  it('an inpatient encounter raises nothing', async () => {
    const encounter = buildEncounter();
    const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
    assert.deepEqual(info.reasons, ['pa-required']);
  });

  it('a MedicationRequest category outpatient raises the attestation', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ category: [outpatientCategory] }));
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
  });

  it('a MedicationRequest category community raises the attestation', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ category: [communityCategory] }));
    assert.ok(info.reasons.includes('outpatient-attestation'));
  });

  it('outpatient does not change a not-covered or conditional outcome', async () => {
    const { info } = await judge(app, { conditions: [] }, buildTecartusOrder({ category: [outpatientCategory] }));
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying', 'outpatient-attestation']);
  });
});
