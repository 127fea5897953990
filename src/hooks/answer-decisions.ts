import type { FhirResource } from 'fhir/r4.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import type { ApprovedAuthorization } from './approved-authorization.js';
import { buildCards, type ShownCard } from './cards.js';
import { coverageAssertionId } from './coverage-assertion-id.js';
import { coverageInformationExtension, coverageInformationFor, coveredValue, type CoverageInformation, type CoveredCode } from './coverage-information.js';
import type { CrdOptions } from './crd-options.js';
import { coverageInformationAction } from './system-actions.js';
import type { CdsAction, CdsResponse } from './types.js';

/** One judged order and the coverage information asserted for it, if any. */
export interface JudgedOrder {
  readonly decision: OrderDecision;
  readonly coverageInformation?:
    | {
        readonly values: CoverageInformation;
        /** False when no update was sent because the order already carried the same information (CRD resp-35); `date` is then the date it carries. */
        readonly sent: boolean;
      }
    | undefined;
}

export interface AnswerInput {
  readonly policy: CompiledPolicy;
  readonly hook: 'order-sign' | 'order-select';
  readonly options: CrdOptions;
  readonly patientId: string;
  readonly decisions: readonly OrderDecision[];
  /** Each order as the EHR sent it, by `Type/id`. */
  readonly asSent: ReadonlyMap<string, FhirResource>;
  /** The day of the assertion (YYYY-MM-DD). */
  readonly date: string;
  readonly baseUrl: string;
  readonly coverageUnreadable: boolean;
  readonly coverageSent: boolean;
  /** The DTR Questionnaire's version-specific canonical, when the service serves one. */
  readonly questionnaire?: string | undefined;
  /** Approved prior authorizations, by order reference (PAS): the assertion says the PA is satisfied. */
  readonly approvals?: ReadonlyMap<string, ApprovedAuthorization> | undefined;
}

export interface Answer {
  readonly judged: readonly JudgedOrder[];
  readonly response: CdsResponse;
  /** The cards as sent, with the finding each shows. */
  readonly shown: readonly ShownCard[];
}

/** The decisions as CDS Hooks answers them: cards, and the coverage information as update system actions. */
export function answerDecisions(input: AnswerInput): Answer {
  const { decisions, options } = input;
  // Orders on the same Coverage share one coverage-assertion-id (see coverageAssertionId).
  const identities = decisions.map((decision) => ({ decision, order: input.asSent.get(decision.order.reference)!, covered: coveredValue(decision, options.version) }));
  const assertionIds = new Map<string, string>();
  for (const coverageReference of new Set(decisions.map((d) => d.coverage?.reference).filter((r): r is string => r !== undefined))) {
    const onCoverage = identities.filter((x) => x.decision.coverage?.reference === coverageReference);
    assertionIds.set(coverageReference, coverageAssertionId(onCoverage.map((x) => ({ ...x, patientId: input.patientId, hook: input.hook, version: options.version, coverageReference, satisfiedPaId: input.approvals?.get(x.decision.order.reference)?.number }))));
  }

  const judged: JudgedOrder[] = [];
  const systemActions: CdsAction[] = [];
  for (const { decision, order, covered } of identities) {
    if (!decision.coverage || options.enabled['coverage-info'] === false) {
      judged.push({ decision });
      continue;
    }
    const values = coverageInformationFor({
      decision,
      coverageReference: decision.coverage.reference,
      policy: input.policy,
      version: options.version,
      hook: input.hook,
      assertionId: assertionIds.get(decision.coverage.reference)!,
      date: input.date,
      questionnaire: input.questionnaire,
      approval: input.approvals?.get(decision.order.reference),
    });
    const extension = coverageInformationExtension(values, input.policy, options.version);
    const outcome = coverageInformationAction(order, extension, `Coverage information for ${decision.order.reference}: ${describeCovered(covered)}.`);
    if ('action' in outcome) {
      systemActions.push(outcome.action);
      judged.push({ decision, coverageInformation: { values, sent: true } });
    } else {
      judged.push({ decision, coverageInformation: { values: { ...values, date: outcome.carriedDate ?? values.date }, sent: false } });
    }
  }

  const shown = buildCards({
    policy: input.policy,
    decisions,
    version: options.version,
    baseUrl: input.baseUrl,
    enabled: options.enabled,
    maxCards: options.maxCards,
    coverageUnreadable: input.coverageUnreadable,
    coverageSent: input.coverageSent,
    approvals: input.approvals,
  });
  return { judged, shown, response: respond(input.hook, shown.map((s) => s.card), systemActions) };
}

/**
 * Order-sign always answers with both arrays, even empty: the Inferno CRD test
 * kit requires systemActions on order-sign (CDS Hooks otherwise omits empty
 * arrays, which is what order-select does).
 */
export function respond(hook: 'order-sign' | 'order-select', cards: CdsResponse['cards'], systemActions: readonly CdsAction[]): CdsResponse {
  if (hook === 'order-sign') return { cards, systemActions };
  return systemActions.length > 0 ? { cards, systemActions } : { cards };
}

function describeCovered(covered: CoveredCode): string {
  switch (covered) {
    case 'covered':
      return 'covered with prior authorization';
    case 'not-covered':
      return 'not covered';
    case 'conditional':
      return 'prior authorization needed; coverage depends on information not in the record';
    case 'indeterminate':
      return 'prior authorization needed; coverage could not be determined';
  }
}
