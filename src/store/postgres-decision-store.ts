import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
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
import { assertionFromRows } from './stored-assertion.js';

export interface PostgresStoreOptions {
  readonly url: string;
  /** The schema the tables live in (created if missing). */
  readonly schema: string;
  readonly poolMax: number;
  readonly logger?: Logger | undefined;
}

/**
 * The shared store for a fleet of instances (pg). A write is acknowledged
 * only after PostgreSQL commits it (synchronous_commit on, the server's
 * default), so an answered decision survives the loss of any instance.
 * Migrations run on start under an advisory lock, so instances starting
 * together do not race.
 */
export class PostgresDecisionStore implements DecisionStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly migrated: Promise<void>;
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
    assertSchemaName(options.schema);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax,
      options: `-c search_path=${options.schema}`,
      application_name: 'tecartus-cds',
      // A hook call must not hang on an unreachable database: it fails and answers 503.
      connectionTimeoutMillis: 5_000,
      statement_timeout: 15_000,
    });
    // Without a listener, a dropped idle connection would crash the process.
    this.pool.on('error', (err) => options.logger?.warn({ err: { message: err.message } }, 'PostgreSQL connection lost'));
    this.migrated = this.migrate();
    // Reported by ready() and by every operation; not an unhandled rejection.
    this.migrated.catch(() => undefined);
  }

  ready(): Promise<void> {
    return this.migrated;
  }

  async ping(): Promise<void> {
    await this.migrated;
    await this.pool.query('SELECT 1');
  }

  private async migrate(): Promise<void> {
    const schema = this.options.schema;
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tecartus-cds migrations ${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [m.version, m.name]);
      }
    }, false);
  }

  async recordHookCall(call: HookCallRecord): Promise<'recorded' | 'already-recorded'> {
    return this.transaction(async (client) => {
      const callId = randomUUID();
      const c = call;
      const inserted = await client.query(
        `INSERT INTO hook_calls (call_id, hook_instance, client_iss, service_id, hook, crd_version, answered_at, patient_id, response_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_iss, hook_instance, response_sha256) DO NOTHING`,
        [callId, c.hookInstance, c.clientIss, c.serviceId, c.hook, c.crdVersion, c.answeredAt, c.patientId, c.responseSha256],
      );
      if (inserted.rowCount === 0) return 'already-recorded';
      if (c.orders.length > 0) {
        await insertRows(
          client,
          'INSERT INTO order_decisions (call_id, position, order_reference, determination, assertion_id, record)',
          ['', '', '', '', '', '::jsonb'],
          c.orders.map((o, i) => [callId, i, o.order, o.determination, o.coverageInformation?.assertionId ?? null, JSON.stringify(o)]),
        );
      }
      if (c.cards.length > 0) {
        await insertRows(
          client,
          'INSERT INTO cards (card_uuid, call_id, position, indicator, topic, finding, orders, override_reasons)',
          ['', '', '', '', '', '', '::jsonb', '::jsonb'],
          c.cards.map((k, i) => [k.uuid, callId, i, k.indicator, k.topic ?? null, k.finding ?? null, JSON.stringify(k.orders), JSON.stringify(k.overrideReasons)]),
          'ON CONFLICT (card_uuid) DO NOTHING',
        );
      }
      return 'recorded';
    });
  }

  async findHookCalls(hookInstance: string): Promise<StoredHookCall[]> {
    await this.migrated;
    const calls = await this.pool.query<{
      call_id: string;
      hook_instance: string;
      client_iss: string;
      service_id: string;
      hook: string;
      crd_version: string;
      answered_at: Date;
      patient_id: string;
      response_sha256: string;
    }>('SELECT * FROM hook_calls WHERE hook_instance = $1 ORDER BY answered_at, call_id', [hookInstance]);
    const ids = calls.rows.map((c) => c.call_id);
    const orders = await this.pool.query<{ call_id: string; record: OrderDecisionRecord }>(
      'SELECT call_id, record FROM order_decisions WHERE call_id = ANY($1::uuid[]) ORDER BY position',
      [ids],
    );
    const cards = await this.pool.query<CardRow & { call_id: string }>('SELECT * FROM cards WHERE call_id = ANY($1::uuid[]) ORDER BY position', [ids]);
    return calls.rows.map((c) => ({
      callId: c.call_id,
      hookInstance: c.hook_instance,
      clientIss: c.client_iss,
      serviceId: c.service_id,
      hook: c.hook,
      crdVersion: c.crd_version,
      answeredAt: c.answered_at,
      patientId: c.patient_id,
      responseSha256: c.response_sha256,
      orders: orders.rows.filter((o) => o.call_id === c.call_id).map((o) => o.record),
      cards: cards.rows.filter((k) => k.call_id === c.call_id).map(cardFromRow),
    }));
  }

  async findAssertion(assertionId: string): Promise<StoredAssertion | undefined> {
    await this.migrated;
    const { rows } = await this.pool.query<{ answered_at: Date; patient_id: string; hook: string; record: OrderDecisionRecord }>(
      `SELECT c.answered_at, c.patient_id, c.hook, o.record FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id
       WHERE o.assertion_id = $1 ORDER BY c.answered_at, o.position`,
      [assertionId],
    );
    return assertionFromRows(
      assertionId,
      rows.map((r) => ({ answeredAt: r.answered_at, patientId: r.patient_id, hook: r.hook, record: r.record })),
    );
  }

  async recordFeedback(items: readonly FeedbackRecord[]): Promise<FeedbackOutcome[]> {
    return this.transaction(async (client) => {
      const outcomes: FeedbackOutcome[] = [];
      for (const f of items) {
        const { rows } = await client.query<{ call_id: string; client_iss: string; override_reasons: CodeRef[] }>(
          'SELECT k.call_id, c.client_iss, k.override_reasons FROM cards k JOIN hook_calls c ON c.call_id = k.call_id WHERE k.card_uuid = $1',
          [f.card],
        );
        const card = rows[0];
        const linked = card !== undefined && card.client_iss === f.clientIss;
        const offered = linked ? reasonOffered(f, card.override_reasons) : undefined;
        const r = f.overrideReason;
        const result = await client.query(
          `INSERT INTO feedback (card_uuid, outcome, outcome_timestamp, service_id, client_iss, received_at, call_id, accepted_suggestions,
             override_reason_system, override_reason_code, override_reason_display, reason_offered, user_comment)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13) ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING`,
          [
            f.card,
            f.outcome,
            f.outcomeTimestamp,
            f.serviceId,
            f.clientIss,
            f.receivedAt,
            linked ? card.call_id : null,
            JSON.stringify(f.acceptedSuggestions),
            r?.system ?? null,
            r?.code ?? null,
            r?.display ?? null,
            offered ?? null,
            f.userComment ?? null,
          ],
        );
        outcomes.push({ card: f.card, status: (result.rowCount ?? 0) > 0 ? 'stored' : 'already-stored', linked });
      }
      return outcomes;
    });
  }

  async findFeedback(cardUuid: string): Promise<StoredFeedback[]> {
    await this.migrated;
    const { rows } = await this.pool.query<{
      card_uuid: string;
      outcome: 'accepted' | 'overridden';
      outcome_timestamp: Date;
      service_id: string;
      client_iss: string;
      received_at: Date;
      call_id: string | null;
      accepted_suggestions: string[];
      override_reason_system: string | null;
      override_reason_code: string | null;
      override_reason_display: string | null;
      reason_offered: boolean | null;
      user_comment: string | null;
    }>('SELECT * FROM feedback WHERE card_uuid = $1 ORDER BY feedback_id', [cardUuid]);
    return rows.map((r) => ({
      serviceId: r.service_id,
      clientIss: r.client_iss,
      receivedAt: r.received_at,
      card: r.card_uuid,
      outcome: r.outcome,
      outcomeTimestamp: r.outcome_timestamp,
      acceptedSuggestions: r.accepted_suggestions,
      overrideReason: r.override_reason_code
        ? { system: r.override_reason_system ?? undefined, code: r.override_reason_code, display: r.override_reason_display ?? undefined }
        : undefined,
      userComment: r.user_comment ?? undefined,
      callId: r.call_id ?? undefined,
      reasonOffered: r.reason_offered ?? undefined,
    }));
  }

  async reportRows(since: Date): Promise<ReportRows> {
    await this.migrated;
    const decisions = await this.pool.query<{
      answered_at: Date;
      client_iss: string;
      hook_instance: string;
      order_reference: string;
      determination: string;
      findings: string[] | null;
    }>(
      `SELECT c.answered_at, c.client_iss, c.hook_instance, o.order_reference, o.determination,
              (SELECT jsonb_agg(f->>'code') FROM jsonb_array_elements(o.record->'findings') f) AS findings
       FROM order_decisions o JOIN hook_calls c ON c.call_id = o.call_id WHERE c.answered_at >= $1`,
      [since],
    );
    const feedback = await this.pool.query<{ outcome_timestamp: Date; outcome: 'accepted' | 'overridden'; override_reason_code: string | null; finding: string | null }>(
      `SELECT f.outcome_timestamp, f.outcome, f.override_reason_code, k.finding
       FROM feedback f LEFT JOIN cards k ON k.card_uuid = f.card_uuid AND k.call_id = f.call_id WHERE f.outcome_timestamp >= $1`,
      [since],
    );
    return {
      decisions: decisions.rows.map((d) => ({
        answeredAt: d.answered_at,
        callKey: `${d.client_iss} ${d.hook_instance}`,
        order: d.order_reference,
        determination: d.determination,
        findings: d.findings ?? [],
      })),
      feedback: feedback.rows.map((f) => ({
        outcomeTimestamp: f.outcome_timestamp,
        outcome: f.outcome,
        reason: f.override_reason_code ?? undefined,
        finding: f.finding ?? undefined,
      })),
    };
  }

  async purgeBefore(cutoff: Date): Promise<PurgeCounts> {
    return this.transaction(async (client) => {
      const old = 'SELECT call_id FROM hook_calls WHERE answered_at < $1';
      await client.query(`DELETE FROM order_decisions WHERE call_id IN (${old})`, [cutoff]);
      await client.query(`DELETE FROM cards WHERE call_id IN (${old})`, [cutoff]);
      const calls = await client.query('DELETE FROM hook_calls WHERE answered_at < $1', [cutoff]);
      const feedback = await client.query('DELETE FROM feedback WHERE received_at < $1', [cutoff]);
      return { hookCalls: calls.rowCount ?? 0, feedback: feedback.rowCount ?? 0 };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, afterMigrations = true): Promise<T> {
    if (afterMigrations) await this.migrated;
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost while checked out is reported here, not as an uncaught 'error' event.
    const onError = (e: Error) => {
      broken = e;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw error;
    } finally {
      // A connection that cannot roll back is discarded rather than reused.
      client.off('error', onError);
      client.release(broken);
    }
  }
}

interface CardRow {
  card_uuid: string;
  indicator: string;
  topic: string | null;
  finding: string | null;
  orders: string[];
  override_reasons: CodeRef[];
}

function cardFromRow(k: CardRow): CardRecord {
  return {
    uuid: k.card_uuid,
    indicator: k.indicator,
    topic: k.topic ?? undefined,
    finding: k.finding ?? undefined,
    orders: k.orders,
    overrideReasons: k.override_reasons,
  };
}

/** Multi-row INSERT ... VALUES with numbered parameters; `casts` per column (e.g. `::jsonb`). */
async function insertRows(client: pg.PoolClient, into: string, casts: readonly string[], rows: readonly unknown[][], suffix = ''): Promise<void> {
  const params: unknown[] = [];
  const values = rows.map((row) => `(${row.map((v, i) => `$${params.push(v)}${casts[i] ?? ''}`).join(', ')})`);
  await client.query(`${into} VALUES ${values.join(', ')} ${suffix}`, params);
}

/** The schema name is put into SQL text (it cannot be a parameter), so only plain names pass. */
function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
}
