import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Medication, Observation, ServiceRequest } from 'fhir/r4.js';
import {
  buildCondition,
  buildEncounter,
  buildHistoricalMedicationRequest,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildPatient,
  buildProcedure,
  buildTecartusOrder,
  buildTecartusServiceRequest,
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
 * The questionnaire's population logic (TecartusPriorAuth, its generated ELM)
 * run with cql-execution and cql-exec-fhir over FHIR R4 records, as a DTR
 * client runs it. Each definition on a record where the answer is yes and on
 * one where it is no. The order date is 2026-06-15 (the draft order's authoredOn),
 * which is also the day the form is filled unless a test says otherwise.
 */
const runner = createPopulationRunner();

/** The CQL's answers for the eligible mantle cell lymphoma record with `changes` applied. */
function answersFor(changes: TestRecord = {}): Promise<PopulationAnswers> {
  return runner.answers({ order: buildTecartusOrder(), resources: recordResources(eligibleMantleCellRecord(changes)) });
}
const withConditions = (...conditions: ReturnType<typeof buildCondition>[]) => answersFor({ conditions });
const ncit = (code: string) => concept(coding('ncit', code));
/** A treatment-history Observation, final. */
const treatmentHistory = (overrides: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  id: 'tx-history',
  status: 'final',
  code: { text: 'Cancer treatment history' },
  effectiveDateTime: '2024-01-20',
  ...overrides,
});

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

  it('yes: a leukemia in remission (clinical status remission) is still diagnosed; it is not relapsed or refractory', async () => {
    const answers = await withConditions(buildCondition({ code: icd10cm('C91.01'), clinicalStatus: clinicalStatus('remission') }));
    assert.equal(answers.acuteLymphoblasticLeukemia, true);
    assert.equal(answers.relapsedOrRefractoryCoded, false);
  });

  it('no: a provisional diagnosis is not established', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.02'), verificationStatus: verificationStatus('provisional') }))).acuteLymphoblasticLeukemia, false);
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

  it('yes: a CAR-T product named through medicationReference, the Medication in the record', async () => {
    const medication: Medication = { resourceType: 'Medication', id: 'yescarta', code: hcpcs('Q2041') };
    const administration = buildMedicationAdministration({ medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/yescarta' } });
    const answers = await runner.answers({ order: buildTecartusOrder(), resources: [...recordResources(eligibleMantleCellRecord({ medicationAdministrations: [administration] })), medication] });
    assert.equal(answers.priorCarTCoded, true);
  });

  it('known gap: a contained Medication is not read by the CQL (cql-exec-fhir retrieves no contained resources; the policy engine resolves it)', async () => {
    const contained: Medication = { resourceType: 'Medication', id: 'med1', code: hcpcs('Q2041') };
    const administration = buildMedicationAdministration({
      medicationCodeableConcept: undefined,
      contained: [contained],
      medicationReference: { reference: '#med1' },
    });
    assert.equal((await answersFor({ medicationAdministrations: [administration] })).priorCarTCoded, false);
  });

  it('yes: a completed ServiceRequest for CAR-T administration (CPT 38228)', async () => {
    const request: ServiceRequest = { ...buildTecartusServiceRequest({ id: 'sr-38228', status: 'completed', code: cpt('38228') }) };
    assert.equal((await answersFor({ serviceRequests: [request] })).priorCarTCoded, true);
  });

  it('yes: a final treatment-history Observation whose coded answer is CAR-T therapy (SNOMED CT 1156961008)', async () => {
    assert.equal((await answersFor({ observations: [treatmentHistory({ valueCodeableConcept: snomed('1156961008') })] })).priorCarTCoded, true);
  });

  it('no: a treatment-history Observation about CAR-T that answers no (SNOMED CT 373067005)', async () => {
    assert.equal((await answersFor({ observations: [treatmentHistory({ code: snomed('1156961008'), valueCodeableConcept: snomed('373067005') })] })).priorCarTCoded, false);
  });

  it('no: a CAR-T administration recorded after the day of the form is not prior', async () => {
    assert.equal((await answersFor({ procedures: [buildProcedure({ code: cpt('38228'), performedDateTime: '2026-07-01' })] })).priorCarTCoded, false);
  });

  it('no: the current course is never prior therapy: an administration that is partOf the draft order, an order of its order set', async () => {
    const group = { system: 'http://hospital.example.org/order-set', value: 'SET-1' };
    const order = buildTecartusOrder({ groupIdentifier: group });
    const resources = recordResources(
      eligibleMantleCellRecord({
        medicationAdministrations: [buildMedicationAdministration({ partOf: [{ reference: `MedicationRequest/${order.id}` }] })],
        medicationRequests: [buildHistoricalMedicationRequest({ id: 'same-set', status: 'completed', groupIdentifier: group })],
      }),
    );
    assert.equal((await runner.answers({ order, resources })).priorCarTCoded, false);
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

  it('outpatient: the order is categorised outpatient, though signed during an inpatient stay (the order\'s category comes first)', async () => {
    const order = buildTecartusOrder({ category: [concept({ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'outpatient' })] });
    assert.equal((await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord({ encounter: buildEncounter() })) })).administrationSetting, 'outpatient');
  });

  it('outpatient: an observation encounter (OBSENC) is outpatient for Medicare', async () => {
    const observationStay = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OBSENC', display: 'observation encounter' };
    assert.equal((await answersFor({ encounter: buildEncounter({ class: observationStay }) })).administrationSetting, 'outpatient');
  });

  it('inpatient: an acute inpatient encounter (ACUTE)', async () => {
    const acute = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'ACUTE', display: 'inpatient acute' };
    assert.equal((await answersFor({ encounter: buildEncounter({ class: acute }) })).administrationSetting, 'inpatient');
  });

  it('not answered: an emergency encounter says nothing about where Tecartus will be given', async () => {
    const emergency = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' };
    assert.equal((await answersFor({ encounter: buildEncounter({ class: emergency }) })).administrationSetting, null);
  });

  it('not answered: the ambulatory encounter is finished', async () => {
    assert.equal((await answersFor({ encounter: buildEncounter({ class: ambulatory, status: 'finished' }) })).administrationSetting, null);
  });
});

