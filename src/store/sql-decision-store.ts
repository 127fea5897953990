import { randomUUID } from 'node:crypto';
import { AccessTokenStore } from './access-token-store.js';
import { cardRow, feedbackFromRow, feedbackRow, hookCallFromRow, hookCallRow, orderDecisionRow } from './decision-rows.js';
import type {
  DecisionStore,
  FeedbackOutcome,
  FeedbackRecord,
  HookCallRecord,
  OrderDecisionRecord,
  PurgeCounts,
  ReportRows,
  StoredAssertion,
  StoredFeedback,
  StoredHookCall,
} from './decision-store.js';
import { migrate } from './migrations.js';
import { PaRequestStore } from './pa-request-store.js';
import { PasSubscriptionStore } from './pas-subscription-store.js';
import { QuestionnaireErrorStore } from './questionnaire-error-store.js';
import { reasonOffered } from './reason-offered.js';
import { ReviewerSessionStore } from './reviewer-session-store.js';
import { cards, feedback, hookCalls, orderDecisions } from './schema.js';
import { query, type SqlDatabase, type SqlSession } from './sql-database.js';
import type { ColumnsOf, RowOf } from './sql-table.js';
import { assertionFromRows } from './stored-assertion.js';

const CALLS_BY_HOOK_INSTANCE = query<RowOf<typeof hookCalls>>('SELECT * FROM hook_calls WHERE hook_instance = ? ORDER BY answered_at, call_id', hookCalls);
const ORDERS_BY_HOOK_INSTANCE = query<ColumnsOf<typeof orderDecisions, 'call_id' | 'record'>>(
  'SELECT o.call_id, o.record FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id WHERE c.hook_instance = ? ORDER BY o.position',
  orderDecisions,
);
const CARDS_BY_HOOK_INSTANCE = query<RowOf<typeof cards>>(
  'SELECT k.* FROM cards k JOIN hook_calls c ON c.call_id = k.call_id WHERE c.hook_instance = ? ORDER BY k.position',
  cards,
);
const ASSERTION_ORDERS = query<ColumnsOf<typeof hookCalls, 'answered_at' | 'patient_id' | 'hook'> & ColumnsOf<typeof orderDecisions, 'record'>>(
  `SELECT c.answered_at, c.patient_id, c.hook, o.record FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id
   WHERE o.assertion_id = ? ORDER BY c.answered_at, o.position`,
  hookCalls,
  orderDecisions,
);
const CARD_WITH_CLIENT = query<ColumnsOf<typeof cards, 'call_id' | 'override_reasons'> & ColumnsOf<typeof hookCalls, 'client_iss'>>(
  'SELECT k.call_id, c.client_iss, k.override_reasons FROM cards k JOIN hook_calls c ON c.call_id = k.call_id WHERE k.card_uuid = ?',
  cards,
  hookCalls,
);
const FEEDBACK_FOR_CARD = query<RowOf<typeof feedback>>('SELECT * FROM feedback WHERE card_uuid = ? ORDER BY feedback_id', feedback);
const DECISIONS_SINCE = query<
  ColumnsOf<typeof hookCalls, 'answered_at' | 'client_iss' | 'hook_instance'> & ColumnsOf<typeof orderDecisions, 'order_reference' | 'determination' | 'record'>
>(
  `SELECT c.answered_at, c.client_iss, c.hook_instance, o.order_reference, o.determination, o.record
   FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id WHERE c.answered_at >= ?`,
  hookCalls,
  orderDecisions,
);
const FEEDBACK_SINCE = query<ColumnsOf<typeof feedback, 'outcome_timestamp' | 'outcome' | 'override_reason_code'> & ColumnsOf<typeof cards, 'finding'>>(
  `SELECT f.outcome_timestamp, f.outcome, f.override_reason_code, k.finding
   FROM feedback f LEFT JOIN cards k ON k.card_uuid = f.card_uuid AND k.call_id = f.call_id WHERE f.outcome_timestamp >= ?`,
  feedback,
  cards,
);
const PING = query<unknown>('SELECT 1');

/**
 * The decision store, written once for both databases (decision-store.ts
 * says what it keeps and why). The SqlDatabase it is given, SQLite or
 * PostgreSQL, runs the statements; the schema is migrated on start and every
 * operation waits for that.
 */
export class SqlDecisionStore implements DecisionStore {
  readonly kind: 'sqlite' | 'postgres';
  private readonly migrated: Promise<void>;

  constructor(protected readonly db: SqlDatabase) {
    this.kind = db.dialect.kind;
    this.migrated = migrate(db);
    // Reported by ready() and by every operation; not an unhandled rejection.
    this.migrated.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.migrated;
  }

  /** The store of PAS prior authorization requests, on this store's database. */
  paRequests(): PaRequestStore {
    return new PaRequestStore(this.db, this.migrated);
  }

  /** The reviewer's page sessions, on this store's database. */
  reviewerSessions(): ReviewerSessionStore {
    return new ReviewerSessionStore(this.db, this.migrated);
  }

  /** The store for reported DTR questionnaire errors, on this store's database. */
  questionnaireErrors(): QuestionnaireErrorStore {
    return new QuestionnaireErrorStore(this.db, this.migrated);
  }

