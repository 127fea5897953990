import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCondition,
  buildTecartusOrder,
  clinicalStatus,
  coding,
  concept,
  icd10cm,
  snomed,
  verificationStatus,
} from '../support/fhir-factories.js';
import { createTestApp } from '../support/test-app.js';
import { judge } from './judge.js';

const { app } = createTestApp();
const relapse = clinicalStatus('relapse');
/** ALL coded in ICD-10-CM with its B-cell precursor lineage coded beside it (SNOMED CT 277571004). */
const bAll = (icd: string) => concept(coding('icd10cm', icd), coding('snomed', '277571004', 'B-cell acute lymphoblastic leukemia'));

describe('Criterion 1: diagnosed with relapsed or refractory mantle cell lymphoma or B-cell precursor ALL', () => {
  it('relapsed mantle cell lymphoma (ICD-10-CM C83.18, clinical status relapse) in an adult is covered with prior authorization', async () => {
    const { info, findings } = await judge(app);
    assert.equal(info.covered, 'covered');
    assert.equal(info.paNeeded, 'auth-needed');
    assert.deepEqual(info.docNeeded, ['clinical']);
    assert.deepEqual(info.docPurpose, ['withpa']);
    assert.deepEqual(info.infoNeeded, []);
    assert.deepEqual(info.reasons, ['pa-required']);
    assert.deepEqual(info.billingCodes, ['Q2053']);
    assert.deepEqual(findings, []);
  });

  it('mantle cell lymphoma coded without the dot (C8310) qualifies', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C8310'), clinicalStatus: relapse })] });
    assert.equal(info.covered, 'covered');
  });

  it('mantle cell lymphoma coded in SNOMED CT (443487006) qualifies', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: snomed('443487006'), clinicalStatus: relapse })] });
    assert.equal(info.covered, 'covered');
  });

  it('refractory mantle cell lymphoma coded in NCIt (C8862) qualifies and shows refractory status', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: concept(coding('ncit', 'C8862')) })] });
    assert.equal(info.covered, 'covered');
  });

  it('ALL in relapse (ICD-10-CM C91.02) alone does not show B-cell precursor lineage: lineage-undocumented (conditional), and the card asks for the report', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.02') })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'lineage-undocumented']);
    assert.match(findings[0]!.summary, /B-cell precursor lineage of the ALL is not documented/);
    assert.match(findings[0]!.detail, /flow cytometry or pathology report/);
  });

  it('C91.02 with B-cell precursor lineage in its own words qualifies', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: { ...icd10cm('C91.02'), text: 'B-cell precursor ALL, in relapse' } })] });
    assert.equal(info.covered, 'covered');
  });

  it('C91.02 with ICD-O-3 9811/3 in the mCODE histology extension qualifies', async () => {
    const histology = { url: 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior', valueCodeableConcept: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/icd-o-3', code: '9811/3' }] } };
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.02'), extension: [histology] })] });
    assert.equal(info.covered, 'covered');
  });

  it('B-cell ALL coded in SNOMED CT (277571004) with clinical status relapse qualifies', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: snomed('277571004'), clinicalStatus: relapse })] });
    assert.equal(info.covered, 'covered');
  });

  it('ALL coded in SNOMED CT without lineage (91857003) is like C91.0-: lineage-undocumented', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: snomed('91857003'), clinicalStatus: clinicalStatus('recurrence') })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'lineage-undocumented']);
  });

  it('a record that says T-cell ALL does not qualify, and the card names the diagnosis found and what would qualify', async () => {
    const { info, findings } = await judge(app, {
      conditions: [buildCondition({ code: { ...icd10cm('C91.02'), text: 'T-cell acute lymphoblastic leukemia, relapsed' } })],
    });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying']);
    assert.match(findings[0]!.detail, /The record shows T-cell \(T-lymphoblastic\) acute lymphoblastic leukemia, which the policy does not cover/);
    assert.match(findings[0]!.detail, /relapsed or refractory B-cell precursor acute lymphoblastic leukemia/);
  });

  it('T lineage anywhere in the record does not qualify, even beside an entry that says B-cell precursor', async () => {
    const { info } = await judge(app, {
      conditions: [
        buildCondition({ code: { ...icd10cm('C91.02'), text: 'Precursor B-cell acute lymphoblastic leukemia' } }),
        buildCondition({ code: { ...icd10cm('C91.00'), text: 'T-cell ALL (outside lab)' } }),
      ],
    });
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying']);
  });

  it('"CAR T-cell" in a note is not T-cell lineage', async () => {
    const { info } = await judge(app, {
      conditions: [buildCondition({ code: { ...icd10cm('C91.02'), text: 'B-ALL, in relapse' }, note: [{ text: 'Referred for CAR T-cell therapy evaluation' }] })],
    });
    assert.equal(info.covered, 'covered');
  });

  it('other indications are experimental/investigational: diffuse large B-cell lymphoma (C83.30) alone does not qualify', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.30'), clinicalStatus: relapse })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.infoNeeded, ['OTH']);
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying']);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.topic, 'off-guideline');
    assert.match(findings[0]!.detail, /experimental\/investigational/);
    assert.match(findings[0]!.detail, /No active, confirmed Condition in the record carries a qualifying diagnosis/);
  });

  it('lymphoblastic lymphoma (C83.50) is not B-cell precursor ALL under the policy, and the card names it', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.50'), clinicalStatus: relapse })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
    assert.match(findings[0]!.detail, /The record shows lymphoblastic lymphoma, which the policy does not cover/);
  });

  it('no conditions at all: no qualifying diagnosis', async () => {
    const { info } = await judge(app, { conditions: [] });
    assert.equal(info.covered, 'conditional');
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
  });

  it('a qualifying diagnosis whose clinical status is resolved is not active', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: clinicalStatus('resolved') })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
    assert.match(findings[0]!.detail, /clinical status resolved/);
  });

  it('an entered-in-error or refuted diagnosis is not evidence', async () => {
    for (const status of ['entered-in-error', 'refuted']) {
      const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: relapse, verificationStatus: verificationStatus(status) })] });
      assert.ok(info.reasons.includes('diagnosis-not-qualifying'), status);
    }
  });

  it('a diagnosis first recorded after the call is not counted', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: relapse, onsetDateTime: '2026-08-01' })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
  });

  it("a diagnosis recorded after the draft's authoredOn but before the call counts", async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: relapse, onsetDateTime: '2026-06-10' })] }, buildTecartusOrder({ authoredOn: '2026-06-01' }));
    assert.equal(info.covered, 'covered');
  });

  it('a provisional diagnosis is not established', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: relapse, verificationStatus: verificationStatus('provisional') })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
  });
});

