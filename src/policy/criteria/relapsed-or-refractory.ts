import type { CodeableConcept, Condition, MedicationRequest, MedicationStatement, Reference } from 'fhir/r4.js';
import { conditionStatusDate, observationDate, requestDate, showDate, statementDate } from '../../fhir/clinical-dates.js';
import { codingsOf, textsOf } from '../../fhir/codes.js';
import { compareDays, earliestDay, latestDay, parseFhirDate, type PartialDate } from '../../fhir/dates.js';
import { parseReference, referenceTo } from '../../fhir/references.js';
import { onOrBefore, unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import { evidenceRef, type Evidence } from '../decision.js';
import { codedEvidence, fillText, textEvidence } from '../evidence.js';
import { affirmedSentences } from '../read-text.js';
import { clinicalStatusOf, isActive, isEstablished, isNotEvidence, type DiagnosisResult, type DiseaseEntry } from './qualifying-diagnosis.js';

const RELAPSE_STATUSES = new Set(['recurrence', 'relapse']);
const REMISSION_STATUSES = new Set(['remission']);

/** A statement about the disease's state, and when it was made. */
interface StateEvidence {
  readonly evidence: Evidence;
  readonly date: PartialDate | undefined;
  /** Set when the evidence is the last regimen stopped for progression or lack of response. */
  readonly regimen?: { readonly name: string; readonly response: 'progression' | 'no-response' } | undefined;
}

/**
 * Relapsed or refractory: "disease progression after the last treatment
 * regimen or refractory/suboptimal response to the most recent therapy",
 * judged on the current state of the qualifying disease (policy issue 10, rule 2):
 * - evidence: the qualifying Condition's clinical status relapse/recurrence,
 *   a relapse or refractory code or qualifier on it, its words ("refractory",
 *   "progression on ..."), a standalone relapse entry, an mCODE disease
 *   status "worsened" about it, or the last regimen for it stopped for
 *   progression or lack of response;
 * - not evidence: provisional or abated entries, qualifiers on unrelated
 *   Conditions, a measurable-residual-disease-only finding (judgment call);
 * - a remission recorded after the last relapse evidence supersedes it.
 */
export function assessRelapsedOrRefractory(context: AssessmentContext, diagnosis: DiagnosisResult): CriterionAssessment {
  const { policy } = context;
  const definition = policy.definition;
  const qualifying = diagnosis.qualifying;
  if (diagnosis.assessment.result.status === 'not-met' || qualifying.length === 0) {
    const open = diagnosis.assessment.blockedBy;
    return { result: { criterion: 'relapsed-or-refractory', status: open ? 'unknown' : 'not-met', evidence: [] }, findings: [], blockedBy: open };
  }

  const current = qualifying.filter((e) => e.established && e.active);
  const relapse = relapseEvidence(context, current);
  const remission = remissionEvidence(context, qualifying);
  const latestRelapse = latest(relapse);
  const latestRemission = latest(remission);

  if (relapse.length > 0) {
    const superseded = latestRemission !== undefined && (latestRelapse === undefined || isAfter(latestRemission.date, latestRelapse.date));
    if (!superseded) {
      const shown = latestRelapse ?? relapse[0]!;
      const refractory = /refractory|C8862|C38014|20646008|no response|lack of (response|efficacy)|ineffective|not effective|suboptimal/i.test(`${shown.evidence.description} ${shown.evidence.code?.code ?? ''}`);
      const documented = {
        relapsedOrRefractory: { type: refractory || shown.regimen?.response === 'no-response' ? ('refractory' as const) : ('relapsed' as const), evidence: evidenceRef(shown.evidence), lastRegimen: shown.regimen },
      };
      return { result: { criterion: 'relapsed-or-refractory', status: 'met', evidence: relapse.map((r) => r.evidence) }, findings: [], documented };
    }
  }

  const blockedBy = unavailableAmong(context, ['conditions', 'medicationStatements', 'medicationRequests', 'observations']);
  if (relapse.length === 0 && blockedBy.length > 0) {
    return { result: { criterion: 'relapsed-or-refractory', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy };
  }

  const notes = current
    .map((e) => policy.relapseNotes.matchAny(codingsOf(e.condition.code))?.entry.display)
    .filter((n): n is string => n !== undefined);
  if (relapse.length > 0 && latestRemission) {
    notes.push(
      latestRelapse?.date
        ? fillText(definition.evidenceText.remissionSupersedes, { remission: latestRemission.evidence.description, relapseDate: showDate(latestRelapse.date) ?? '' })
        : fillText(definition.evidenceText.remissionUnordered, { remission: latestRemission.evidence.description }),
    );
  }
  const evidence = [...current.map((e) => e.evidence), ...relapse.map((r) => r.evidence), ...remission.map((r) => r.evidence)];
  const kind = diagnosis.kind ?? 'mcl';
  return {
    result: { criterion: 'relapsed-or-refractory', status: 'not-met', finding: 'rr-status-undocumented', evidence },
    findings: [
      {
        code: 'rr-status-undocumented',
        determination: definition.findings['rr-status-undocumented'].determination,
        evidence: unique(evidence),
        notes: [...new Set(notes)],
        facts: { diagnosis: kind === 'mcl' ? 'mantle cell lymphoma' : 'B-cell precursor acute lymphoblastic leukemia', diagnosisKind: kind },
      },
    ],
  };
}

function relapseEvidence(context: AssessmentContext, current: readonly DiseaseEntry[]): StateEvidence[] {
  const { policy, record, callDay } = context;
  const sets = policy.codeSets;
  const out: StateEvidence[] = [];
  const ofCondition = (condition: Condition, evidence: Evidence) => out.push({ evidence, date: conditionStatusDate(condition) });

  for (const { condition, evidence } of current) {
    const date = showDate(conditionStatusDate(condition));
    const status = clinicalStatusOf(condition);
    if (status && RELAPSE_STATUSES.has(status)) ofCondition(condition, { ...evidence, description: `${stripDate(evidence.description)}, clinical status ${status}, ${date ?? 'undated'}` });
    const rrCode = sets.relapsedOrRefractoryDiagnosis.matchAny(codingsOf(condition.code));
    if (rrCode) ofCondition(condition, codedEvidence(condition, rrCode, rrCode.entry.display, date));
    const qualifier = sets.relapsedOrRefractoryQualifier.matchAny(qualifierCodings(condition));
    if (qualifier) ofCondition(condition, codedEvidence(condition, qualifier, `${qualifier.entry.display} on the diagnosis`, date));
    const said = conditionTexts(condition).flatMap((t) => affirmedSentences(policy, policy.terms.relapsedOrRefractory, t, policy.terms.measurableResidualDiseaseOnly))[0];
    if (said) ofCondition(condition, textEvidence(condition, said, 'relapsed or refractory disease stated', date));
  }

  // A standalone relapse entry ("Recurrent disease") that names no other disease.
  const qualifyingConditions = new Set(current.map((e) => e.condition));
  for (const condition of record.conditions) {
    if (qualifyingConditions.has(condition) || isNotEvidence(condition) || !isEstablished(condition) || !isActive(condition)) continue;
    if (!onOrBefore(conditionStatusDate(condition), callDay)) continue;
    const codings = codingsOf(condition.code);
    if (codings.length === 0) continue;
    const relapseCodes = codings.map((c) => sets.relapsedOrRefractoryQualifier.match(c) ?? sets.relapsedOrRefractoryDiagnosis.match(c));
    // Its own words may name what recurred ("Recurrent cellulitis"): then it is about that, unless that is the qualifying disease.
    const text = condition.code?.text;
    const namesOther = typeof text === 'string' && !codings.some((c) => c.display === text) && !policy.terms.mantleCellLymphoma.test(text) && !policy.terms.acuteLymphoblasticLeukemia.test(text);
    if (relapseCodes.every((m) => m !== undefined) && !namesOther) ofCondition(condition, codedEvidence(condition, relapseCodes[0]!, relapseCodes[0]!.entry.display, showDate(conditionStatusDate(condition))));
  }

  // mCODE CancerDiseaseStatus about the qualifying Condition: "worsened" is progression.
  for (const o of record.observations) {
    if (o.status === 'entered-in-error' || o.status === 'cancelled' || !onOrBefore(observationDate(o), callDay)) continue;
    if (!sets.diseaseStatusObservation.matchAny(codingsOf(o.code)) || !aboutOneOf(o.focus, qualifyingConditions)) continue;
    const worsened = sets.diseaseWorsened.matchAny(codingsOf(o.valueCodeableConcept));
    if (worsened) out.push({ evidence: codedEvidence(o, worsened, 'disease status: progression', showDate(observationDate(o))), date: observationDate(o) });
  }

  const regimen = lastRegimenStoppedForProgression(context, qualifyingConditions);
  if (regimen) out.push(regimen);
  return out;
}

function remissionEvidence(context: AssessmentContext, qualifying: readonly DiseaseEntry[]): StateEvidence[] {
  const { policy, record, callDay } = context;
  const sets = policy.codeSets;
  const out: StateEvidence[] = [];
  for (const { condition, evidence, established } of qualifying) {
    if (!established) continue;
    const date = conditionStatusDate(condition);
    const shown = showDate(date);
    const status = clinicalStatusOf(condition);
    if (status && REMISSION_STATUSES.has(status)) out.push({ evidence: { ...evidence, description: `${stripDate(evidence.description)}, clinical status ${status}, ${shown ?? 'undated'}` }, date });
    const code = sets.remission.matchAny(qualifierCodings(condition));
    if (code) out.push({ evidence: codedEvidence(condition, code, code.entry.display, shown), date });
    const said = conditionTexts(condition).flatMap((t) => affirmedSentences(policy, policy.terms.remission, t))[0];
    if (said && !code) out.push({ evidence: textEvidence(condition, said, 'remission stated', shown), date });
  }
  const qualifyingConditions = new Set(qualifying.map((e) => e.condition));
  for (const o of record.observations) {
    if (o.status === 'entered-in-error' || o.status === 'cancelled' || !onOrBefore(observationDate(o), callDay)) continue;
    if (!sets.diseaseStatusObservation.matchAny(codingsOf(o.code)) || !aboutOneOf(o.focus, qualifyingConditions)) continue;
    const code = sets.remission.matchAny(codingsOf(o.valueCodeableConcept));
    if (code) out.push({ evidence: codedEvidence(o, code, 'disease status: remission', showDate(observationDate(o))), date: observationDate(o) });
  }
  return out;
}

/**
 * The policy's own definition: "disease progression after the last treatment
 * regimen or refractory/suboptimal response to the most recent therapy". The
 * last regimen for the disease (its reason names the qualifying Condition or
 * diagnosis, or it was stopped for progression) counts when it was stopped for
 * progression or lack of response. Lymphodepletion, CAR-T products and the
 * current course are not regimens for this purpose.
 */
function lastRegimenStoppedForProgression(context: AssessmentContext, qualifyingConditions: ReadonlySet<Condition>): StateEvidence | undefined {
  const { policy, record, callDay } = context;
  type Regimen = { resource: MedicationStatement | MedicationRequest; date: PartialDate | undefined; stoppedFor: string | undefined };
  const regimens: Regimen[] = [];
  const consider = (resource: MedicationStatement | MedicationRequest, date: PartialDate | undefined, statusReasons: CodeableConcept[]) => {
    if (context.course.has(resource) || resource.status === 'entered-in-error' || !onOrBefore(date, callDay)) return;
    const drug = textsOf(resource.medicationCodeableConcept);
    if (policy.codeSets.carTProduct.matchAny(codingsOf(resource.medicationCodeableConcept)) || drug.some((t) => policy.anyCarTName.test(t) || policy.terms.notTherapyContext.test(t))) return;
    const stoppedFor = statusReasons.flatMap((r) => [...textsOf(r), ...codingsOf(r).filter((c) => policy.codeSets.diseaseWorsened.match(c)).map((c) => c.display ?? 'disease progression')]).find(
      (t) => affirmedSentences(policy, policy.terms.relapsedOrRefractory, t, policy.terms.measurableResidualDiseaseOnly).length > 0 || /progression/i.test(t),
    );
    const reasons = [...(Array.isArray(resource.reasonCode) ? resource.reasonCode : [])];
    const hasReason = reasons.length > 0 || (Array.isArray(resource.reasonReference) && resource.reasonReference.length > 0);
    const forDisease = aboutOneOf(resource.reasonReference, qualifyingConditions) || qualifiesByCode(context, reasons);
    // A regimen given for another disease (its reason says so) says nothing about this one.
    if (forDisease || (stoppedFor && !hasReason)) regimens.push({ resource, date, stoppedFor });
  };
  for (const s of record.medicationStatements) {
    const end = parseFhirDate(s.effectivePeriod?.end);
    consider(s, end ?? statementDate(s), Array.isArray(s.statusReason) ? s.statusReason : []);
  }
  for (const r of record.medicationRequests) consider(r, requestDate(r), r.statusReason ? [r.statusReason] : []);
  const last = latest(regimens);
  if (!last?.stoppedFor) return undefined;
  const drug = textsOf(last.resource.medicationCodeableConcept)[0] ?? 'the last regimen';
  const noResponse = /no response|non-?response|lack of (response|efficacy)|ineffective|not effective|refractory|suboptimal/i.test(last.stoppedFor);
  return {
    evidence: { reference: referenceTo(last.resource), description: `${last.resource.resourceType} ${drug}, the last regimen, stopped: "${last.stoppedFor}", ${showDate(last.date) ?? 'undated'}`, date: showDate(last.date) },
    date: last.date,
    regimen: { name: drug, response: noResponse ? 'no-response' : 'progression' },
  };
}

function qualifiesByCode(context: AssessmentContext, reasons: readonly CodeableConcept[]): boolean {
  const sets = context.policy.codeSets;
  const codings = codingsOf(...reasons);
  return [sets.mantleCellLymphoma, sets.bCellPrecursorAll, sets.lineageUnspecifiedAll, sets.relapsedOrRefractoryDiagnosis].some((s) => s.matchAny(codings) !== undefined);
}

function aboutOneOf(references: Reference[] | undefined, conditions: ReadonlySet<Condition>): boolean {
  if (!Array.isArray(references)) return false;
  return references.some((ref) => {
    const parsed = parseReference(ref.reference);
    return parsed?.resourceType === 'Condition' && [...conditions].some((c) => c.id === parsed.id);
  });
}

function qualifierCodings(condition: Condition) {
  const extensions = Array.isArray(condition.extension) ? condition.extension : [];
  const concepts = [
    condition.code,
    ...(Array.isArray(condition.stage) ? condition.stage : []).flatMap((s) => [s.summary, s.type]),
    ...(Array.isArray(condition.evidence) ? condition.evidence : []).flatMap((e) => e.code ?? []),
    ...extensions.map((e) => e.valueCodeableConcept),
  ];
  const codings = codingsOf(...concepts);
  for (const e of extensions) if (e.valueCoding) codings.push(e.valueCoding);
  return codings;
}

function conditionTexts(condition: Condition): string[] {
  const notes = Array.isArray(condition.note) ? condition.note.map((n) => n.text).filter((t): t is string => typeof t === 'string') : [];
  return [...textsOf(condition.code), ...notes];
}

function latest<T extends { date: PartialDate | undefined }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (!best) best = item;
    else if (item.date && (!best.date || compareDays(latestDay(item.date), latestDay(best.date)) > 0)) best = item;
  }
  return best;
}

/** Certainly later: `a` cannot fall on or before `b` whatever days partial dates stand for; an undated `b` is not ordered. */
function isAfter(a: PartialDate | undefined, b: PartialDate | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  return compareDays(earliestDay(a), latestDay(b)) > 0;
}

function stripDate(description: string): string {
  return description.replace(/, (\d{4}[-\d]*|undated)$/, '');
}

function unique(evidence: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => (seen.has(e.description) ? false : (seen.add(e.description), true)));
}
