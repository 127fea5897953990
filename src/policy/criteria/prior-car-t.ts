import type { CodeableConcept, FhirResource, Medication, Reference, Resource } from 'fhir/r4.js';
import { administrationDate, conditionDate, procedureDate, requestDate, showDate, statementDate } from '../../fhir/clinical-dates.js';
import { codingsOf, textsOf } from '../../fhir/codes.js';
import { daysBetween, latestDay, type PartialDate } from '../../fhir/dates.js';
import type { RecordPart } from '../../fhir/patient-record.js';
import { referenceTo, resolveMedication } from '../../fhir/references.js';
import { onOrBefore, unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import type { Evidence, Finding } from '../decision.js';
import { codedEvidence, textEvidence } from '../evidence.js';
import { isNotEvidence } from './qualifying-diagnosis.js';

/** Which record statuses prove CAR-T was given (`strong`), hint at it (`weak`), or prove nothing. */
const PROCEDURE_STRENGTH: Record<string, Strength> = { completed: 'strong', stopped: 'weak', 'in-progress': 'weak', 'on-hold': 'weak', unknown: 'weak' };
const ADMINISTRATION_STRENGTH: Record<string, Strength> = { completed: 'strong', stopped: 'weak', 'in-progress': 'weak', 'on-hold': 'weak', unknown: 'weak' };
/** A MedicationStatement counts unless the patient did not take it or only intends to. */
const STATEMENT_NOT_EVIDENCE = new Set(['not-taken', 'intended', 'entered-in-error']);
/** Completed orders were given; other active CAR-T orders are a weaker sign; stopped or cancelled orders gave nothing. */
const REQUEST_STRENGTH: Record<string, Strength> = { completed: 'strong', active: 'weak', 'on-hold': 'weak' };

type Strength = 'strong' | 'weak';

/** The table's own entries only: a status such as "constructor" must not find Object.prototype's. */
function strengthOf(table: Record<string, Strength>, status: string | undefined): Strength | undefined {
  return typeof status === 'string' && Object.hasOwn(table, status) ? table[status] : undefined;
}

/** Where prior CAR-T shows; `medications`: the Medications history entries reference, where the product's code may be. */
const HISTORY_PARTS: readonly RecordPart[] = ['procedures', 'medicationAdministrations', 'medicationStatements', 'medicationRequests', 'conditions', 'medications'];

/**
 * Limitation: one infusion in a lifetime; no Tecartus after any prior CAR-T
 * therapy, trial products included. Strong evidence makes the order not
 * covered; weaker signs (harvests long before, stopped administrations,
 * history of other cellular therapy, another active CAR-T order) ask for review.
 */
export function findPriorCarT(context: AssessmentContext): CriterionAssessment {
  const strong: Evidence[] = [];
  const weak: Evidence[] = [];
  const add = (strength: Strength, evidence: Evidence) => (strength === 'strong' ? strong : weak).push(evidence);
  const { policy, record, orderDay } = context;
  const sets = policy.codeSets;
  const isDraft = (r: FhirResource) => context.draftOrderRefs.has(referenceTo(r));
  const prior = (d: PartialDate | undefined) => onOrBefore(d, orderDay);

  for (const p of record.procedures) {
    if (isDraft(p) || !prior(procedureDate(p))) continue;
    const strength = strengthOf(PROCEDURE_STRENGTH, p.status);
    if (!strength) continue;
    const date = showDate(procedureDate(p));
    const qualifier = strength === 'weak' ? `status ${p.status}` : undefined;
    const codings = codingsOf(p.code);
    const administered = sets.carTAdministration.matchAny(codings);
    const product = administered ? undefined : sets.carTProduct.matchAny(codings);
    if (administered || product) {
      const label = administered ? sets.carTAdministration.label : `${sets.carTProduct.label} (${product!.entry.display})`;
      add(strength, codedEvidence(p, (administered ?? product)!, label, date, qualifier));
      continue;
    }
    const harvest = sets.carTHarvestOrPreparation.matchAny(codings);
    const text = carTText(context, textsOf(p.code));
    const isHarvestText = text !== undefined && matchesAny(policy.text.carTHarvestOrPreparation, text);
    if (harvest || isHarvestText) {
      if (!harvestPredatesCourse(context, procedureDate(p, 'latest'))) continue;
      const label = `${sets.carTHarvestOrPreparation.label} more than ${policy.definition.thresholds.harvestBelongsToCourseDays} days before the order, or undated`;
      weak.push(harvest ? codedEvidence(p, harvest, label, showDate(procedureDate(p, 'latest'))) : textEvidence(p, text!, label, showDate(procedureDate(p, 'latest'))));
      continue;
    }
    if (text !== undefined && !matchesAny(policy.text.notCarTTherapy, text)) add(strength, textEvidence(p, text, 'CAR-T named in free text', date, qualifier));
  }

  for (const a of record.medicationAdministrations) {
    if (isDraft(a) || !prior(administrationDate(a))) continue;
    const strength = strengthOf(ADMINISTRATION_STRENGTH, a.status);
    if (!strength) continue;
    const e = productEvidence(context, a, a.medicationCodeableConcept, a.medicationReference, a, showDate(administrationDate(a)), strength === 'weak' ? `status ${a.status}` : undefined);
    if (e) add(strength, e);
  }

  for (const s of record.medicationStatements) {
    if (isDraft(s) || STATEMENT_NOT_EVIDENCE.has(s.status) || !prior(statementDate(s))) continue;
    const e = productEvidence(context, s, s.medicationCodeableConcept, s.medicationReference, s, showDate(statementDate(s)), undefined);
    if (e) strong.push(e);
  }

  for (const r of record.medicationRequests) {
    if (isDraft(r) || !prior(requestDate(r))) continue;
    const strength = strengthOf(REQUEST_STRENGTH, r.status);
    if (!strength) continue;
    const qualifier = strength === 'strong' ? 'order completed' : `another ${r.status} CAR-T order`;
    const e = productEvidence(context, r, r.medicationCodeableConcept, r.medicationReference, r, showDate(requestDate(r)), qualifier);
    if (e) add(strength, e);
  }

  for (const c of record.conditions) {
    if (isNotEvidence(c) || !prior(conditionDate(c))) continue;
    const codings = codingsOf(c.code);
    const history = sets.carTHistory.matchAny(codings);
    if (history) {
      strong.push(codedEvidence(c, history, sets.carTHistory.label, showDate(conditionDate(c))));
      continue;
    }
    const other = sets.cellularTherapyHistory.matchAny(codings);
    if (other) weak.push(codedEvidence(c, other, sets.cellularTherapyHistory.label, showDate(conditionDate(c))));
  }

  const definition = policy.definition.findings;
  if (strong.length > 0) {
    const finding: Finding = { code: 'prior-car-t', determination: definition['prior-car-t'].determination, evidence: strong, notes: [], facts: {} };
    return { result: { criterion: 'no-prior-car-t', status: 'not-met', finding: 'prior-car-t', evidence: strong }, findings: [finding] };
  }
  if (weak.length > 0) {
    const finding: Finding = { code: 'possible-prior-car-t', determination: definition['possible-prior-car-t'].determination, evidence: weak, notes: [], facts: {} };
    return { result: { criterion: 'no-prior-car-t', status: 'unknown', finding: 'possible-prior-car-t', evidence: weak }, findings: [finding] };
  }
  const blockedBy = unavailableAmong(context, HISTORY_PARTS);
  if (blockedBy.length > 0) {
    return { result: { criterion: 'no-prior-car-t', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy };
  }
  return { result: { criterion: 'no-prior-car-t', status: 'met', evidence: [] }, findings: [] };
}

/** A CAR-T product on a medication record: by code (HCPCS, RxNorm, NDC), else by free text (trial products). */
function productEvidence(
  context: AssessmentContext,
  resource: FhirResource,
  concept: CodeableConcept | undefined,
  reference: Reference | undefined,
  container: { contained?: Resource[] | undefined },
  date: string | undefined,
  qualifier: string | undefined,
): Evidence | undefined {
  const { policy, record } = context;
  const medication: Medication | undefined = resolveMedication(reference, container, record.medications);
  const codings = codingsOf(concept, medication?.code);
  const coded = policy.codeSets.carTProduct.matchAny(codings);
  if (coded) return codedEvidence(resource, coded, `${policy.codeSets.carTProduct.label} (${coded.entry.display})`, date, qualifier);
  const texts = [...textsOf(concept, medication?.code)];
  if (typeof reference?.display === 'string') texts.push(reference.display);
  const text = carTText(context, texts);
  return text === undefined ? undefined : textEvidence(resource, text, 'CAR-T named in free text', date, qualifier);
}

function carTText(context: AssessmentContext, texts: readonly string[]): string | undefined {
  return texts.find((t) => matchesAny(context.policy.text.carT, t));
}

function matchesAny(patterns: readonly RegExp[], text: string): boolean {
  return patterns.some((r) => r.test(text));
}

/** Harvest and preparation within the window before the order belong to this course (Q2053 includes leukapheresis). */
function harvestPredatesCourse(context: AssessmentContext, date: PartialDate | undefined): boolean {
  if (date === undefined) return true;
  return daysBetween(latestDay(date), context.orderDay) > context.policy.definition.thresholds.harvestBelongsToCourseDays;
}
