import { unavailableAmong, type AssessmentContext, type CriterionAssessment } from '../assessment-context.js';
import { runChecks } from './order-checks.js';

/**
 * "The Plan may cover Tecartus in an outpatient setting when the provider
 * attests ... that outpatient administration is clinically appropriate." An
 * outpatient order (ambulatory encounter, or outpatient/community order
 * category) needs that attestation; the coverage outcome is unchanged.
 */
export function assessOutpatientSetting(context: AssessmentContext): CriterionAssessment {
  const { policy, order, record } = context;
  const evidence = [
    ...runChecks(policy.orderChecks.outpatientOrder, order),
    ...(record.encounter ? runChecks(policy.orderChecks.outpatientEncounter, record.encounter) : []),
  ];
  if (evidence.length === 0) {
    // An unreadable Encounter may be the ambulatory one that needs the attestation.
    const blockedBy = unavailableAmong(context, ['encounter']);
    if (blockedBy.length > 0) return { result: { criterion: 'setting', status: 'unknown', finding: 'data-unavailable', evidence: [] }, findings: [], blockedBy };
    return { result: { criterion: 'setting', status: 'met', evidence: [] }, findings: [] };
  }
  return {
    result: { criterion: 'setting', status: 'unknown', finding: 'outpatient-attestation', evidence },
    findings: [
      { code: 'outpatient-attestation', determination: policy.definition.findings['outpatient-attestation'].determination, evidence, notes: [], facts: {} },
    ],
  };
}
