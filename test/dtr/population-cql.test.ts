import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Medication } from 'fhir/r4.js';
import {
  buildCondition,
  buildEncounter,
  buildHistoricalMedicationRequest,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildPatient,
  buildProcedure,
  buildTecartusOrder,
  clinicalStatus,
  concept,
  coding,
  cpt,
  hcpcs,
  icd10cm,
  icd10pcs,
  rxnorm,
  snomed,
  verificationStatus,
} from '../support/fhir-factories.js';
import { eligibleMantleCellRecord, recordResources, type TestRecord } from '../support/patient-scenarios.js';
import { createPopulationRunner, type PopulationAnswers } from '../support/population-cql.js';

/**
 * The questionnaire's population logic (TecartusPriorAuth, hand-written ELM)
 * run with cql-execution and cql-exec-fhir over FHIR R4 records, as a DTR
 * client runs it. Each definition on a record where the answer is yes and on
 * one where it is no. The order date is 2026-06-15 (the draft order's authoredOn).
 */
const runner = createPopulationRunner();

/** The CQL's answers for the eligible mantle cell lymphoma record with `changes` applied. */
function answersFor(changes: TestRecord = {}): Promise<PopulationAnswers> {
  return runner.answers({ order: buildTecartusOrder(), resources: recordResources(eligibleMantleCellRecord(changes)) });
}
const withConditions = (...conditions: ReturnType<typeof buildCondition>[]) => answersFor({ conditions });
const ncit = (code: string) => concept(coding('ncit', code));

describe('Criterion 2: the member is 18 years of age or older ("Age In Years")', () => {
  it('a member born 1961-03-14 is 65 on the order date', async () => {
    assert.equal((await answersFor()).ageInYears, 65);
  });

  it('a member who turns 18 the day after the order date is 17', async () => {
    assert.equal((await answersFor({ patient: buildPatient({ birthDate: '2008-06-16' }) })).ageInYears, 17);
  });

  it('a member who turns 18 on the order date is 18', async () => {
    assert.equal((await answersFor({ patient: buildPatient({ birthDate: '2008-06-15' }) })).ageInYears, 18);
  });

  it('no birth date: no age, the item is left empty', async () => {
    const answers = await answersFor({ patient: buildPatient({ birthDate: undefined }) });
    assert.equal(answers.ageInYears, null);
    assert.equal(answers.ageRange, null);
  });

  it('a birth year alone (1961) allows 64 or 65: no single age', async () => {
    const answers = await answersFor({ patient: buildPatient({ birthDate: '1961' }) });
    assert.equal(answers.ageInYears, null);
    assert.deepEqual(answers.ageRange, [64, 65]);
  });
});

describe('Criterion 1a: mantle cell lymphoma ("Mantle Cell Lymphoma Diagnosis", "Qualifying Diagnosis")', () => {
  it('yes: ICD-10-CM C83.18, clinical status relapse', async () => {
    const answers = await answersFor();
    assert.equal(answers.mantleCellLymphoma, true);
    assert.equal(answers.qualifyingDiagnosis, 'mantle-cell-lymphoma');
  });

  it('yes: ICD-10-CM C83.1A (in remission, listed in the C83.1- family) with an active clinical status', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.1A') }))).mantleCellLymphoma, true);
  });

  it('yes: SNOMED CT 443487006', async () => {
    assert.equal((await withConditions(buildCondition({ code: snomed('443487006') }))).mantleCellLymphoma, true);
  });

  it('yes: NCIt C8862 refractory mantle cell lymphoma', async () => {
    assert.equal((await withConditions(buildCondition({ code: ncit('C8862') }))).mantleCellLymphoma, true);
  });

  it('yes: no clinical status and not abated counts as current', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.10'), clinicalStatus: undefined }))).mantleCellLymphoma, true);
  });

  it('no: the mantle cell lymphoma is resolved', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('resolved') }));
    assert.equal(answers.mantleCellLymphoma, false);
    assert.equal(answers.qualifyingDiagnosis, null);
  });

  it('no: the mantle cell lymphoma was entered in error', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.18'), verificationStatus: verificationStatus('entered-in-error') }))).mantleCellLymphoma, false);
  });

  it('no: no clinical status but abated', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.18'), clinicalStatus: undefined, abatementDateTime: '2025-01-01' }))).mantleCellLymphoma, false);
  });

  it('no: another lymphoma (diffuse large B-cell, C83.30) is not a qualifying diagnosis', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C83.30') }));
    assert.equal(answers.mantleCellLymphoma, false);
    assert.equal(answers.acuteLymphoblasticLeukemia, false);
    assert.equal(answers.qualifyingDiagnosis, null);
  });
});

