import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCondition,
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

  it('B-cell precursor ALL in relapse (ICD-10-CM C91.02) qualifies; ICD-10-CM cannot show lineage, so the Instructions card asks for it', async () => {
    const { info, cards } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.02') })] });
    assert.equal(info.covered, 'covered');
    assert.match(cards.find((c) => c.topic === 'coverage-info')!.detail, /B-cell precursor lineage/);
  });

  it('B-cell ALL coded in SNOMED CT (277571004) with clinical status relapse qualifies', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: snomed('277571004'), clinicalStatus: relapse })] });
    assert.equal(info.covered, 'covered');
  });

  it('ALL coded in SNOMED CT without lineage (91857003) qualifies like C91.0-', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: snomed('91857003'), clinicalStatus: clinicalStatus('recurrence') })] });
    assert.equal(info.covered, 'covered');
  });

  it('a record that explicitly says T-cell ALL does not qualify', async () => {
    const { info, findings } = await judge(app, {
      conditions: [buildCondition({ code: { ...icd10cm('C91.02'), text: 'T-cell acute lymphoblastic leukemia, relapsed' } })],
    });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'diagnosis-not-qualifying']);
    assert.match(findings[0]!.detail, /recorded as T-cell lineage/);
  });

  it('C91.0- qualifies when the record says B-cell lineage even if another entry mentions T cells', async () => {
    const { info } = await judge(app, {
      conditions: [
        buildCondition({ code: { ...icd10cm('C91.02'), text: 'Precursor B-cell acute lymphoblastic leukemia' } }),
        buildCondition({ code: { ...icd10cm('C91.00'), text: 'T-cell ALL (historical, outside lab)' } }),
      ],
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
    assert.match(findings[0]!.detail, /No active Condition in the record carries a qualifying diagnosis/);
  });

  it('lymphoblastic lymphoma (C83.50) is not B-cell precursor ALL under the policy', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.50'), clinicalStatus: relapse })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
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

  it('a diagnosis first recorded after the order date is not counted', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: relapse, onsetDateTime: '2026-08-01' })] });
    assert.ok(info.reasons.includes('diagnosis-not-qualifying'));
  });
});

describe('Criterion 1: relapsed or refractory status (disease progression after the last regimen, or refractory/suboptimal response)', () => {
  it('C91.00 alone does not show relapsed or refractory disease (it also codes newly diagnosed ALL)', async () => {
    const { info, findings } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.00'), clinicalStatus: clinicalStatus('active') })] });
    assert.equal(info.covered, 'conditional');
    assert.deepEqual(info.reasons, ['pa-required', 'rr-status-undocumented']);
    assert.equal(findings[0]!.topic, 'off-guideline');
    assert.match(findings[0]!.detail, /also codes newly diagnosed ALL/);
    assert.match(findings[0]!.detail, /Condition C91\.00, acute lymphoblastic leukemia \(lineage not coded\)/);
  });

  it('C91.01 (in remission) is not relapsed or refractory on its own', async () => {
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.01'), clinicalStatus: clinicalStatus('active') })] });
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
    const { info } = await judge(app, { conditions: [buildCondition({ code: icd10cm('C91.00'), clinicalStatus: clinicalStatus('recurrence') })] });
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
          code: icd10cm('C91.00'),
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
