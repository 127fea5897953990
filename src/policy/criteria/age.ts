import { ageRangeOn, compareDays, formatDay, formatPartialDate, parseFhirDate } from '../../fhir/dates.js';
import { referenceTo } from '../../fhir/references.js';
import { unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import type { Evidence, Finding } from '../decision.js';
import { fillText } from '../evidence.js';

/**
 * Criterion 2: the member is 18 years of age or older, judged on the planned
 * date of service when the order gives one, else on the order date (policy
 * issue 10, rule 3): a member who turns 18 before the planned infusion meets
 * it. A partial birth date (year, or year-month) decides the question when
 * every day it can stand for gives the same answer.
 */
export function assessAge(context: AssessmentContext): CriterionAssessment {
  const { policy, record, serviceDay } = context;
  const minimum = policy.definition.thresholds.minimumAgeYears;
  const texts = policy.definition.evidenceText;
  const patient = record.patient;
  const orderDate = formatDay(serviceDay);
  const onWhat = compareDays(serviceDay, context.orderDay) === 0 ? 'the order date' : 'the planned infusion date';

  const unknown = (note: string, evidence: Evidence[]): CriterionAssessment => {
    const blockedBy = unavailableAmong(context, ['patient']);
    if (blockedBy.length > 0) {
      return { result: { criterion: 'age', status: 'unknown', finding: 'data-unavailable', evidence }, findings: [], blockedBy };
    }
    const finding: Finding = { code: 'age-unknown', determination: policy.definition.findings['age-unknown'].determination, evidence, notes: [note], facts: {} };
    return { result: { criterion: 'age', status: 'unknown', finding: 'age-unknown', evidence }, findings: [finding] };
  };

  if (!patient) return unknown(texts.patientMissing, []);
  const birth = parseFhirDate(patient.birthDate);
  const reference = referenceTo(patient);
  if (!birth) return unknown(texts.birthDateMissing, [{ reference, description: `Patient ${reference}: no birth date` }]);

  const { min, max } = ageRangeOn(birth, serviceDay);
  const birthDate = formatPartialDate(birth);
  const age = min === max ? String(min) : `${min} or ${max}`;
  const evidence: Evidence = { reference, description: `Patient birth date ${birthDate}, age ${age} on ${onWhat} ${orderDate}`, date: birthDate };
  const note = fillText(texts.ageOnDate, { birthDate, age, orderDate, onWhat });

  const documented = min === max ? { ageYears: min } : {};
  if (min >= minimum) return { result: { criterion: 'age', status: 'met', evidence: [evidence] }, findings: [], documented };
  if (max < minimum) {
    const finding: Finding = {
      code: 'age-under-18',
      determination: policy.definition.findings['age-under-18'].determination,
      evidence: [evidence],
      notes: [note],
      facts: { age, onWhat },
    };
    return { result: { criterion: 'age', status: 'not-met', finding: 'age-under-18', evidence: [evidence] }, findings: [finding], documented };
  }
  return unknown(fillText(texts.birthDatePartial, { birthDate, orderDate, onWhat }), [evidence]);
}
