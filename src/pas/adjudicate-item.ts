import type { CriterionId, CriterionResult, DocumentedFacts, OrderDecision } from '../policy/decision.js';
import type { FindingCode, PolicyDefinition } from '../policy/policy-definition.js';
import type { CriterionRecord } from '../store/decision-store.js';
import { answersSatisfying, type FormAnswer } from './form-answers.js';

/** The order-sign decision for the item's order, when the request names the assertion and it is the same patient and order. */
export interface OrderSignDecision {
  readonly assertionId: string;
  /** The criteria as the CRD decision stored them at order-sign. */
  readonly criteria: readonly CriterionRecord[];
  readonly documented?: DocumentedFacts | undefined;
}

export type CriterionOutcomeKind = 'proven-by-record' | 'attested' | 'open' | 'contradicted';

/** How one criterion came out for a PA request, with what it rests on. */
export interface CriterionOutcome {
  readonly criterion: CriterionId | 'form' | 'required-answer';
  /** The criterion in the policy's words. */
  readonly name: string;
  readonly outcome: CriterionOutcomeKind;
  /** Where the proof came from: the record read at order-sign, the submitted Bundle, or the clinician's answers. */
  readonly source?: 'order-sign' | 'submission' | 'form' | undefined;
  readonly finding?: string | undefined;
  /** Record entries (references or descriptions) the outcome rests on. */
  readonly evidence: readonly string[];
  /** The clinician's answers that attest it (shown as attestations, not as record evidence). */
  readonly answers?: readonly FormAnswer[] | undefined;
  /** What is missing or why it is open, in a sentence for the provider and the reviewer. */
  readonly note?: string | undefined;
}

/**
 * The engine's proposal for one Claim item. There is no `deny`: only a
 * reviewer can decide not to certify (42 CFR 422.566(d)); the engine
 * certifies or pends.
 */
export interface ItemAdjudication {
  readonly sequence: number;
  readonly service: string;
  readonly order?: string | undefined;
  /** The date of service the engine judged (the planned infusion date, else the order date): an approval runs from it. */
  readonly serviceDate?: string | undefined;
  readonly decision: 'certify' | 'pend';
  readonly criteria: readonly CriterionOutcome[];
  /** The open and contradicted outcomes' notes: what a reviewer must settle. */
  readonly missing: readonly string[];
}

export interface ItemAdjudicationInput {
  readonly policy: PolicyDefinition;
  readonly sequence: number;
  readonly service: string;
  /** The engine's decision on the submitted resources; undefined when the item is not the policy's service. */
  readonly submitted?: OrderDecision | undefined;
  readonly atOrderSign?: OrderSignDecision | undefined;
  /** The DTR form's answers by linkId; undefined when no QuestionnaireResponse came with the request. */
  readonly answers?: ReadonlyMap<string, readonly FormAnswer[]> | undefined;
}

const CRITERIA: readonly CriterionId[] = ['eligibility', 'diagnosis', 'relapsed-or-refractory', 'age', 'no-prior-car-t', 'one-infusion', 'setting'];
/** Judged on the order itself, so the submitted order's own reading stands over the one signed earlier. */
const ORDER_CRITERIA: ReadonlySet<CriterionId> = new Set(['one-infusion', 'eligibility']);
/** Proven by the absence of something: only a full record (read at order-sign) can show it, never the few resources of a PA Bundle. */
const ABSENCE_CRITERIA: ReadonlySet<CriterionId> = new Set(['no-prior-car-t']);

/**
 * Adjudicates one item (issue 13): every criterion proven by the record (at
 * order-sign or in the submission) or, where the policy lets the clinician's
 * answers settle it, attested on the form; and the answers every request
 * needs. All proven → certify; anything open or contradicted → pend, with
 * what is missing. A pure function of its input.
 */
export function adjudicateItem(input: ItemAdjudicationInput): ItemAdjudication {
  const rules = input.policy.priorAuthorizationRequest;
  const names = rules.criteriaNames;
  const base = { sequence: input.sequence, service: input.service, order: input.submitted?.order.reference, serviceDate: input.submitted?.serviceDate };
  if (!input.submitted) {
    const note = `This item (${input.service}) is not a Tecartus (HCPCS ${input.policy.billingCode.code}) order this service decides: a reviewer decides it.`;
    return { ...base, decision: 'pend', criteria: [{ criterion: 'form', name: 'The service requested', outcome: 'open', evidence: [], note }], missing: [note] };
  }
  const submitted = input.submitted;
  const answers = input.answers;
  const criteria: CriterionOutcome[] = CRITERIA.map((criterion) => judgeCriterion(input, criterion, submitted, answers));

  if (!answers) {
    criteria.push({ criterion: 'form', name: names.form, outcome: 'open', evidence: [], note: 'No documentation form (DTR QuestionnaireResponse) came with the request: the attestations it carries are missing.' });
  } else {
    for (const rule of rules.requiredAnswers) {
      const found = answersSatisfying(rule, answers);
      criteria.push(
        found
          ? { criterion: 'required-answer', name: capitalised(rule.says), outcome: 'attested', source: 'form', evidence: [], answers: found }
          : { criterion: 'required-answer', name: capitalised(rule.says), outcome: 'open', evidence: [], note: `The form does not show that ${rule.says}.` },
      );
    }
    const disagreement = diagnosisDisagreement(input, answers, submitted.documented);
    if (disagreement) criteria.push(disagreement);
  }
  const unsettled = criteria.filter((c) => c.outcome === 'open' || c.outcome === 'contradicted');
  return { ...base, decision: unsettled.length === 0 ? 'certify' : 'pend', criteria, missing: unsettled.map((c) => c.note ?? c.name) };
}

