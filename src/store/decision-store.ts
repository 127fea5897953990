import type { PaRequestStore } from './pa-request-store.js';
import type { AccessTokenStore } from './access-token-store.js';
import type { PasSubscriptionStore } from './pas-subscription-store.js';
import type { QuestionnaireErrorStore } from './questionnaire-error-store.js';
import type { ReviewerSessionStore } from './reviewer-session-store.js';
import type { CriterionId, Determination, DocumentedFacts } from '../policy/decision.js';

/**
 * The decision store: every answered hook call with what was decided and
 * said (CRD found-11, found-37: keep all coverage guidance given and a log of
 * every hook call, for disputes), the look-up by coverage-assertion-id (the
 * key DTR, PAS and claims use), and CDS Hooks feedback on the cards.
 *
 * Records hold ids, codes and references only: no resource bodies, no names,
 * no birth dates (CRD sec-6: CRD data is kept for audit only).
 */
export interface DecisionStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Resolves once the schema is migrated; rejects when the database cannot be used. */
  ready(): Promise<void>;
  /** A trivial round trip to the database (readiness): rejects when it cannot be reached or the store is closed. */
  ping(): Promise<void>;
  /**
   * Records one answered hook call in one transaction. The same answer
   * recorded twice (client iss, hookInstance and response hash equal) is one
   * record: `already-recorded`, never an error.
   */
  recordHookCall(call: HookCallRecord): Promise<'recorded' | 'already-recorded'>;
  /** Every recorded answer to a hookInstance, oldest first (audit, disputes). */
  findHookCalls(hookInstance: string): Promise<StoredHookCall[]>;
  /** The assertion behind a coverage-assertion-id, or undefined if none was made. */
  findAssertion(assertionId: string): Promise<StoredAssertion | undefined>;
  /** Stores feedback items in one transaction; the same card, outcome and timestamp twice is one record. */
  recordFeedback(items: readonly FeedbackRecord[]): Promise<FeedbackOutcome[]>;
  /** Feedback received for a card, oldest first. */
  findFeedback(cardUuid: string): Promise<StoredFeedback[]>;
  /** The rows the report counts: decisions answered and feedback given since `since`. */
  reportRows(since: Date): Promise<ReportRows>;
  /** Deletes hook calls (with their decisions and cards) and feedback older than `cutoff`. */
  purgeBefore(cutoff: Date): Promise<PurgeCounts>;
  close(): Promise<void>;
  /** The store for reported DTR questionnaire errors ($log-questionnaire-errors), on the same database. */
  questionnaireErrors(): QuestionnaireErrorStore;
  /** The store of PAS prior authorization requests (issue 13), on the same database. */
  paRequests(): PaRequestStore;
  /** The store for SMART access tokens to the FHIR API, on the same database (every instance sharing it accepts them). */
  accessTokens(): AccessTokenStore;
  /** The signed-in sessions of the reviewer's page (/review), on the same database. */
  reviewerSessions(): ReviewerSessionStore;
  /** PAS subscriptions and their notification outbox, on the same database. */
  pasSubscriptions(): PasSubscriptionStore;
}

/** One answer to one hook call. */
export interface HookCallRecord {
  readonly hookInstance: string;
  /** The calling client's JWT `iss`; `open-development-mode` without authentication. */
  readonly clientIss: string;
  readonly serviceId: string;
  readonly hook: string;
  /** The CRD version the answer was given in. */
  readonly crdVersion: string;
  readonly answeredAt: Date;
  readonly patientId: string;
  /** SHA-256 (hex) of the response body as sent. */
  readonly responseSha256: string;
  readonly orders: readonly OrderDecisionRecord[];
  readonly cards: readonly CardRecord[];
}

/** How one order was judged and what coverage information was given for it. */
export interface OrderDecisionRecord {
  /** Relative reference, e.g. `MedicationRequest/123`. */
  readonly order: string;
  readonly policy: { readonly id: string; readonly version: string };
  /** The day the order was judged on (YYYY-MM-DD). */
  readonly orderDate: string;
  readonly determination: Determination;
  readonly coverage?: string | undefined;
  readonly findings: readonly FindingRecord[];
  readonly criteria: readonly CriterionRecord[];
  readonly coverageInformation?: CoverageInformationValues | undefined;
  /** The facts the decision established (DTR pre-fill); absent in records written before issue 12. */
  readonly documented?: DocumentedFacts | undefined;
  /** The day of service the order was judged for (YYYY-MM-DD); absent before issue 12. */
  readonly serviceDate?: string | undefined;
}