describe('Criterion 1: relapsed or refractory status (disease progression after the last regimen, or refractory/suboptimal response)', () => {
  it('C91.00 alone does not show relapsed or refractory disease (it also codes newly diagnosed ALL)', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: bAll('C91.00'), clinicalStatus: clinicalStatus('active') })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'rr-status-undocumented']);
    assert.equal(findings[0]!.topic, 'off-guideline');
    assert.match(findings[0]!.detail, /also codes newly diagnosed ALL/);
    assert.match(findings[0]!.detail, /Condition 277571004, B-cell precursor acute lymphoblastic leukemia/);
    assert.match(findings[0]!.detail, /C91\.02/, 'relapse examples fit ALL');
  });

  it('the relapse examples on an MCL card fit MCL: no ALL code', async () => {
    const { findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.14'), clinicalStatus: clinicalStatus('active') })] });
    assert.doesNotMatch(findings[0]!.detail, /C91/);
    assert.match(findings[0]!.detail, /mantle cell lymphoma/);
  });

  it('C91.01 (in remission) is not relapsed or refractory on its own', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: bAll('C91.01'), clinicalStatus: clinicalStatus('active') })] });
    assert.deepEqual(info.reasons, ['pa-required', 'rr-status-undocumented']);
  });

  it('C83.1A (mantle cell lymphoma in remission) is not relapsed or refractory on its own', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.1A'), clinicalStatus: clinicalStatus('active') })] });
    assert.deepEqual(info.reasons, ['pa-required', 'rr-status-undocumented']);
  });

  it('an active mantle cell lymphoma with no relapse or refractory evidence is undocumented', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.14'), clinicalStatus: clinicalStatus('active') })] });
    assert.deepEqual(info.reasons, ['pa-required', 'rr-status-undocumented']);
  });

  it('clinical status recurrence is evidence of relapse', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: bAll('C91.00'), clinicalStatus: clinicalStatus('recurrence') })] });
    assert.equal(info.covered, 'covered');
  });

  it('a refractory qualifier in the condition (SNOMED 20646008 in a stage summary) is evidence', async () => {
    const { info } = await judge(app, {
      conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: clinicalStatus('active'), stage: [{ summary: snomed('20646008', 'Intractable') }] })],
    });
    assert.equal(info.covered, 'covered');
  });

  it('a relapse qualifier sent as an extension on the condition (SNOMED 263855007) is evidence', async () => {
    const { info } = await judge(app, {
      conditions: [
        buildCondition({
          code: bAll('C91.00'),
          clinicalStatus: clinicalStatus('active'),
          extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/condition-diseaseCourse', valueCodeableConcept: snomed('263855007') }],
        }),
      ],
    });
    assert.equal(info.covered, 'covered');
  });

  it('a refractory code (NCIt C38014) alongside the diagnosis code is evidence', async () => {
    const { info } = await judge(app, {
      conditions: [buildCondition({ code: concept(coding('icd10cm', 'C83.10'), coding('ncit', 'C38014', 'Refractory')), clinicalStatus: clinicalStatus('active') })],
    });
    assert.equal(info.covered, 'covered');
  });

  it('a separate active "recurrent disease" condition (SNOMED 58184002) is evidence', async () => {
    const { info } = await judge(app, {
      conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: clinicalStatus('active') }), buildCondition({ code: snomed('58184002') })],
    });
    assert.equal(info.covered, 'covered');
  });
});