  /** The store for SMART access tokens to the FHIR API, on this store's database. */
  accessTokens(): AccessTokenStore {
    return new AccessTokenStore(this.db, this.migrated);
  }

  /** PAS subscriptions and their notification outbox, on this store's database. */
  pasSubscriptions(): PasSubscriptionStore {
    return new PasSubscriptionStore(this.db, this.migrated);
  }

  async ping(): Promise<void> {
    await this.migrated;
    await this.db.select(PING);
  }

  /** Grouped with the other calls answered in the same turn where the database does that (SQLite); each call is all or nothing. */
  async recordHookCall(call: HookCallRecord): Promise<'recorded' | 'already-recorded'> {
    await this.migrated;
    return this.db.transaction((session) => writeHookCall(session, call), { group: true });
  }

  async findHookCalls(hookInstance: string): Promise<StoredHookCall[]> {
    await this.migrated;
    const calls = await this.db.select(CALLS_BY_HOOK_INSTANCE, [hookInstance]);
    const orders = await this.db.select(ORDERS_BY_HOOK_INSTANCE, [hookInstance]);
    const cardRows = await this.db.select(CARDS_BY_HOOK_INSTANCE, [hookInstance]);
    return calls.map((c) =>
      hookCallFromRow(
        c,
        orders.filter((o) => o.call_id === c.call_id).map((o) => o.record),
        cardRows.filter((k) => k.call_id === c.call_id),
      ),
    );
  }

  async findAssertion(assertionId: string): Promise<StoredAssertion | undefined> {
    await this.migrated;
    const rows = await this.db.select(ASSERTION_ORDERS, [assertionId]);
    return assertionFromRows(
      assertionId,
      rows.map((r) => ({ answeredAt: r.answered_at, patientId: r.patient_id, hook: r.hook, record: r.record })),
    );
  }

  async recordFeedback(items: readonly FeedbackRecord[]): Promise<FeedbackOutcome[]> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      const outcomes: FeedbackOutcome[] = [];
      for (const f of items) {
        const [card] = await session.select(CARD_WITH_CLIENT, [f.card]);
        const linked = card !== undefined && card.client_iss === f.clientIss;
        const link = linked ? { callId: card.call_id, reasonOffered: reasonOffered(f, card.override_reasons) } : undefined;
        const stored = await session.insert(feedback, [feedbackRow(f, link)], ['card_uuid', 'outcome', 'outcome_timestamp']);
        outcomes.push({ card: f.card, status: stored > 0 ? 'stored' : 'already-stored', linked });
      }
      return outcomes;
    });
  }

  async findFeedback(cardUuid: string): Promise<StoredFeedback[]> {
    await this.migrated;
    return (await this.db.select(FEEDBACK_FOR_CARD, [cardUuid])).map(feedbackFromRow);
  }

  async reportRows(since: Date): Promise<ReportRows> {
    await this.migrated;
    const decisions = await this.db.select(DECISIONS_SINCE, [since]);
    const feedbackRows = await this.db.select(FEEDBACK_SINCE, [since]);
    return {
      decisions: decisions.map((d) => ({
        answeredAt: d.answered_at,
        callKey: `${d.client_iss} ${d.hook_instance}`,
        order: d.order_reference,
        determination: d.determination,
        findings: d.record.findings.map((f) => f.code),
      })),
      feedback: feedbackRows.map((f) => ({
        outcomeTimestamp: f.outcome_timestamp,
        outcome: f.outcome,
        reason: f.override_reason_code ?? undefined,
        finding: f.finding ?? undefined,
      })),
    };
  }

  async purgeBefore(cutoff: Date): Promise<PurgeCounts> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      const old = 'SELECT call_id FROM hook_calls WHERE answered_at < ?';
      await session.execute(`DELETE FROM order_decisions WHERE call_id IN (${old})`, [cutoff]);
      await session.execute(`DELETE FROM cards WHERE call_id IN (${old})`, [cutoff]);
      const hookCallCount = await session.execute('DELETE FROM hook_calls WHERE answered_at < ?', [cutoff]);
      const feedbackCount = await session.execute('DELETE FROM feedback WHERE received_at < ?', [cutoff]);
      return { hookCalls: hookCallCount, feedback: feedbackCount };
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** One answered call: its row, then its orders and cards; nothing more when the same answer is already there. */
async function writeHookCall(session: SqlSession, call: HookCallRecord): Promise<'recorded' | 'already-recorded'> {
  const callId = randomUUID();
  const inserted = await session.insert(hookCalls, [hookCallRow(callId, call)], ['client_iss', 'hook_instance', 'response_sha256']);
  if (inserted === 0) return 'already-recorded';
  if (call.orders.length > 0) await session.insert(orderDecisions, call.orders.map((o: OrderDecisionRecord, i) => orderDecisionRow(callId, i, o)));
  // A card uuid repeated within an answer is kept once.
  if (call.cards.length > 0) await session.insert(cards, call.cards.map((k, i) => cardRow(callId, i, k)), ['card_uuid']);
  return 'recorded';
}
