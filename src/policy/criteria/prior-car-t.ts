import type { CodeableConcept, Condition } from 'fhir/r4.js';
import { showDate } from '../../fhir/clinical-dates.js';
import { codingsOf, textsOf } from '../../fhir/codes.js';
import { compareDays, daysBetween, earliestDay, latestDay, parseFhirDate, type PartialDate } from '../../fhir/dates.js';
import type { RecordPart } from '../../fhir/patient-record.js';
import { onOrBefore, unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import { readCarTText } from '../read-text.js';
import type { Evidence, Finding } from '../decision.js';
import { codedEvidence, textEvidence } from '../evidence.js';
import { treatmentHistory, type HistoryEntry } from '../treatment-history.js';

/** Where prior CAR-T shows; `medications`: the Medications history entries reference, where the product's code may be. */
const HISTORY_PARTS: readonly RecordPart[] = [
  'procedures',
  'medicationAdministrations',
  'medicationStatements',
  'medicationRequests',
  'serviceRequests',
  'conditions',
  'observations',
  'encounters',
  'medications',
];

/**
 * Limitation: one infusion in a lifetime; no Tecartus after any prior CAR-T
 * therapy, trial products included (policy issue 10, rule 1).
 * - `prior-car-t` (not covered) only on coded proof: a CAR-T product given
 *   (administration, statement, completed order), a CAR-T administration
 *   procedure code, or ICD-10-CM Z92.850.
 * - `possible-prior-car-t` (review) on every weaker sign: CAR-T named in
 *   text only, a stopped or unknown administration, another open CAR-T order,
 *   a collection long before the call with nothing after it, other cellular
 *   therapy history, CRS or ICANS no other therapy explains.
 * "Prior" means on or before the call; the current course (this call's
 * orders, their order set and what carries them out) is never prior.
 */
export function findPriorCarT(context: AssessmentContext): CriterionAssessment {
  const { policy, record } = context;
  const sets = policy.codeSets;
  const strong: Evidence[] = [];
  const weak: Evidence[] = [];
  const crsExplained = crsExplainedByOtherTherapy(context);

  for (const entry of treatmentHistory(policy, record)) {
    if (context.course.has(entry.resource) || !onOrBefore(entry.date, context.callDay)) continue;
    const date = showDate(entry.date);
    const codings = codingsOf(...entry.concepts);

    const administered = sets.carTAdministration.matchAny(codings);
    const product = administered ? undefined : sets.carTProduct.matchAny(codings);
    const carT = administered ?? product;
    if (carT) {
      const label = administered ? sets.carTAdministration.label : `${sets.carTProduct.label} (${product!.entry.display})`;
      if (entry.kind === 'action' || entry.kind === 'order') {
        const qualifier = qualifierOf(entry);
        (entry.happened === 'given' ? strong : weak).push(codedEvidence(entry.resource, carT, label, date, qualifier));
      } else if (entry.kind === 'observation' && entry.happened === 'given') {
        // A final treatment-history Observation whose coded answer is a CAR-T administration or product: coded proof.
        strong.push(codedEvidence(entry.resource, carT, label, date, 'recorded on an Observation'));
      } else {
        weak.push(codedEvidence(entry.resource, carT, label, date, `recorded on ${article(entry.kind)}`));
      }
      continue;
    }
    const history = sets.carTHistory.matchAny(codings);
    if (history) {
      (entry.kind === 'condition' ? strong : weak).push(codedEvidence(entry.resource, history, sets.carTHistory.label, date));
      continue;
    }
    const harvest = sets.carTHarvestOrPreparation.matchAny(codings);
    if (harvest && (entry.kind === 'action' || entry.kind === 'order')) {
      if (entry.happened === 'given' && harvestPredatesCourse(context, entry.latestDate) && !abandonedAfter(context, entry.latestDate)) {
        weak.push(codedEvidence(entry.resource, harvest, harvestLabel(context), showDate(entry.latestDate)));
      }
      continue;
    }
    if (entry.kind === 'condition') {
      const cellular = sets.cellularTherapyHistory.matchAny(codings);
      if (cellular) {
        weak.push(codedEvidence(entry.resource, cellular, sets.cellularTherapyHistory.label, date));
        continue;
      }
      const crs = sets.crsOrIcans.matchAny(codings);
      if (crs) {
        if (!crsExplained && !explainsItself(context, entry.resource as Condition)) weak.push(codedEvidence(entry.resource, crs, `${crs.entry.display}: a sign of earlier immune effector cell therapy`, date));
        continue;
      }
    }

    const text = readCarTText(policy, entry.texts);
    if (!text) continue;
    if (text.kind === 'harvest') {
      if (entry.happened === 'given' && harvestPredatesCourse(context, entry.latestDate) && !abandonedAfter(context, entry.latestDate)) {
        weak.push(textEvidence(entry.resource, text.quote, harvestLabel(context), showDate(entry.latestDate)));
      }
      continue;
    }
    const label = text.kind === 'other-car-cells' ? 'a chimeric antigen receptor cell product named in free text' : 'CAR-T named in free text';
    weak.push(textEvidence(entry.resource, text.quote, label, date, qualifierOf(entry)));
  }

  const definition = policy.definition.findings;
  if (strong.length > 0) {
    const finding: Finding = { code: 'prior-car-t', determination: definition['prior-car-t'].determination, evidence: strong, notes: [], facts: {} };
    return { result: { criterion: 'no-prior-car-t', status: 'not-met', finding: 'prior-car-t', evidence: strong }, findings: [finding], documented: { priorCarT: 'proven' } };
  }
  if (weak.length > 0) {
    const finding: Finding = { code: 'possible-prior-car-t', determination: definition['possible-prior-car-t'].determination, evidence: weak, notes: [], facts: {} };
    return { result: { criterion: 'no-prior-car-t', status: 'unknown', finding: 'possible-prior-car-t', evidence: weak }, findings: [finding], documented: { priorCarT: 'possible' } };
  }
  const blockedBy = unavailableAmong(context, HISTORY_PARTS);
  if (blockedBy.length > 0) {
    return { result: { criterion: 'no-prior-car-t', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy, documented: { priorCarT: 'unknown' } };
  }
  return { result: { criterion: 'no-prior-car-t', status: 'met', evidence: [] }, findings: [], documented: { priorCarT: 'none' } };
}

function qualifierOf(entry: HistoryEntry): string | undefined {
  if (entry.happened === 'ordered') return `another ${entry.status ?? 'open'} CAR-T order`;
  if (entry.happened === 'uncertain') return `status ${entry.status ?? 'unknown'}`;
  if (entry.kind === 'order') return 'order completed';
  return undefined;
}

function article(kind: HistoryEntry['kind']): string {
  return kind === 'observation' ? 'an Observation' : kind === 'encounter' ? "an earlier encounter's reason" : `a ${kind}`;
}

function harvestLabel(context: AssessmentContext): string {
  return `${context.policy.codeSets.carTHarvestOrPreparation.label} more than ${context.policy.definition.thresholds.harvestBelongsToCourseDays} days before the call, with no infusion after it, or undated`;
}

/** A harvest or preparation within the window before the call belongs to this course (Q2053 includes leukapheresis). */
function harvestPredatesCourse(context: AssessmentContext, date: PartialDate | undefined): boolean {
  if (date === undefined) return true;
  return daysBetween(latestDay(date), context.callDay) > context.policy.definition.thresholds.harvestBelongsToCourseDays;
}

/**
 * A collection that never led to an infusion: on or after it, a CAR-T product
 * order was cancelled or an administration not done (policy issue 10, rule 1:
 * "a collection or manufacturing that never led to an infusion (cancelled,
 * not-done) [is] not CAR-T therapy"). A bare collection with nothing after it
 * stays a sign.
 */
function abandonedAfter(context: AssessmentContext, harvestDate: PartialDate | undefined): boolean {
  const { policy, record } = context;
  const product = (concept: CodeableConcept | undefined) => policy.codeSets.carTProduct.matchAny(codingsOf(concept)) !== undefined || textsOf(concept).some((t) => policy.anyCarTName.test(t));
  const after = (date: PartialDate | undefined) => harvestDate === undefined || date === undefined || compareDays(latestDay(date), earliestDay(harvestDate)) >= 0;
  const abandonedOrders = [...record.medicationRequests, ...record.serviceRequests].filter(
    (r) => (r.status === 'cancelled' || r.status === 'revoked') && after(parseFhirDate(r.authoredOn)),
  );
  if (abandonedOrders.some((r) => product((r as { medicationCodeableConcept?: CodeableConcept }).medicationCodeableConcept ?? (r as { code?: CodeableConcept }).code))) return true;
  return record.medicationAdministrations.some((a) => a.status === 'not-done' && product(a.medicationCodeableConcept) && after(parseFhirDate(a.effectiveDateTime ?? a.effectivePeriod?.start)));
}

/**
 * CRS and ICANS follow bispecific antibodies (blinatumomab) and engineered
 * TCR products too: when the record shows one of those given, CRS or ICANS
 * is not a sign of CAR-T.
 */
function crsExplainedByOtherTherapy(context: AssessmentContext): boolean {
  const { policy, record } = context;
  const names = policy.terms.crsExplainedBy;
  const medicationRecords = [...record.medicationAdministrations, ...record.medicationStatements, ...record.medicationRequests];
  for (const r of medicationRecords) {
    if (r.status === 'entered-in-error' || r.status === 'not-done' || r.status === 'not-taken' || r.status === 'cancelled') continue;
    const concept = r.medicationCodeableConcept;
    if (concept && policy.codeSets.notCarTCellTherapy.matchAny(codingsOf(concept))) return true;
    const texts = [...textsOf(concept), ...(typeof r.medicationReference?.display === 'string' ? [r.medicationReference.display] : [])];
    if (texts.some((t) => names.test(t))) return true;
  }
  for (const p of record.procedures) if (textsOf(p.code).some((t) => names.test(t))) return true;
  // An adverse-effect diagnosis naming the drug ("Adverse effect of blinatumomab").
  for (const c of record.conditions) if (textsOf(c.code).some((t) => names.test(t))) return true;
  return false;
}

/** A CRS Condition whose own words name its cause ("CRS after blinatumomab"). */
function explainsItself(context: AssessmentContext, condition: Condition): boolean {
  const notes = Array.isArray(condition.note) ? condition.note.map((n) => n.text ?? '') : [];
  return [...textsOf(condition.code), ...notes].some((t) => context.policy.terms.crsExplainedBy.test(t));
}
