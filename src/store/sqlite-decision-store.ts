import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  CardRecord,
  CodeRef,
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
import { MIGRATIONS } from './migrations.js';
import { reasonOffered } from './reason-offered.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { assertionFromRows } from './stored-assertion.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` (tests). */
  readonly path: string;
  /**
   * NORMAL (default): in WAL mode a committed transaction survives a crash or
   * kill of the process; only an OS crash or power loss can lose the last
   * ones. FULL: an fsync per commit, which survives power loss too.
   */
  readonly synchronous: 'NORMAL' | 'FULL';
}

interface CallRow {
  call_id: string;
  hook_instance: string;
  client_iss: string;
  service_id: string;
  hook: string;
  crd_version: string;
  answered_at: string;
  patient_id: string;
  response_sha256: string;
}
interface CardRow {
  card_uuid: string;
  indicator: string;
  topic: string | null;
  finding: string | null;
  orders: string;
  override_reasons: string;
}
interface FeedbackRow {
  card_uuid: string;
  outcome: 'accepted' | 'overridden';
  outcome_timestamp: string;
  service_id: string;
  client_iss: string;
  received_at: string;
  call_id: string | null;
  accepted_suggestions: string;
  override_reason_system: string | null;
  override_reason_code: string | null;
  override_reason_display: string | null;
  reason_offered: number | null;
  user_comment: string | null;
}

/** A hook call waiting for the next group commit. */
interface PendingHookCall {
  readonly call: HookCallRecord;
  readonly resolve: (outcome: 'recorded' | 'already-recorded') => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The embedded store (better-sqlite3 12; 13 needs Node 22): one file, WAL
 * journal, nothing to install. Writes are synchronous and committed before
 * the hook answer is sent. One process per file: a fleet uses PostgreSQL.
 */
export class SqliteDecisionStore implements DecisionStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly hookCallWriter: ReturnType<SqliteDecisionStore['prepareHookCallWriter']>;
  private readonly selectOne: Database.Statement;
  /** Statements are compiled once per store, not on every call. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private pending: PendingHookCall[] = [];

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    // The report and purge commands may open the same file while the service runs.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.hookCallWriter = this.prepareHookCallWriter();
    this.selectOne = this.db.prepare('SELECT 1');
    if (options.path !== ':memory:') {
      // Checkpoints run in a worker thread, off the request path (sqlite-checkpointer.ts).
      this.db.pragma('wal_autocheckpoint = 0');
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.checkpointer = new SqliteCheckpointer(options.path, () => {
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const apply = this.db.transaction(() => {
      const applied = new Set(this.db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        this.db.exec(m.sqlite);
        this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }
    });
    apply.immediate();
  }

  async ready(): Promise<void> {}

  async ping(): Promise<void> {
    // Throws once the database is closed (or its file became unusable).
    this.selectOne.get();
  }

  /**
   * Group commit: the hook calls answered in one turn of the event loop are
   * written in one transaction, and each caller's promise settles when that
   * transaction has committed (a decision is still recorded before its
   * answer is sent). Under load this saves a transaction (lock, WAL append)
   * per call. Each call stays all or nothing and fails alone: if the batch
   * fails, its calls are written again one transaction each, unless the
   * database itself cannot be written (closed, or locked past the busy
   * timeout), which would fail each of them alike.
   */
  recordHookCall(call: HookCallRecord): Promise<'recorded' | 'already-recorded'> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ call, resolve, reject }) === 1) setImmediate(() => this.commitPending());
    });
  }

  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    let outcomes: ('recorded' | 'already-recorded')[];
    try {
      outcomes = this.hookCallWriter.batch.immediate(batch.map((p) => p.call));
    } catch (error) {
      if (batch.length === 1 || !this.db.open || (error as { code?: unknown }).code === 'SQLITE_BUSY') {
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) {
        try {
          p.resolve(this.hookCallWriter.one.immediate(p.call));
        } catch (oneError) {
          p.reject(oneError);
        }
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(outcomes[i]!));
  }

  /** The hook-call writes, prepared once: they run before every answer. */
  private prepareHookCallWriter() {
    const insertCall = this.db.prepare(
      `INSERT INTO hook_calls (call_id, hook_instance, client_iss, service_id, hook, crd_version, answered_at, patient_id, response_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_iss, hook_instance, response_sha256) DO NOTHING`,
    );
    const insertOrder = this.db.prepare('INSERT INTO order_decisions (call_id, position, order_reference, determination, assertion_id, record) VALUES (?, ?, ?, ?, ?, ?)');
    const insertCard = this.db.prepare(
      'INSERT INTO cards (card_uuid, call_id, position, indicator, topic, finding, orders, override_reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (card_uuid) DO NOTHING',
    );
    const write = (c: HookCallRecord): 'recorded' | 'already-recorded' => {
      const callId = randomUUID();
      const inserted = insertCall.run(callId, c.hookInstance, c.clientIss, c.serviceId, c.hook, c.crdVersion, c.answeredAt.toISOString(), c.patientId, c.responseSha256);
      if (inserted.changes === 0) return 'already-recorded';
      c.orders.forEach((o, i) => insertOrder.run(callId, i, o.order, o.determination, o.coverageInformation?.assertionId ?? null, JSON.stringify(o)));
      c.cards.forEach((k, i) => insertCard.run(k.uuid, callId, i, k.indicator, k.topic ?? null, k.finding ?? null, JSON.stringify(k.orders), JSON.stringify(k.overrideReasons)));
      return 'recorded';
    };
    return {
      one: this.db.transaction(write),
      batch: this.db.transaction((calls: readonly HookCallRecord[]) => calls.map(write)),
    };
  }

  private prepared<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  async findHookCalls(hookInstance: string): Promise<StoredHookCall[]> {
    const calls = this.prepared<[string], CallRow>('SELECT * FROM hook_calls WHERE hook_instance = ? ORDER BY answered_at, call_id').all(hookInstance);
    const orders = this.prepared<[string], { record: string }>('SELECT record FROM order_decisions WHERE call_id = ? ORDER BY position');
    const cards = this.prepared<[string], CardRow>('SELECT * FROM cards WHERE call_id = ? ORDER BY position');
    return calls.map((c) => ({
      callId: c.call_id,
      hookInstance: c.hook_instance,
      clientIss: c.client_iss,
      serviceId: c.service_id,
      hook: c.hook,
      crdVersion: c.crd_version,
      answeredAt: new Date(c.answered_at),
      patientId: c.patient_id,
      responseSha256: c.response_sha256,
      orders: orders.all(c.call_id).map((o) => JSON.parse(o.record) as OrderDecisionRecord),
      cards: cards.all(c.call_id).map(cardFromRow),
    }));
  }

  async findAssertion(assertionId: string): Promise<StoredAssertion | undefined> {
    const rows = this.prepared<[string], { answered_at: string; patient_id: string; hook: string; record: string }>(
        `SELECT c.answered_at, c.patient_id, c.hook, o.record FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id
         WHERE o.assertion_id = ? ORDER BY c.answered_at, o.position`,
      )
      .all(assertionId);
    return assertionFromRows(
      assertionId,
      rows.map((r) => ({ answeredAt: new Date(r.answered_at), patientId: r.patient_id, hook: r.hook, record: JSON.parse(r.record) as OrderDecisionRecord })),
    );
  }

  async recordFeedback(items: readonly FeedbackRecord[]): Promise<FeedbackOutcome[]> {
    const findCard = this.prepared<[string], { call_id: string; client_iss: string; override_reasons: string }>(
      'SELECT k.call_id, c.client_iss, k.override_reasons FROM cards k JOIN hook_calls c ON c.call_id = k.call_id WHERE k.card_uuid = ?',
    );
    const insert = this.prepared(
      `INSERT INTO feedback (card_uuid, outcome, outcome_timestamp, service_id, client_iss, received_at, call_id, accepted_suggestions,
         override_reason_system, override_reason_code, override_reason_display, reason_offered, user_comment)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING`,
    );
    const write = this.db.transaction(() =>
      items.map((f): FeedbackOutcome => {
        const card = findCard.get(f.card);
        const linked = card !== undefined && card.client_iss === f.clientIss;
        const offered = linked ? reasonOffered(f, JSON.parse(card.override_reasons) as CodeRef[]) : undefined;
        const r = f.overrideReason;
        const result = insert.run(
          f.card,
          f.outcome,
          f.outcomeTimestamp.toISOString(),
          f.serviceId,
          f.clientIss,
          f.receivedAt.toISOString(),
          linked ? card.call_id : null,
          JSON.stringify(f.acceptedSuggestions),
          r?.system ?? null,
          r?.code ?? null,
          r?.display ?? null,
          offered === undefined ? null : offered ? 1 : 0,
          f.userComment ?? null,
        );
        return { card: f.card, status: result.changes > 0 ? 'stored' : 'already-stored', linked };
      }),
    );
    return write.immediate();
  }

  async findFeedback(cardUuid: string): Promise<StoredFeedback[]> {
    const rows = this.prepared<[string], FeedbackRow>('SELECT * FROM feedback WHERE card_uuid = ? ORDER BY feedback_id').all(cardUuid);
    return rows.map((r) => ({
      serviceId: r.service_id,
      clientIss: r.client_iss,
      receivedAt: new Date(r.received_at),
      card: r.card_uuid,
      outcome: r.outcome,
      outcomeTimestamp: new Date(r.outcome_timestamp),
      acceptedSuggestions: JSON.parse(r.accepted_suggestions) as string[],
      overrideReason: r.override_reason_code
        ? { system: r.override_reason_system ?? undefined, code: r.override_reason_code, display: r.override_reason_display ?? undefined }
        : undefined,
      userComment: r.user_comment ?? undefined,
      callId: r.call_id ?? undefined,
      reasonOffered: r.reason_offered === null ? undefined : r.reason_offered === 1,
    }));
  }

  async reportRows(since: Date): Promise<ReportRows> {
    const from = since.toISOString();
    const decisions = this.prepared<[string], { answered_at: string; client_iss: string; hook_instance: string; order_reference: string; determination: string; record: string }>(
        `SELECT c.answered_at, c.client_iss, c.hook_instance, o.order_reference, o.determination, o.record
         FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id WHERE c.answered_at >= ?`,
      )
      .all(from);
    const feedback = this.prepared<[string], { outcome_timestamp: string; outcome: 'accepted' | 'overridden'; override_reason_code: string | null; finding: string | null }>(
        `SELECT f.outcome_timestamp, f.outcome, f.override_reason_code, k.finding
         FROM feedback f LEFT JOIN cards k ON k.card_uuid = f.card_uuid AND k.call_id = f.call_id WHERE f.outcome_timestamp >= ?`,
      )
      .all(from);
    return {
      decisions: decisions.map((d) => ({
        answeredAt: new Date(d.answered_at),
        callKey: `${d.client_iss} ${d.hook_instance}`,
        order: d.order_reference,
        determination: d.determination,
        findings: (JSON.parse(d.record) as OrderDecisionRecord).findings.map((f) => f.code),
      })),
      feedback: feedback.map((f) => ({
        outcomeTimestamp: new Date(f.outcome_timestamp),
        outcome: f.outcome,
        reason: f.override_reason_code ?? undefined,
        finding: f.finding ?? undefined,
      })),
    };
  }

  async purgeBefore(cutoff: Date): Promise<PurgeCounts> {
    const before = cutoff.toISOString();
    const purge = this.db.transaction((): PurgeCounts => {
      const old = 'SELECT call_id FROM hook_calls WHERE answered_at < ?';
      this.prepared(`DELETE FROM order_decisions WHERE call_id IN (${old})`).run(before);
      this.prepared(`DELETE FROM cards WHERE call_id IN (${old})`).run(before);
      const hookCalls = this.prepared('DELETE FROM hook_calls WHERE answered_at < ?').run(before).changes;
      const feedback = this.prepared('DELETE FROM feedback WHERE received_at < ?').run(before).changes;
      return { hookCalls, feedback };
    });
    return purge.immediate();
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }
}

function cardFromRow(k: CardRow): CardRecord {
  return {
    uuid: k.card_uuid,
    indicator: k.indicator,
    topic: k.topic ?? undefined,
    finding: k.finding ?? undefined,
    orders: JSON.parse(k.orders) as string[],
    overrideReasons: JSON.parse(k.override_reasons) as CodeRef[],
  };
}