describe('The order and its date of service ("Tecartus Order", "Date Of Service")', () => {
  it('the draft Tecartus order of the call, coded RxNorm', async () => {
    const order = buildTecartusOrder({ id: 'by-rxnorm', medicationCodeableConcept: rxnorm('2387347') });
    assert.equal((await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord()) })).tecartusOrder, 'MedicationRequest/by-rxnorm');
  });

  it('a draft for another drug is not taken for Tecartus', async () => {
    const order = buildTecartusOrder({ id: 'other', medicationCodeableConcept: rxnorm('308182') });
    assert.equal((await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord()) })).tecartusOrder, null);
  });

  it('age on the planned infusion date (dosage timing event): 17 when signed, 18 on the day of the infusion', async () => {
    const order = buildTecartusOrder({ dosageInstruction: [{ text: 'single infusion', timing: { event: ['2026-07-10'] } }] });
    const resources = recordResources(eligibleMantleCellRecord({ patient: buildPatient({ birthDate: '2008-07-01' }) }));
    assert.equal((await runner.answers({ order, resources })).ageInYears, 18);
  });

  it('age on the occurrence date of a Tecartus ServiceRequest', async () => {
    const order = buildTecartusServiceRequest({ occurrenceDateTime: '2026-07-05' });
    const resources = recordResources(eligibleMantleCellRecord({ patient: buildPatient({ birthDate: '2008-07-01' }) }));
    assert.equal((await runner.answers({ order, resources })).ageInYears, 18);
  });

  it('without a Tecartus order, age on the day the form is filled (Today())', async () => {
    const resources = recordResources(eligibleMantleCellRecord({ patient: buildPatient({ birthDate: '2008-07-01' }) }));
    assert.equal((await runner.answers({ resources, today: '2026-07-01' })).ageInYears, 18);
  });

  it('born 29 February 2008: 17 on 28 February 2026, 18 on 1 March 2026 (the birthday is reached on 1 March)', async () => {
    const resources = recordResources(eligibleMantleCellRecord({ patient: buildPatient({ birthDate: '2008-02-29' }) }));
    assert.equal((await runner.answers({ order: buildTecartusOrder({ authoredOn: '2026-02-28' }), resources })).ageInYears, 17);
    assert.equal((await runner.answers({ order: buildTecartusOrder({ authoredOn: '2026-03-01' }), resources })).ageInYears, 18);
  });
});

