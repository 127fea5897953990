import type { FhirResource } from 'fhir/r4.js';
import {
  buildCondition,
  buildHistoricalMedicationRequest,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildOtherOrder,
  buildProcedure,
  cpt,
  hcpcs,
  icd10cm,
  rxnorm,
} from '../test/support/fhir-factories.js';
import { buildHookRequest } from '../test/support/hook-requests.js';
import { eligibleMantleCellRecord } from '../test/support/patient-scenarios.js';

/**
 * Realistic histories of a given size: unrelated conditions, procedures and
 * medications (none of them CAR-T), plus the qualifying diagnosis, so the
 * engine has to look at every entry and find nothing that disqualifies.
 */
export function historyOf(size: number): {
  conditions: ReturnType<typeof buildCondition>[];
  procedures: ReturnType<typeof buildProcedure>[];
  medicationRequests: ReturnType<typeof buildHistoricalMedicationRequest>[];
  medicationAdministrations: ReturnType<typeof buildMedicationAdministration>[];
  medicationStatements: ReturnType<typeof buildMedicationStatement>[];
} {
  const each = Math.max(1, Math.floor(size / 5));
  const icd = ['E11.9', 'I10', 'J45.909', 'K21.9', 'M54.5', 'N18.3', 'R53.83', 'Z79.4'];
  const procs = ['36415', '96413', '99213', '71046', '85025', '80053'];
  const drugs = ['197361', '311995', '617993', '198211', '1049221', '860975'];
  return {
    conditions: [
      ...eligibleMantleCellRecord().conditions!,
      ...Array.from({ length: each }, (_, i) => buildCondition({ code: { ...icd10cm(icd[i % icd.length]!), text: 'Chronic condition' }, onsetDateTime: `20${10 + (i % 15)}-0${1 + (i % 9)}-1${i % 9}` })),
    ],
    procedures: Array.from({ length: each }, (_, i) => buildProcedure({ code: { ...cpt(procs[i % procs.length]!), text: 'Routine procedure' }, performedDateTime: `20${10 + (i % 15)}-0${1 + (i % 9)}-2${i % 9}` })),
    medicationRequests: Array.from({ length: each }, (_, i) => buildHistoricalMedicationRequest({ medicationCodeableConcept: { ...rxnorm(drugs[i % drugs.length]!), text: 'Oral tablet' } })),
    medicationAdministrations: Array.from({ length: each }, (_, i) => buildMedicationAdministration({ medicationCodeableConcept: { ...hcpcs(`J${9000 + (i % 300)}`), text: 'Chemotherapy infusion' } })),
    medicationStatements: Array.from({ length: each }, (_, i) => buildMedicationStatement({ medicationCodeableConcept: { ...rxnorm(drugs[(i + 3) % drugs.length]!), text: 'Home medication' } })),
  };
}

/** An order-sign request for Tecartus with `size` history entries, all prefetched. */
export function tecartusRequest(size: number): Record<string, unknown> {
  return buildHookRequest({ record: eligibleMantleCellRecord(historyOf(size)) });
}

/** An order-sign request with the same history but no Tecartus order (must short-circuit). */
export function nonTecartusRequest(size: number): Record<string, unknown> {
  return buildHookRequest({ record: eligibleMantleCellRecord(historyOf(size)), orders: [buildOtherOrder() as FhirResource] });
}
