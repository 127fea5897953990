import type { AssessmentContext, CriterionAssessment } from '../assessment-context.js';
import { runChecks } from './order-checks.js';

/** Limitation: Tecartus is a one-time infusion; an order for more (refills, quantity, repeating timing) is flagged. */
export function assessOneInfusion(context: AssessmentContext): CriterionAssessment {
  const evidence = runChecks(context.policy.orderChecks.repeatDosing, context.order);
  if (evidence.length === 0) return { result: { criterion: 'one-infusion', status: 'met', evidence: [] }, findings: [] };
  return {
    result: { criterion: 'one-infusion', status: 'not-met', finding: 'repeat-dosing', evidence },
    findings: [{ code: 'repeat-dosing', determination: context.policy.definition.findings['repeat-dosing'].determination, evidence, notes: [], facts: {} }],
  };
}