describe("The order's own indication decides (\"Order For Another Indication\")", () => {
  it('an order whose reason is coded diffuse large B-cell lymphoma (C83.38) has no qualifying diagnosis, though MCL is on record', async () => {
    const order = buildTecartusOrder({ reasonCode: [icd10cm('C83.38')] });
    assert.equal((await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord()) })).qualifyingDiagnosis, null);
  });

  it('an order whose reason refers to the mantle cell lymphoma keeps it', async () => {
    const mcl = buildCondition({ id: 'mcl', code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse') });
    const order = buildTecartusOrder({ reasonReference: [{ reference: 'Condition/mcl' }] });
    assert.equal((await runner.answers({ order, resources: recordResources(eligibleMantleCellRecord({ conditions: [mcl] })) })).qualifyingDiagnosis, 'mantle-cell-lymphoma');
  });
});

describe('Criterion 1b: B-cell precursor lineage from ICD-O-3 morphology', () => {
  const morphology = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/icd-o-3', code }] });
  const histology = (code: string) => [{ url: 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior', valueCodeableConcept: morphology(code) }];

  it('yes: ICD-O-3 9811/3 in the mCODE histology-morphology-behavior extension of the ALL', async () => {
    assert.equal((await withConditions(buildCondition({ code: icd10cm('C91.02'), extension: histology('9811/3') }))).bCellPrecursorLineageCoded, true);
  });

  it('yes: ICD-O-3 9812/3 as the answer of a pathology Observation', async () => {
    const observation: Observation = { resourceType: 'Observation', id: 'morphology', status: 'final', code: { text: 'Histology' }, valueCodeableConcept: morphology('9812/3') };
    const answers = await answersFor({ conditions: [buildCondition({ code: icd10cm('C91.02') })], observations: [observation] });
    assert.equal(answers.bCellPrecursorLineageCoded, true);
  });

  it('no: T-lymphoblastic morphology (ICD-O-3 9837/3) coded anywhere, even beside a coded B-cell ALL', async () => {
    const answers = await withConditions(buildCondition({ code: snomed('277571004'), extension: histology('9837/3') }));
    assert.equal(answers.acuteLymphoblasticLeukemia, true);
    assert.equal(answers.bCellPrecursorLineageCoded, false);
  });
});

describe('Criterion 1: relapse evidence and a later remission', () => {
  const diseaseStatus = (value: string): Observation => ({
    resourceType: 'Observation',
    id: `status-${value}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '97509-4' }] },
    focus: [{ reference: 'Condition/mcl' }],
    effectiveDateTime: '2026-05-01',
    valueCodeableConcept: snomed(value),
  });
  const activeMcl = buildCondition({ id: 'mcl', code: icd10cm('C83.18'), recordedDate: '2025-01-10' });

  it('yes: an mCODE cancer disease status of the MCL that says it worsened (SNOMED CT 271299001)', async () => {
    assert.equal((await answersFor({ conditions: [activeMcl], observations: [diseaseStatus('271299001')] })).relapsedOrRefractoryCoded, true);
  });

  it('no: a remission (C83.1A) recorded after the relapse supersedes it', async () => {
    const relapsed = buildCondition({ id: 'mcl', code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse'), recordedDate: '2025-01-10' });
    const remission = buildCondition({ id: 'mcl-cr', code: icd10cm('C83.1A'), clinicalStatus: clinicalStatus('remission'), recordedDate: '2026-05-12' });
    assert.equal((await withConditions(relapsed, remission)).relapsedOrRefractoryCoded, false);
  });

  it('yes: a relapse recorded after the remission', async () => {
    const remission = buildCondition({ id: 'mcl-cr', code: icd10cm('C83.1A'), clinicalStatus: clinicalStatus('remission'), recordedDate: '2024-09-01' });
    const relapsed = buildCondition({ id: 'mcl', code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse'), recordedDate: '2026-05-20' });
    assert.equal((await withConditions(remission, relapsed)).relapsedOrRefractoryCoded, true);
  });

  it('no: a provisional relapse entry is not evidence', async () => {
    const suspected = buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse'), verificationStatus: verificationStatus('provisional') });
    assert.equal((await withConditions(activeMcl, suspected)).relapsedOrRefractoryCoded, false);
  });

  it('no: "Recurrent disease" (SNOMED CT 58184002) whose words name what recurred (cellulitis)', async () => {
    const cellulitis = buildCondition({ code: { ...snomed('58184002', 'Recurrent disease (disorder)'), text: 'Recurrent cellulitis of left lower leg' } });
    assert.equal((await withConditions(activeMcl, cellulitis)).relapsedOrRefractoryCoded, false);
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