function judgeCriterion(input: ItemAdjudicationInput, criterion: CriterionId, submitted: OrderDecision, answers: ReadonlyMap<string, readonly FormAnswer[]> | undefined): CriterionOutcome {
  const { policy } = input;
  const name = policy.priorAuthorizationRequest.criteriaNames[criterion];
  const sub = submitted.criteria.find((c) => c.criterion === criterion);
  const signed = input.atOrderSign?.criteria.find((c) => c.criterion === criterion);
  const notCovered = (finding: string | undefined) => finding !== undefined && policy.findings[finding as FindingCode]?.determination === 'not-covered';

  // A finding the policy calls not covered (prior CAR-T, under 18) is never overridden by an answer: a reviewer decides.
  if (sub && notCovered(sub.finding)) return { criterion, name, outcome: 'contradicted', source: 'submission', finding: sub.finding, evidence: describe(sub), note: findingNote(policy, sub.finding) };
  if (signed && notCovered(signed.finding)) return { criterion, name, outcome: 'contradicted', source: 'order-sign', finding: signed.finding, evidence: signed.evidence, note: findingNote(policy, signed.finding) };
  // A non-qualifying diagnosis sent with the request outweighs a qualifying one seen earlier.
  if (criterion === 'diagnosis' && sub?.status === 'not-met' && sub.evidence.length > 0 && signed?.status === 'met') {
    return { criterion, name, outcome: 'open', source: 'submission', finding: sub.finding, evidence: describe(sub), note: `The diagnoses sent with the request (${describe(sub).join('; ')}) do not match the qualifying diagnosis found at order signing.` };
  }

  const fromSubmission = sub?.status === 'met' && !ABSENCE_CRITERIA.has(criterion) ? sub : undefined;
  const fromOrderSign = signed?.status === 'met' && !(ORDER_CRITERIA.has(criterion) && sub && sub.status !== 'met') ? signed : undefined;
  if (fromSubmission) return { criterion, name, outcome: 'proven-by-record', source: 'submission', evidence: describe(fromSubmission) };
  if (fromOrderSign) return { criterion, name, outcome: 'proven-by-record', source: 'order-sign', evidence: fromOrderSign.evidence };

  const finding = (ORDER_CRITERIA.has(criterion) ? sub?.finding : signed?.finding ?? sub?.finding) ?? 'unsettled';
  const rule = policy.priorAuthorizationRequest.attestations.find((r) => r.criterion === criterion && r.closes.includes(finding));
  const attested = rule && answers ? answersSatisfying(rule, answers) : undefined;
  if (attested) return { criterion, name, outcome: 'attested', source: 'form', finding: finding === 'unsettled' ? undefined : finding, evidence: signed?.evidence ?? describe(sub), answers: attested };

  const why = ABSENCE_CRITERIA.has(criterion) && !signed
    ? 'The patient\'s record was not read at order signing (no CRD coverage assertion on the order), so the history cannot show there was no earlier CAR-T therapy: a reviewer checks it.'
    : finding !== 'unsettled' && policy.findings[finding as FindingCode]
      ? findingNote(policy, finding)
      : `Neither the record nor the form settles it${rule ? `; the form would, if ${rule.says}` : ''}.`;
  return { criterion, name, outcome: 'open', finding: finding === 'unsettled' ? undefined : finding, evidence: signed?.evidence ?? describe(sub), note: why };
}

/** The form's diagnosis must be the one the record proves (MCL or ALL). */
function diagnosisDisagreement(input: ItemAdjudicationInput, answers: ReadonlyMap<string, readonly FormAnswer[]>, submittedFacts: DocumentedFacts): CriterionOutcome | undefined {
  const rule = input.policy.priorAuthorizationRequest.diagnosisAnswer;
  const answered = answers.get(rule.linkId)?.[0];
  const recorded = input.atOrderSign?.documented?.diagnosis?.kind ?? submittedFacts.diagnosis?.kind;
  if (!answered || !recorded) return undefined;
  const expected = rule[recorded];
  if (answered.value === expected) return undefined;
  return {
    criterion: 'diagnosis',
    name: input.policy.priorAuthorizationRequest.criteriaNames.diagnosis,
    outcome: 'contradicted',
    source: 'form',
    evidence: [],
    answers: [answered],
    note: `The form gives the diagnosis as "${answered.display}", but the record shows ${recorded === 'mcl' ? 'mantle cell lymphoma' : 'acute lymphoblastic leukemia'}.`,
  };
}

function describe(result: CriterionResult | undefined): string[] {
  return (result?.evidence ?? []).map((e) => e.description);
}

function findingNote(policy: PolicyDefinition, finding: string | undefined): string {
  const definition = finding ? policy.findings[finding as FindingCode] : undefined;
  return definition ? definition.summary.replace(/\{[a-zA-Z]+\}/g, '…') : 'The record does not settle it.';
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