describe('Criterion 1b: B-cell precursor acute lymphoblastic leukemia ("Acute Lymphoblastic Leukemia Diagnosis")', () => {
  it('yes: ICD-10-CM C91.02 (lineage not coded)', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C91.02') }));
    assert.equal(answers.acuteLymphoblasticLeukemia, true);
    assert.equal(answers.qualifyingDiagnosis, 'acute-lymphoblastic-leukemia');
  });

  it('yes: SNOMED CT 277571004 B-cell acute lymphoblastic leukemia', async () => {
    assert.equal((await withConditions(buildCondition({ code: snomed('277571004') }))).acuteLymphoblasticLeukemia, true);
  });

  it('yes: SNOMED CT 91857003 acute lymphoid leukemia', async () => {
    assert.equal((await withConditions(buildCondition({ code: snomed('91857003') }))).acuteLymphoblasticLeukemia, true);
  });

  it('no: the leukemia is in remission (clinical status remission)', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.01'), clinicalStatus: clinicalStatus('remission') }))).acuteLymphoblasticLeukemia, false);
  });

  it('mantle cell lymphoma and ALL together: the diagnosis item gets mantle cell lymphoma', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C91.02') }), buildCondition({ code: icd10cm('C83.18') }));
    assert.equal(answers.qualifyingDiagnosis, 'mantle-cell-lymphoma');
  });
});

describe('Criterion 1b: B-cell precursor lineage ("B-Cell Precursor Lineage Coded")', () => {
  it('yes: SNOMED CT 277571004 is coded', async () => {
    assert.equal((await withConditions(buildCondition({ code: snomed('277571004') }))).bCellPrecursorLineageCoded, true);
  });

  it('no: ICD-10-CM C91.02 alone does not tell B-cell from T-cell lineage', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.02') }))).bCellPrecursorLineageCoded, false);
  });

  it('no: B-cell ALL entered in error', async () => {
    const answers = await withConditions(buildCondition({ code: snomed('277571004'), verificationStatus: verificationStatus('entered-in-error') }));
    assert.equal(answers.bCellPrecursorLineageCoded, false);
  });
});

describe('Criterion 1: relapsed or refractory disease ("Relapsed Or Refractory Disease Coded")', () => {
  it('yes: the mantle cell lymphoma has clinical status relapse', async () => {
    assert.equal((await answersFor()).relapsedOrRefractoryCoded, true);
  });

  it('yes: the mantle cell lymphoma has clinical status recurrence', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('recurrence') }))).relapsedOrRefractoryCoded, true);
  });

  it('yes: ICD-10-CM C91.02, acute lymphoblastic leukemia in relapse', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.02') }))).relapsedOrRefractoryCoded, true);
  });

  it('yes: NCIt C8862 refractory mantle cell lymphoma', async () => {
    assert.equal((await withConditions(buildCondition({ code: ncit('C8862') }))).relapsedOrRefractoryCoded, true);
  });

  it('yes: an active Condition coded as relapse or refractory status (SNOMED CT 58184002 recurrent disease) beside the diagnosis', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C83.10') }), buildCondition({ code: snomed('58184002') }));
    assert.equal(answers.relapsedOrRefractoryCoded, true);
  });

  it('no: an active mantle cell lymphoma with nothing showing relapse or refractory disease', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C83.10') }))).relapsedOrRefractoryCoded, false);
  });

  it('no: ICD-10-CM C91.00 (not having achieved remission) also codes newly diagnosed ALL', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.00') }))).relapsedOrRefractoryCoded, false);
  });

  it('no: clinical status relapse on another disease, not on the qualifying diagnosis', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C83.10') }), buildCondition({ code: icd10cm('C50.911'), clinicalStatus: clinicalStatus('relapse') }));
    assert.equal(answers.relapsedOrRefractoryCoded, false);
  });
});

