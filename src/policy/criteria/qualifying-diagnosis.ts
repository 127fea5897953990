import type { Condition } from 'fhir/r4.js';
import { conditionDate, showDate } from '../../fhir/clinical-dates.js';
import type { CodeMatch } from '../../fhir/code-set.js';
import { codingsOf, textsOf } from '../../fhir/codes.js';
import { onOrBefore, unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import type { Evidence } from '../decision.js';
import { codedEvidence } from '../evidence.js';

const CLINICAL_STATUS = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const ACTIVE_STATUSES = new Set(['active', 'recurrence', 'relapse']);
const RELAPSE_STATUSES = new Set(['recurrence', 'relapse']);
const NOT_EVIDENCE_VERIFICATION = new Set(['entered-in-error', 'refuted']);

interface DiagnosisCandidate {
  readonly condition: Condition;
  readonly match: CodeMatch;
  readonly label: string;
  /** `all-unspecified`: ALL coded without lineage (ICD-10-CM C91.0-, SNOMED 91857003). */
  readonly kind: 'mcl' | 'b-all' | 'all-unspecified';
}

/**
 * Criterion 1: relapsed or refractory mantle cell lymphoma, or relapsed or
 * refractory B-cell precursor ALL. Returns two assessments: the diagnosis and
 * its relapsed/refractory status.
 */
export function assessQualifyingDiagnosis(context: AssessmentContext): { diagnosis: CriterionAssessment; relapsedOrRefractory: CriterionAssessment } {
  const { policy, record, orderDay } = context;
  const usable = record.conditions.filter((c) => !isNotEvidence(c) && onOrBefore(conditionDate(c), orderDay));

  const candidates: DiagnosisCandidate[] = [];
  const tCellAll: Evidence[] = [];
  let bLineageStated = false;
  for (const condition of usable) {
    const codings = codingsOf(condition.code);
    const texts = textsOf(condition.code);
    const mcl = policy.codeSets.mantleCellLymphoma.matchAny(codings);
    if (mcl) {
      candidates.push({ condition, match: mcl, label: policy.codeSets.mantleCellLymphoma.label, kind: 'mcl' });
      continue;
    }
    const bAll = policy.codeSets.bCellPrecursorAll.matchAny(codings);
    if (bAll) {
      bLineageStated = true;
      candidates.push({ condition, match: bAll, label: policy.codeSets.bCellPrecursorAll.label, kind: 'b-all' });
      continue;
    }
    const anyAll = policy.codeSets.lineageUnspecifiedAll.matchAny(codings);
    if (!anyAll) continue;
    const saysB = texts.some((t) => policy.text.bCellLineage.some((r) => r.test(t)));
    const saysT = texts.some((t) => policy.text.tCellLineage.some((r) => r.test(t)));
    if (saysT && !saysB) {
      tCellAll.push(codedEvidence(condition, anyAll, 'acute lymphoblastic leukemia recorded as T-cell lineage', showDate(conditionDate(condition))));
      continue;
    }
    if (saysB) bLineageStated = true;
    candidates.push({ condition, match: anyAll, label: policy.codeSets.lineageUnspecifiedAll.label, kind: 'all-unspecified' });
  }

  // ICD-10-CM C91.0- cannot tell B from T lineage, so it qualifies unless the
  // record explicitly says T-cell ALL and nowhere says B-cell.
  const lineageExcluded = tCellAll.length > 0 && !bLineageStated;
  const eligible = candidates.filter((c) => !(lineageExcluded && c.kind === 'all-unspecified'));
  const active = eligible.filter((c) => isActive(c.condition));
  const blockedBy = unavailableAmong(context, ['conditions']);

  if (active.length === 0) {
    const inactive = eligible.map((c) =>
      codedEvidence(c.condition, c.match, c.label, showDate(conditionDate(c.condition)), `clinical status ${clinicalStatusOf(c.condition) ?? 'not active'}`),
    );
    const evidence = [...inactive, ...tCellAll];
    const open = blockedBy.length > 0;
    return {
      diagnosis: {
        result: { criterion: 'diagnosis', status: open ? 'unknown' : 'not-met', finding: open ? 'data-unavailable' : 'diagnosis-not-qualifying', evidence },
        findings: open
          ? []
          : [
              {
                code: 'diagnosis-not-qualifying',
                determination: policy.definition.findings['diagnosis-not-qualifying'].determination,
                evidence,
                notes: evidence.length === 0 ? [policy.definition.evidenceText.noQualifyingCondition] : [],
                facts: {},
              },
            ],
        blockedBy: open ? blockedBy : undefined,
      },
      relapsedOrRefractory: {
        result: { criterion: 'relapsed-or-refractory', status: open ? 'unknown' : 'not-met', evidence: [] },
        findings: [],
        blockedBy: open ? blockedBy : undefined,
      },
    };
  }

  const diagnosisEvidence = active.map((c) => codedEvidence(c.condition, c.match, c.label, showDate(conditionDate(c.condition))));
  const rrEvidence = findRelapsedOrRefractoryEvidence(context, active, usable);
  const diagnosis: CriterionAssessment = { result: { criterion: 'diagnosis', status: 'met', evidence: diagnosisEvidence }, findings: [] };
  if (rrEvidence.length > 0) {
    return { diagnosis, relapsedOrRefractory: { result: { criterion: 'relapsed-or-refractory', status: 'met', evidence: rrEvidence }, findings: [] } };
  }
  if (blockedBy.length > 0) {
    return {
      diagnosis,
      relapsedOrRefractory: { result: { criterion: 'relapsed-or-refractory', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy },
    };
  }
  const notes = active
    .map((c) => policy.relapseNotes.matchAny(codingsOf(c.condition.code))?.entry.display)
    .filter((n): n is string => n !== undefined);
  return {
    diagnosis,
    relapsedOrRefractory: {
      result: { criterion: 'relapsed-or-refractory', status: 'not-met', finding: 'rr-status-undocumented', evidence: diagnosisEvidence },
      findings: [
        {
          code: 'rr-status-undocumented',
          determination: policy.definition.findings['rr-status-undocumented'].determination,
          evidence: diagnosisEvidence,
          notes: [...new Set(notes)],
          facts: { diagnosis: [...new Set(active.map((c) => c.label))].join(' and ') },
        },
      ],
    },
  };
}

/**
 * Evidence of relapsed or refractory disease: a relapse or refractory code
 * (C91.02, NCIt refractory/recurrent MCL), the qualifying condition's clinical
 * status relapse or recurrence, or a relapse/refractory qualifier on it (in its
 * code, stage, evidence or extensions), or a standalone relapse Condition.
 */
function findRelapsedOrRefractoryEvidence(context: AssessmentContext, qualifying: readonly DiagnosisCandidate[], usable: readonly Condition[]): Evidence[] {
  const { policy } = context;
  const out: Evidence[] = [];
  for (const { condition, match, label } of qualifying) {
    const date = showDate(conditionDate(condition));
    const status = clinicalStatusOf(condition);
    if (status && RELAPSE_STATUSES.has(status)) out.push(codedEvidence(condition, match, label, date, `clinical status ${status}`));
    const rrCode = policy.codeSets.relapsedOrRefractoryDiagnosis.matchAny(codingsOf(condition.code));
    if (rrCode) out.push(codedEvidence(condition, rrCode, rrCode.entry.display, date));
    const qualifier = policy.codeSets.relapsedOrRefractoryQualifier.matchAny(qualifierCodings(condition));
    if (qualifier) out.push(codedEvidence(condition, qualifier, `${label}, ${qualifier.entry.display}`, date));
  }
  for (const condition of usable) {
    if (qualifying.some((q) => q.condition === condition) || !isActive(condition)) continue;
    const codings = codingsOf(condition.code);
    const m = policy.codeSets.relapsedOrRefractoryQualifier.matchAny(codings) ?? policy.codeSets.relapsedOrRefractoryDiagnosis.matchAny(codings);
    if (m) out.push(codedEvidence(condition, m, m.entry.display, showDate(conditionDate(condition))));
  }
  return out;
}

function qualifierCodings(condition: Condition) {
  const concepts = [
    condition.code,
    ...(condition.stage ?? []).flatMap((s) => [s.summary, s.type]),
    ...(condition.evidence ?? []).flatMap((e) => e.code ?? []),
    ...(condition.extension ?? []).map((e) => e.valueCodeableConcept),
  ];
  const codings = codingsOf(...concepts);
  for (const e of condition.extension ?? []) if (e.valueCoding) codings.push(e.valueCoding);
  return codings;
}

export function clinicalStatusOf(condition: Condition): string | undefined {
  const coding = condition.clinicalStatus?.coding?.find((c) => c.system === CLINICAL_STATUS || c.system === undefined);
  return coding?.code;
}

function isActive(condition: Condition): boolean {
  const status = clinicalStatusOf(condition);
  if (status === undefined) return condition.abatementDateTime === undefined && condition.abatementPeriod === undefined && condition.abatementString === undefined;
  return ACTIVE_STATUSES.has(status);
}

/** Entered-in-error and refuted Conditions are not evidence of anything. */
export function isNotEvidence(condition: Condition): boolean {
  return (condition.verificationStatus?.coding ?? []).some((c) => typeof c.code === 'string' && NOT_EVIDENCE_VERIFICATION.has(c.code));
}