export interface FindingRecord {
  readonly code: string;
  readonly determination: Determination;
  /** References of the record entries the finding rests on. */
  readonly evidence: readonly string[];
}

export interface CriterionRecord {
  readonly criterion: CriterionId;
  readonly status: 'met' | 'not-met' | 'unknown';
  readonly finding?: string | undefined;
  readonly evidence: readonly string[];
}

/** The values of the ext-coverage-information extension the order carries after the answer. */
export interface CoverageInformationValues {
  readonly assertionId: string;
  readonly covered: string;
  readonly paNeeded?: string | undefined;
  readonly docNeeded: readonly string[];
  readonly docPurpose: readonly string[];
  readonly infoNeeded: readonly string[];
  /** The DTR Questionnaire named (url|version); absent before issue 12. */
  readonly questionnaire?: readonly string[] | undefined;
  readonly reasons: readonly CodeRef[];
  /** The assertion's date sub-extension (YYYY-MM-DD). */
  readonly date?: string | undefined;
  /** False when no update was sent because the order already carried it (CRD resp-35). */
  readonly sent: boolean;
}

export interface CodeRef {
  readonly system?: string | undefined;
  readonly code: string;
}

/** A card as sent, kept so that feedback can be linked to the decision. */
export interface CardRecord {
  readonly uuid: string;
  readonly indicator: string;
  /** The CRD card type (source.topic.code). */
  readonly topic?: string | undefined;
  /** The policy finding the card shows, when it shows one. */
  readonly finding?: string | undefined;
  readonly orders: readonly string[];
  readonly overrideReasons: readonly CodeRef[];
}

export interface StoredHookCall extends HookCallRecord {
  readonly callId: string;
}

/** What the look-up answers for a coverage-assertion-id. */
export interface StoredAssertion {
  readonly assertionId: string;
  readonly patientId: string;
  readonly hook: string;
  readonly coverage?: string | undefined;
  readonly firstAssertedAt: Date;
  readonly lastAssertedAt: Date;
  /** Each order the assertion covers (one id covers all Tecartus orders on one Coverage in a call). */
  readonly orders: readonly OrderDecisionRecord[];
}

/** One feedback item as received (CDS Hooks 2.0 feedback), with the calling client. */
export interface FeedbackRecord {
  readonly serviceId: string;
  readonly clientIss: string;
  readonly receivedAt: Date;
  readonly card: string;
  readonly outcome: 'accepted' | 'overridden';
  /** Normalised to UTC. */
  readonly outcomeTimestamp: Date;
  readonly acceptedSuggestions: readonly string[];
  readonly overrideReason?: (CodeRef & { readonly display?: string | undefined }) | undefined;
  readonly userComment?: string | undefined;
}

export interface FeedbackOutcome {
  readonly card: string;
  readonly status: 'stored' | 'already-stored';
  /** Whether the card is one this service sent to the same client (the feedback is linked to its decision). */
  readonly linked: boolean;
}

export interface StoredFeedback extends FeedbackRecord {
  /** The hook call whose answer carried the card; undefined when the card is unknown. */
  readonly callId?: string | undefined;
  /** Whether the override reason is one the card offered; undefined when there is no reason or the card is unknown. */
  readonly reasonOffered?: boolean | undefined;
}

export interface ReportRows {
  readonly decisions: readonly DecisionReportRow[];
  readonly feedback: readonly FeedbackReportRow[];
}

export interface DecisionReportRow {
  readonly answeredAt: Date;
  /** Client and hookInstance: a retried call is counted once. */
  readonly callKey: string;
  readonly order: string;
  readonly determination: string;
  readonly findings: readonly string[];
}

export interface FeedbackReportRow {
  readonly outcomeTimestamp: Date;
  readonly outcome: 'accepted' | 'overridden';
  readonly reason?: string | undefined;
  /** The finding the card showed, when known. */
  readonly finding?: string | undefined;
}

export interface PurgeCounts {
  readonly hookCalls: number;
  readonly feedback: number;
}