describe('Limitations: prior CAR-T therapy, including in clinical trials ("Prior CAR-T Therapy Coded")', () => {
  it('yes: a completed CAR-T administration procedure (CPT 38228)', async () => {
    assert.equal((await answersFor({ procedures: [buildProcedure({ code: cpt('38228') })] })).priorCarTCoded, true);
  });

  it('yes: a completed procedure coded ICD-10-PCS XW033C3 (engineered autologous CAR T-cell immunotherapy)', async () => {
    assert.equal((await answersFor({ procedures: [buildProcedure({ code: icd10pcs('XW033C3') })] })).priorCarTCoded, true);
  });

  it('yes: a completed administration of a CAR-T product (HCPCS Q2041, Yescarta)', async () => {
    assert.equal((await answersFor({ medicationAdministrations: [buildMedicationAdministration({ medicationCodeableConcept: hcpcs('Q2041') })] })).priorCarTCoded, true);
  });

  it('yes: a medication statement of a CAR-T product (RxNorm 1987402, Yescarta)', async () => {
    assert.equal((await answersFor({ medicationStatements: [buildMedicationStatement({ medicationCodeableConcept: rxnorm('1987402') })] })).priorCarTCoded, true);
  });

  it('yes: a completed order for a CAR-T product (HCPCS Q2042, Kymriah)', async () => {
    assert.equal((await answersFor({ medicationRequests: [buildHistoricalMedicationRequest({ status: 'completed' })] })).priorCarTCoded, true);
  });

  it('yes: personal history of CAR T-cell therapy (ICD-10-CM Z92.850), even when resolved', async () => {
    const answers = await answersFor({ conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm('Z92.850'), clinicalStatus: clinicalStatus('resolved') })] });
    assert.equal(answers.priorCarTCoded, true);
  });

  it('no: nothing in the history', async () => {
    assert.equal((await answersFor()).priorCarTCoded, false);
  });

  it('no: the draft Tecartus order itself', async () => {
    const order = buildTecartusOrder();
    const answers = await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord({ medicationRequests: [order] })) });
    assert.equal(answers.priorCarTCoded, false);
  });

  it('no: a CAR-T procedure that was stopped (a sign for review, not proof)', async () => {
    assert.equal((await answersFor({ procedures: [buildProcedure({ code: cpt('38228'), status: 'stopped' })] })).priorCarTCoded, false);
  });

  it('no: a T-cell harvest alone (CPT 38225)', async () => {
    assert.equal((await answersFor({ procedures: [buildProcedure({ code: cpt('38225') })] })).priorCarTCoded, false);
  });

  it('no: a CAR-T product the member did not take (statement not-taken)', async () => {
    assert.equal((await answersFor({ medicationStatements: [buildMedicationStatement({ status: 'not-taken' })] })).priorCarTCoded, false);
  });

  it('no: a CAR-T order that was cancelled', async () => {
    assert.equal((await answersFor({ medicationRequests: [buildHistoricalMedicationRequest({ status: 'cancelled' })] })).priorCarTCoded, false);
  });

  it('no: a history of CAR-T therapy entered in error', async () => {
    const answers = await answersFor({ conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm('Z92.850'), verificationStatus: verificationStatus('entered-in-error') })] });
    assert.equal(answers.priorCarTCoded, false);
  });

  it('known gap: a CAR-T product named only through medicationReference is not read by the CQL (the policy engine resolves it)', async () => {
    const medication: Medication = { resourceType: 'Medication', id: 'yescarta', code: hcpcs('Q2041') };
    const administration = buildMedicationAdministration({ medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/yescarta' } });
    const answers = await runner.answers({ order: buildTecartusOrder(), resources: [...recordResources(eligibleMantleCellRecord({ medicationAdministrations: [administration] })), medication] });
    assert.equal(answers.priorCarTCoded, false);
  });
});

describe('Outpatient administration needs the attestation ("Administration Setting")', () => {
  const ambulatory = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' };

  it('outpatient: the current encounter is ambulatory (AMB)', async () => {
    assert.equal((await answersFor({ encounter: buildEncounter({ class: ambulatory }) })).administrationSetting, 'outpatient');
  });

  it('inpatient: the current encounter is inpatient (IMP)', async () => {
    assert.equal((await answersFor({ encounter: buildEncounter() })).administrationSetting, 'inpatient');
  });

  it('not answered: no encounter in the record', async () => {
    assert.equal((await answersFor()).administrationSetting, null);
  });

  it('not answered: the ambulatory encounter is finished', async () => {
    assert.equal((await answersFor({ encounter: buildEncounter({ class: ambulatory, status: 'finished' }) })).administrationSetting, null);
  });
});

describe('Items the record does not show are left empty, not answered "no"', () => {
  it('B-cell lineage, relapsed or refractory disease and prior CAR-T give null (not false) when nothing is coded', async () => {
    const results = await runner.definitions({ order: buildTecartusOrder(), resources: recordResources(eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C91.00') })] })) });
    assert.equal(results['B-Cell Precursor Lineage Coded'], null);
    assert.equal(results['Relapsed Or Refractory Disease Coded'], null);
    assert.equal(results['Prior CAR-T Therapy Coded'], null);
    assert.equal(results['Administration Setting'], null);
    assert.equal(results['Acute Lymphoblastic Leukemia Diagnosis'], true);
  });

  it('a record without a Patient resource still answers the other items', async () => {
    const resources = recordResources(eligibleMantleCellRecord({ patient: null }));
    const answers = await runner.answers({ order: buildTecartusOrder(), resources });
    assert.equal(answers.ageInYears, null);
    assert.equal(answers.mantleCellLymphoma, true);
  });
});
