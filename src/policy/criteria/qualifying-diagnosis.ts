import type { CodeableConcept, Coding, Condition, FhirResource, Reference } from 'fhir/r4.js';
import { conditionDate, observationDate, showDate } from '../../fhir/clinical-dates.js';
import type { CodeMatch } from '../../fhir/code-set.js';
import { codingsOf, textsOf } from '../../fhir/codes.js';
import { parseReference, referenceTo } from '../../fhir/references.js';
import { onOrBefore, unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import { evidenceRef, type DocumentedFacts, type Evidence, type Finding } from '../decision.js';
import { codedEvidence, textEvidence } from '../evidence.js';
import { affirmedSentences } from '../read-text.js';
import { assessRelapsedOrRefractory } from './relapsed-or-refractory.js';

const CLINICAL_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const ACTIVE_STATUSES = new Set(['active', 'recurrence', 'relapse']);
const NOT_EVIDENCE_VERIFICATION = new Set(['entered-in-error', 'refuted']);
/** Provisional, differential and unconfirmed diagnoses are not established (policy issue 10, rule 2). */
const NOT_ESTABLISHED_VERIFICATION = new Set(['provisional', 'differential', 'unconfirmed']);
/** mCODE: the tumour's morphology, an ICD-O-3 or SNOMED CT code, on the Condition. */
const HISTOLOGY_EXTENSION = 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior';

export type DiseaseKind = 'mcl' | 'all' | 'lymphoblastic-lymphoma';

/** A Condition that names a disease the policy reads, and how it names it. */
export interface DiseaseEntry {
  readonly condition: Condition;
  readonly kind: DiseaseKind;
  readonly evidence: Evidence;
  readonly established: boolean;
  readonly active: boolean;
}

/** What the diagnosis criterion concluded, for the relapse criterion to judge the same disease. */
export interface DiagnosisResult {
  readonly assessment: CriterionAssessment;
  /** The qualifying disease's entries (active or not) when the diagnosis is met or only the lineage is missing. */
  readonly qualifying: readonly DiseaseEntry[];
  readonly kind?: 'mcl' | 'all' | undefined;
}

/**
 * Criterion 1: relapsed or refractory mantle cell lymphoma, or relapsed or
 * refractory B-cell precursor ALL. Returns the diagnosis (with the ALL
 * lineage) and the relapsed/refractory status of that diagnosis.
 */
export function assessQualifyingDiagnosis(context: AssessmentContext): { diagnosis: CriterionAssessment; relapsedOrRefractory: CriterionAssessment } {
  const diagnosis = assessDiagnosis(context);
  return { diagnosis: diagnosis.assessment, relapsedOrRefractory: assessRelapsedOrRefractory(context, diagnosis) };
}

function assessDiagnosis(context: AssessmentContext): DiagnosisResult {
  const { policy } = context;
  const findings = policy.definition.findings;
  const entries = diseaseEntries(context);
  // A disease in remission is still diagnosed: whether it is relapsed or refractory is the next criterion's question.
  const current = entries.filter((e) => e.established && (e.active || clinicalStatusOf(e.condition) === 'remission'));
  const blockedBy = unavailableAmong(context, ['conditions']);

  const notQualifying = (evidence: Evidence[], found: string, notes: string[] = []): DiagnosisResult => {
    if (blockedBy.length > 0) return { assessment: { result: { criterion: 'diagnosis', status: 'unknown', finding: 'data-unavailable', evidence }, findings: [], blockedBy }, qualifying: [] };
    const finding: Finding = {
      code: 'diagnosis-not-qualifying',
      determination: findings['diagnosis-not-qualifying'].determination,
      evidence,
      notes: evidence.length === 0 && notes.length === 0 ? [policy.definition.evidenceText.noQualifyingCondition] : notes,
      facts: { found },
    };
    return { assessment: { result: { criterion: 'diagnosis', status: 'not-met', finding: 'diagnosis-not-qualifying', evidence }, findings: [finding] }, qualifying: [] };
  };

  // The order's own indication: a diagnosis the policy does not cover there decides (policy issue 10, rule 2).
  const orderReason = nonQualifyingOrderReason(context, entries);
  if (orderReason) return notQualifying([orderReason.evidence], orderReason.found);

  const mcl = current.filter((e) => e.kind === 'mcl');
  if (mcl.length > 0) return met(mcl, entries.filter((e) => e.kind === 'mcl'), 'mcl');

  const all = current.filter((e) => e.kind === 'all');
  if (all.length > 0) {
    const lineage = readLineage(context, all);
    const allEntries = entries.filter((e) => e.kind === 'all');
    if (lineage.t.length > 0) return notQualifying([...all.map((e) => e.evidence), ...lineage.t], policy.definition.diagnosisNames.tCellAll);
    if (lineage.notPrecursorB.length > 0) return notQualifying([...all.map((e) => e.evidence), ...lineage.notPrecursorB], policy.definition.diagnosisNames.notPrecursorB);
    if (lineage.b.length > 0) return met(all, allEntries, 'all', lineage.b);
    const evidence = all.map((e) => e.evidence);
    const finding: Finding = { code: 'lineage-undocumented', determination: findings['lineage-undocumented'].determination, evidence, notes: [], facts: {} };
    return {
      assessment: { result: { criterion: 'diagnosis', status: 'unknown', finding: 'lineage-undocumented', evidence }, findings: [finding], documented: { diagnosis: { kind: 'all', evidence: evidenceRef(all[0]!.evidence) } } },
      qualifying: allEntries,
      kind: 'all',
    };
  }

  const lymphoblastic = current.filter((e) => e.kind === 'lymphoblastic-lymphoma');
  if (lymphoblastic.length > 0) return notQualifying(lymphoblastic.map((e) => e.evidence), policy.definition.diagnosisNames.lymphoblasticLymphoma);

  // Qualifying diseases on record but not current: say why each does not count.
  const notCurrent = entries.filter((e) => e.kind !== 'lymphoblastic-lymphoma').map((e) => withWhy(e));
  return notQualifying(notCurrent, '');
}

function met(current: readonly DiseaseEntry[], all: readonly DiseaseEntry[], kind: 'mcl' | 'all', lineage: readonly Evidence[] = []): DiagnosisResult {
  const shown = lineage[0];
  const documented: Partial<DocumentedFacts> = {
    diagnosis: { kind, evidence: evidenceRef(current[0]!.evidence) },
    ...(shown ? { bCellPrecursorLineage: { shownBy: lineageShownBy(shown), evidence: evidenceRef(shown) } } : {}),
  };
  return { assessment: { result: { criterion: 'diagnosis', status: 'met', evidence: [...current.map((e) => e.evidence), ...lineage] }, findings: [], documented }, qualifying: all, kind };
}

/** A SNOMED CT code says the diagnosis itself is B-cell precursor ALL; ICD-O-3 is the morphology; words are a statement. */
function lineageShownBy(e: Evidence): 'coded-diagnosis' | 'morphology' | 'stated' {
  if (!e.code) return 'stated';
  return /^\d{4}\/?\d$/.test(e.code.code) ? 'morphology' : 'coded-diagnosis';
}

/** The evidence line of an entry that does not count, saying why (inactive, provisional). */
function withWhy(entry: DiseaseEntry): Evidence {
  const why: string[] = [];
  if (!entry.established) why.push(`verification ${verificationOf(entry.condition) ?? 'not confirmed'}`);
  if (!entry.active) why.push(entry.condition.abatementDateTime || entry.condition.abatementPeriod || entry.condition.abatementString ? 'abated' : `clinical status ${clinicalStatusOf(entry.condition) ?? 'not active'}`);
  return { ...entry.evidence, description: `${entry.evidence.description.replace(/, (\d{4}[-\d]*|undated)$/, '')}, ${why.join(', ')}, ${entry.evidence.date ?? 'undated'}` };
}

/** Every usable Condition (recorded by the call, not in error) naming MCL, ALL or lymphoblastic lymphoma, by code or, failing any code, by its words. */
export function diseaseEntries(context: AssessmentContext): DiseaseEntry[] {
  const { policy, record, callDay } = context;
  const sets = policy.codeSets;
  const out: DiseaseEntry[] = [];
  for (const condition of record.conditions) {
    if (isNotEvidence(condition) || !onOrBefore(conditionDate(condition), callDay)) continue;
    const codings = codingsOf(condition.code);
    const date = showDate(conditionDate(condition));
    const entry = (kind: DiseaseKind, evidence: Evidence): DiseaseEntry => ({ condition, kind, evidence, established: isEstablished(condition), active: isActive(condition) });
    const coded: [DiseaseKind, CodeMatch | undefined, string][] = [
      ['mcl', sets.mantleCellLymphoma.matchAny(codings), sets.mantleCellLymphoma.label],
      ['all', sets.bCellPrecursorAll.matchAny(codings), sets.bCellPrecursorAll.label],
      ['all', sets.lineageUnspecifiedAll.matchAny(codings), sets.lineageUnspecifiedAll.label],
      ['lymphoblastic-lymphoma', sets.lymphoblasticLymphoma.matchAny(codings), sets.lymphoblasticLymphoma.label],
    ];
    const found = coded.find(([, m]) => m !== undefined);
    if (found) {
      out.push(entry(found[0], codedEvidence(condition, found[1]!, found[2], date)));
      continue;
    }
    // Text where a code was expected: only a Condition with no code the policy recognises, and only words that establish the diagnosis.
    if (codings.some((c) => policy.aliases.keyOf(c.system) !== undefined)) continue;
    for (const text of textsOf(condition.code)) {
      const kind = diseaseNamedIn(context, text);
      if (kind) {
        out.push(entry(kind, textEvidence(condition, text, `${kind === 'mcl' ? sets.mantleCellLymphoma.label : kind === 'all' ? 'acute lymphoblastic leukemia' : 'lymphoblastic lymphoma'} named in text`, date)));
        break;
      }
    }
  }
  return out;
}

function diseaseNamedIn(context: AssessmentContext, text: string): DiseaseKind | undefined {
  const { policy } = context;
  const says = (matcher: typeof policy.terms.mantleCellLymphoma) => affirmedSentences(policy, matcher, text, policy.terms.diagnosisUncertain).length > 0;
  if (says(policy.terms.lymphoblasticLymphoma)) return 'lymphoblastic-lymphoma';
  if (says(policy.terms.mantleCellLymphoma)) return 'mcl';
  if (says(policy.terms.acuteLymphoblasticLeukemia)) return 'all';
  return undefined;
}

/**
 * The lineage of ALL, read from the whole record (policy issue 10, rule 2):
 * B-cell precursor from SNOMED CT 277571004, ICD-O-3 9811/3-9818/3 or 9836/3
 * (mCODE histology extension or an Observation) or words such as "B-cell
 * precursor"; T lineage from ICD-O-3 9837/3 or words such as "T-ALL"; not
 * precursor B from mature B-ALL (Burkitt, FAB L3), mixed phenotype, CLL/SLL.
 */
function readLineage(context: AssessmentContext, allEntries: readonly DiseaseEntry[]): { b: Evidence[]; t: Evidence[]; notPrecursorB: Evidence[] } {
  const { policy, record, callDay } = context;
  const sets = policy.codeSets;
  const terms = policy.terms;
  const b: Evidence[] = [];
  const t: Evidence[] = [];
  const notB: Evidence[] = [];

  const readCodes = (resource: FhirResource, codings: readonly Coding[], date: string | undefined) => {
    const bCode = sets.bCellPrecursorAll.matchAny(codings) ?? sets.bPrecursorMorphology.matchAny(codings);
    if (bCode) b.push(codedEvidence(resource, bCode, bCode.entry.display, date));
    const tCode = sets.tPrecursorMorphology.matchAny(codings);
    if (tCode) t.push(codedEvidence(resource, tCode, tCode.entry.display, date));
    const other = sets.notPrecursorBMorphology.matchAny(codings);
    if (other) notB.push(codedEvidence(resource, other, other.entry.display, date));
  };
  const readTexts = (resource: FhirResource, texts: readonly string[], date: string | undefined, aboutAll: boolean) => {
    for (const text of texts) {
      const tSaid = affirmedSentences(policy, terms.tLineage, text, terms.diagnosisUncertain)[0];
      if (tSaid) t.push(textEvidence(resource, tSaid, 'T-cell lineage stated', date));
      if (!aboutAll) continue;
      const notBSaid = affirmedSentences(policy, terms.notPrecursorB, text, terms.diagnosisUncertain)[0];
      if (notBSaid) notB.push(textEvidence(resource, notBSaid, 'not B-cell precursor lineage', date));
      else {
        const bSaid = affirmedSentences(policy, terms.bPrecursorLineage, text, terms.diagnosisUncertain)[0];
        if (bSaid) b.push(textEvidence(resource, bSaid, 'B-cell precursor lineage stated', date));
      }
    }
  };

  const allConditions = new Set(allEntries.map((e) => e.condition));
  for (const condition of record.conditions) {
    if (isNotEvidence(condition) || !onOrBefore(conditionDate(condition), callDay)) continue;
    const date = showDate(conditionDate(condition));
    const histology = histologyOf(condition);
    readCodes(condition, codingsOf(condition.code, ...histology), date);
    const notes = Array.isArray(condition.note) ? condition.note.map((n) => n.text).filter((x): x is string => typeof x === 'string') : [];
    readTexts(condition, [...textsOf(condition.code, ...histology), ...notes], date, allConditions.has(condition) || isAllCondition(context, condition));
  }
  for (const observation of record.observations) {
    if (observation.status === 'entered-in-error' || observation.status === 'cancelled' || !onOrBefore(observationDate(observation), callDay)) continue;
    const date = showDate(observationDate(observation));
    const concepts = [observation.code, observation.valueCodeableConcept].filter((c): c is CodeableConcept => c !== undefined);
    readCodes(observation, codingsOf(...concepts), date);
    const notes = Array.isArray(observation.note) ? observation.note.map((n) => n.text).filter((x): x is string => typeof x === 'string') : [];
    readTexts(observation, [...textsOf(...concepts), ...(typeof observation.valueString === 'string' ? [observation.valueString] : []), ...notes], date, true);
  }
  // B lineage coded on the ALL Condition itself (SNOMED 277571004) was read with the codes above.
  return { b, t, notPrecursorB: notB };
}

function isAllCondition(context: AssessmentContext, condition: Condition): boolean {
  const codings = codingsOf(condition.code);
  const sets = context.policy.codeSets;
  return sets.bCellPrecursorAll.matchAny(codings) !== undefined || sets.lineageUnspecifiedAll.matchAny(codings) !== undefined || sets.lymphoblasticLymphoma.matchAny(codings) !== undefined;
}

function histologyOf(condition: Condition): CodeableConcept[] {
  const out: CodeableConcept[] = [];
  for (const e of Array.isArray(condition.extension) ? condition.extension : []) {
    if (e.url !== HISTOLOGY_EXTENSION) continue;
    if (e.valueCodeableConcept) out.push(e.valueCodeableConcept);
    if (e.valueCoding) out.push({ coding: [e.valueCoding] });
  }
  return out;
}

/**
 * The order's reason, when it names a diagnosis the policy does not cover
 * (e.g. diffuse large B-cell lymphoma): by reference to a Condition that is
 * not a qualifying one, or by codes none of which qualify.
 */
function nonQualifyingOrderReason(context: AssessmentContext, entries: readonly DiseaseEntry[]): { evidence: Evidence; found: string } | undefined {
  const { policy, record, order } = context;
  const o = order as { reasonCode?: CodeableConcept[]; reasonReference?: Reference[] };
  const qualifyingConditions = new Set(entries.filter((e) => e.kind !== 'lymphoblastic-lymphoma').map((e) => e.condition));
  for (const ref of Array.isArray(o.reasonReference) ? o.reasonReference : []) {
    const parsed = parseReference(ref.reference);
    if (parsed?.resourceType !== 'Condition') continue;
    const condition = record.conditions.find((c) => c.id === parsed.id);
    if (!condition || qualifyingConditions.has(condition)) continue;
    const name = textsOf(condition.code)[0] ?? codingsOf(condition.code)[0]?.code ?? referenceTo(condition);
    return { evidence: { reference: referenceTo(condition), description: `Condition ${name}, the reason given on ${referenceTo(order)}, ${showDate(conditionDate(condition)) ?? 'undated'}` }, found: name };
  }
  const reasons = Array.isArray(o.reasonCode) ? o.reasonCode : [];
  const codings = codingsOf(...reasons).filter((c) => {
    const key = policy.aliases.keyOf(c.system);
    return key === 'icd10cm' || key === 'snomed' || key === 'ncit';
  });
  if (codings.length === 0) {
    // A reason in words only (or a local code): it decides only when it names another indication ("DLBCL").
    const text = textsOf(...reasons).find((t) => affirmedSentences(policy, policy.terms.otherIndications, t, policy.terms.diagnosisUncertain).length > 0);
    if (!text || textsOf(...reasons).some((t) => diseaseNamedIn(context, t) === 'mcl' || diseaseNamedIn(context, t) === 'all')) return undefined;
    return { evidence: { reference: referenceTo(order), description: `${referenceTo(order)}: the order's reason is "${text}"` }, found: text };
  }
  const sets = policy.codeSets;
  const qualifies = (c: Coding) => [sets.mantleCellLymphoma, sets.bCellPrecursorAll, sets.lineageUnspecifiedAll, sets.relapsedOrRefractoryDiagnosis].some((s) => s.match(c));
  if (codings.some(qualifies)) return undefined;
  const first = codings[0]!;
  const name = first.display ?? textsOf(...reasons)[0] ?? first.code ?? 'another diagnosis';
  return { evidence: { reference: referenceTo(order), description: `${referenceTo(order)}: the order's reason is ${first.code ?? ''} ${name}`.replace('  ', ' '), code: first.code ? { system: first.system, code: first.code, display: first.display } : undefined }, found: name };
}

export function clinicalStatusOf(condition: Condition): string | undefined {
  const coding = condition.clinicalStatus?.coding?.find((c) => c.system === CLINICAL_STATUS || c.system === undefined);
  return coding?.code;
}

function verificationOf(condition: Condition): string | undefined {
  return condition.verificationStatus?.coding?.find((c) => typeof c.code === 'string')?.code;
}

export function isActive(condition: Condition): boolean {
  if (condition.abatementDateTime !== undefined || condition.abatementPeriod !== undefined || condition.abatementString !== undefined || condition.abatementAge !== undefined) return false;
  const status = clinicalStatusOf(condition);
  return status === undefined || ACTIVE_STATUSES.has(status);
}

export function isEstablished(condition: Condition): boolean {
  const status = verificationOf(condition);
  return status === undefined || !NOT_ESTABLISHED_VERIFICATION.has(status);
}

/** Entered-in-error and refuted Conditions are not evidence of anything. */
export function isNotEvidence(condition: Condition): boolean {
  return (condition.verificationStatus?.coding ?? []).some((c) => typeof c.code === 'string' && NOT_EVIDENCE_VERIFICATION.has(c.code));
}
