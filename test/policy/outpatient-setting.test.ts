import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEncounter, buildTecartusOrder, concept } from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const category = (code: string) => concept({ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code });
const withClass = (code: string, display?: string, system = ACT_CODE) => buildEncounter({ class: { system, code, ...(display ? { display } : {}) } });

describe("Setting: outpatient Tecartus is conditional on the provider's attestation; the setting is where the infusion is given", () => {
  it('an ambulatory encounter (class AMB) makes the order conditional on the outpatient attestation, documentation needed', async () => {
    const encounter = withClass('AMB');
    const { info, findings } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
    assert.equal(info.covered, 'conditional');
    assert.equal(info.paNeeded, 'auth-needed');
    assert.deepEqual(info.docNeeded, ['clinical']);
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.topic, 'appropriate-use');
    assert.match(findings[0]!.detail, /Encounter class AMB: outpatient/);
  });

  for (const [code, why] of [
    ['OBSENC', 'observation is outpatient for Medicare'],
    ['SS', 'short stay is outpatient for Medicare'],
  ] as const) {
    it(`encounter class ${code}: ${why}`, async () => {
      const encounter = withClass(code);
      const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
      assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
    });
  }

  for (const code of ['IMP', 'ACUTE', 'NONAC']) {
    it(`encounter class ${code} is inpatient: no attestation`, async () => {
      const encounter = withClass(code);
      const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
      assert.deepEqual(info.reasons, ['pa-required']);
      assert.equal(info.covered, 'covered');
    });
  }

  for (const code of ['EMER', 'VR', 'HH']) {
    it(`encounter class ${code} says nothing about where Tecartus will be given: no attestation asked, nothing concluded`, async () => {
      const encounter = withClass(code);
      const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
      assert.deepEqual(info.reasons, ['pa-required']);
    });
  }

  it('a local encounter class whose words say infusion center is outpatient', async () => {
    const encounter = withClass('INFCTR', 'Infusion Center', 'urn:oid:1.2.840.114350.1.13.1.1.7.10.698084.30');
    const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
  });

  it('an encounter class sent R5-style (a CodeableConcept in an array) is read', async () => {
    const encounter = buildEncounter({ class: [{ coding: [{ system: ACT_CODE, code: 'AMB' }] }] as never });
    const { info } = await judge(app, { encounter }, buildTecartusOrder(), { encounterId: encounter.id! });
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
  });

  it('the order category comes first: an inpatient order signed in a clinic visit is inpatient', async () => {
    const encounter = withClass('AMB');
    const { info } = await judge(app, { encounter }, buildTecartusOrder({ category: [category('inpatient')] }), { encounterId: encounter.id! });
    assert.deepEqual(info.reasons, ['pa-required']);
  });

  it('an outpatient order signed during an inpatient stay is outpatient', async () => {
    const encounter = withClass('IMP');
    const { info } = await judge(app, { encounter }, buildTecartusOrder({ category: [category('outpatient')] }), { encounterId: encounter.id! });
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
  });

  it('a MedicationRequest category community raises the attestation', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ category: [category('community')] }));
    assert.ok(info.reasons.includes('outpatient-attestation'));
  });

  it('a category sent as one object (as the CDS Hooks Sandbox does) is read', async () => {
    const { info } = await judge(app, {}, buildTecartusOrder({ category: category('outpatient') as never }));
    assert.deepEqual(info.reasons, ['pa-required', 'outpatient-attestation']);
  });

  it('outpatient does not change a not-covered outcome, and adds its own reason to a conditional one', async () => {
    const { info } = await judge(app, { conditions: [] }, buildTecartusOrder({ category: [category('outpatient')] }));
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying', 'outpatient-attestation']);
  });
});
