import type { Day } from '../fhir/dates.js';
import { formatDay } from '../fhir/dates.js';
import type { PatientFacts } from './patient-facts.js';

export interface PreviewScenario {
  readonly id: string;
  readonly title: string;
  /** What the scenario shows, in the policy's words. */
  readonly description: string;
  readonly facts: PatientFacts;
}

/**
 * The ready scenarios of the preview page, one per situation an analyst or
 * integrator wants to see. Each is a change of one fact from the eligible
 * mantle cell lymphoma patient, the same patient the test suite starts from
 * (adult, relapsed MCL, active Coverage, no CAR-T history). The order is
 * signed today, so dates stay meaningful whenever the page is opened.
 */
export function previewScenarios(today: Day): PreviewScenario[] {
  const orderDate = formatDay(today);
  const eligible: PatientFacts = {
    hook: 'order-sign',
    crdVersion: '2.0',
    orderDate,
    birthDate: '1961-03-14',
    diagnosisCode: 'C83.18',
    clinicalStatus: 'relapse',
    lineage: '',
    priorCarT: 'none',
    setting: 'inpatient',
    refills: 0,
    order: 'tecartus-medication-request',
  };
  const sixteenYearsBefore = formatDay({ year: today.year - 16, month: today.month, day: today.month === 2 && today.day === 29 ? 28 : today.day });
  return [
    {
      id: 'eligible-mcl',
      title: 'Eligible: mantle cell lymphoma',
      description: 'Adult with relapsed mantle cell lymphoma and no CAR-T history: covered, prior authorization required.',
      facts: eligible,
    },
    {
      id: 'eligible-b-all',
      title: 'Eligible: B-cell ALL',
      description: 'Adult with B-cell precursor acute lymphoblastic leukemia in relapse (ICD-10-CM C91.02, lineage SNOMED CT 277571004): covered, prior authorization required.',
      facts: { ...eligible, diagnosisCode: 'C91.02', clinicalStatus: 'active', lineage: 'b-cell-precursor' },
    },
    {
      id: 'prior-car-t',
      title: 'Prior CAR-T therapy',
      description: 'A completed CAR-T administration (CPT 38228) on record: not covered (one infusion in a lifetime).',
      facts: { ...eligible, priorCarT: 'procedure-38228' },
    },
    {
      id: 'under-18',
      title: 'Under 18',
      description: 'A 16-year-old with relapsed B-cell ALL: not covered (the policy covers adults only).',
      facts: { ...eligible, birthDate: sixteenYearsBefore, diagnosisCode: 'C91.02', clinicalStatus: 'active', lineage: 'b-cell-precursor' },
    },
    {
      id: 'no-qualifying-diagnosis',
      title: 'No qualifying diagnosis',
      description: 'Relapsed diffuse large B-cell lymphoma (C83.38) only: no MCL or B-cell ALL on record, documentation needed.',
      facts: { ...eligible, diagnosisCode: 'C83.38' },
    },
    {
      id: 'rr-status-missing',
      title: 'Relapsed/refractory status missing',
      description: 'Mantle cell lymphoma with clinical status active and nothing showing relapse: documentation needed.',
      facts: { ...eligible, clinicalStatus: 'active' },
    },
    {
      id: 'all-lineage-undocumented',
      title: 'ALL: lineage and relapse not documented',
      description: 'Adult with acute lymphoblastic leukemia coded C91.00 (not in remission; the code does not tell B-cell from T-cell lineage) and nothing showing relapse: documentation needed. Complete it below the answer.',
      facts: { ...eligible, diagnosisCode: 'C91.00', clinicalStatus: 'active' },
    },
    {
      id: 'outpatient',
      title: 'Outpatient administration',
      description: 'Eligible patient, ordered in an ambulatory encounter: conditional on the provider’s outpatient attestation.',
      facts: { ...eligible, setting: 'outpatient' },
    },
    {
      id: 'non-tecartus',
      title: 'Not a Tecartus order',
      description: 'An amoxicillin order: the service has nothing to say and answers with no cards.',
      facts: { ...eligible, order: 'non-tecartus' },
    },
  ];
}
