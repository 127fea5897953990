import type { FhirResource } from 'fhir/r4.js';
import {
  buildCondition,
  buildEncounter,
  buildPatient,
  buildProcedure,
  buildTecartusOrder,
  clinicalStatus,
  cpt,
  icd10cm,
} from './fhir-factories.js';
import { eligibleBCellAllRecord, eligibleMantleCellRecord, type TestRecord } from './patient-scenarios.js';

/** One row of the policy's decision table: a patient, the order, and the expected answer. */
export interface DecisionCase {
  readonly name: string;
  readonly record: TestRecord;
  readonly order: FhirResource;
  /** Set when the record carries an Encounter (context.encounterId). */
  readonly encounterId?: string;
  readonly covered: 'covered' | 'not-covered' | 'conditional';
  readonly reasons: readonly string[];
}

/** The decision table's cases, built fresh each call (the factories hand out new ids). */
export function decisionTableCases(): DecisionCase[] {
  const outpatientEncounter = buildEncounter({ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } });
  return [
    { name: 'eligible: relapsed mantle cell lymphoma, adult, no CAR-T history', record: eligibleMantleCellRecord(), order: buildTecartusOrder(), covered: 'covered', reasons: ['pa-required'] },
    { name: 'eligible: relapsed B-cell precursor ALL', record: eligibleBCellAllRecord(), order: buildTecartusOrder(), covered: 'covered', reasons: ['pa-required'] },
    {
      name: 'prior CAR-T administration (CPT 38228)',
      record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228'), performedDateTime: '2025-03-02' })] }),
      order: buildTecartusOrder(),
      covered: 'not-covered',
      reasons: ['pa-required', 'prior-car-t'],
    },
    {
      name: 'under 18 on the order date',
      record: eligibleMantleCellRecord({ patient: buildPatient({ birthDate: '2010-01-20' }) }),
      order: buildTecartusOrder(),
      covered: 'not-covered',
      reasons: ['pa-required', 'age-under-18'],
    },
    {
      name: 'no Patient resource: age cannot be confirmed',
      record: eligibleMantleCellRecord({ patient: null }),
      order: buildTecartusOrder(),
      covered: 'conditional',
      reasons: ['pa-required', 'age-unknown'],
    },
    {
      name: 'no qualifying diagnosis (diffuse large B-cell lymphoma only)',
      record: eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.30', 'Diffuse large B-cell lymphoma, unspecified site') })] }),
      order: buildTecartusOrder(),
      covered: 'conditional',
      reasons: ['pa-required', 'diagnosis-not-qualifying'],
    },
    {
      name: 'mantle cell lymphoma without relapsed or refractory status',
      record: eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.10'), clinicalStatus: clinicalStatus('active') })] }),
      order: buildTecartusOrder(),
      covered: 'conditional',
      reasons: ['pa-required', 'rr-status-undocumented'],
    },
    {
      name: 'possible prior CAR-T: a harvest (CPT 38225) long before the order',
      record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2026-01-05' })] }),
      order: buildTecartusOrder(),
      covered: 'conditional',
      reasons: ['pa-required', 'possible-prior-car-t'],
    },
    {
      name: 'repeat dosing: refills on the order',
      record: eligibleMantleCellRecord(),
      order: buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 2 } }),
      covered: 'conditional',
      reasons: ['pa-required', 'repeat-dosing'],
    },
    {
      name: 'outpatient encounter: the attestation is needed',
      record: eligibleMantleCellRecord({ encounter: outpatientEncounter }),
      order: buildTecartusOrder(),
      encounterId: outpatientEncounter.id!,
      covered: 'conditional',
      reasons: ['pa-required', 'outpatient-attestation'],
    },
    {
      name: 'several findings at once: prior CAR-T history condition and refills',
      record: eligibleMantleCellRecord({
        conditions: [...eligibleMantleCellRecord().conditions!, buildCondition({ code: icd10cm('Z92.850'), clinicalStatus: undefined })],
        procedures: [buildProcedure({ code: cpt('38225'), performedDateTime: '2024-01-05' }), buildProcedure({ code: cpt('0540T'), performedDateTime: '2023-11-20' })],
      }),
      order: buildTecartusOrder({ dispenseRequest: { numberOfRepeatsAllowed: 1 } }),
      covered: 'not-covered',
      reasons: ['pa-required', 'prior-car-t', 'repeat-dosing'],
    },
  ];
}
