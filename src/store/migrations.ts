/**
 * Schema migrations, applied in order on start by both stores. A migration
 * once released is never edited: add a new one. Each store keeps the applied
 * versions in `schema_migrations`.
 *
 * Tables (the same in both dialects):
 * - hook_calls: one row per answer sent (a retried hookInstance gets a row per
 *   different answer, since its cards carry new uuids; the same answer twice is
 *   one row);
 * - order_decisions: each judged order of a call, its criteria, findings and
 *   coverage information (`record` holds the OrderDecisionRecord as JSON);
 * - cards: each card sent, by uuid, so feedback links to its decision;
 * - feedback: CDS Hooks feedback, one row per card, outcome and timestamp.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'hook calls, order decisions, cards, feedback',
    sqlite: `
      CREATE TABLE hook_calls (
        call_id TEXT PRIMARY KEY,
        hook_instance TEXT NOT NULL,
        client_iss TEXT NOT NULL,
        service_id TEXT NOT NULL,
        hook TEXT NOT NULL,
        crd_version TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        patient_id TEXT NOT NULL,
        response_sha256 TEXT NOT NULL,
        UNIQUE (client_iss, hook_instance, response_sha256)
      );
      CREATE INDEX hook_calls_hook_instance ON hook_calls (hook_instance);
      CREATE INDEX hook_calls_answered_at ON hook_calls (answered_at);
      CREATE TABLE order_decisions (
        call_id TEXT NOT NULL REFERENCES hook_calls (call_id),
        position INTEGER NOT NULL,
        order_reference TEXT NOT NULL,
        determination TEXT NOT NULL,
        assertion_id TEXT,
        record TEXT NOT NULL,
        PRIMARY KEY (call_id, position)
      );
      CREATE INDEX order_decisions_assertion_id ON order_decisions (assertion_id);
      CREATE TABLE cards (
        card_uuid TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES hook_calls (call_id),
        position INTEGER NOT NULL,
        indicator TEXT NOT NULL,
        topic TEXT,
        finding TEXT,
        orders TEXT NOT NULL,
        override_reasons TEXT NOT NULL
      );
      CREATE INDEX cards_call_id ON cards (call_id);
      CREATE TABLE feedback (
        feedback_id INTEGER PRIMARY KEY AUTOINCREMENT,
        card_uuid TEXT NOT NULL,
        outcome TEXT NOT NULL,
        outcome_timestamp TEXT NOT NULL,
        service_id TEXT NOT NULL,
        client_iss TEXT NOT NULL,
        received_at TEXT NOT NULL,
        call_id TEXT,
        accepted_suggestions TEXT NOT NULL,
        override_reason_system TEXT,
        override_reason_code TEXT,
        override_reason_display TEXT,
        reason_offered INTEGER,
        user_comment TEXT,
        UNIQUE (card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX feedback_received_at ON feedback (received_at);
      CREATE INDEX feedback_outcome_timestamp ON feedback (outcome_timestamp);
    `,
    postgres: `
      CREATE TABLE hook_calls (
        call_id uuid PRIMARY KEY,
        hook_instance text NOT NULL,
        client_iss text NOT NULL,
        service_id text NOT NULL,
        hook text NOT NULL,
        crd_version text NOT NULL,
        answered_at timestamptz NOT NULL,
        patient_id text NOT NULL,
        response_sha256 text NOT NULL,
        UNIQUE (client_iss, hook_instance, response_sha256)
      );
      CREATE INDEX hook_calls_hook_instance ON hook_calls (hook_instance);
      CREATE INDEX hook_calls_answered_at ON hook_calls (answered_at);
      CREATE TABLE order_decisions (
        call_id uuid NOT NULL REFERENCES hook_calls (call_id),
        position integer NOT NULL,
        order_reference text NOT NULL,
        determination text NOT NULL,
        assertion_id text,
        record jsonb NOT NULL,
        PRIMARY KEY (call_id, position)
      );
      CREATE INDEX order_decisions_assertion_id ON order_decisions (assertion_id);
      CREATE TABLE cards (
        card_uuid text PRIMARY KEY,
        call_id uuid NOT NULL REFERENCES hook_calls (call_id),
        position integer NOT NULL,
        indicator text NOT NULL,
        topic text,
        finding text,
        orders jsonb NOT NULL,
        override_reasons jsonb NOT NULL
      );
      CREATE INDEX cards_call_id ON cards (call_id);
      CREATE TABLE feedback (
        feedback_id bigserial PRIMARY KEY,
        card_uuid text NOT NULL,
        outcome text NOT NULL,
        outcome_timestamp timestamptz NOT NULL,
        service_id text NOT NULL,
        client_iss text NOT NULL,
        received_at timestamptz NOT NULL,
        call_id uuid,
        accepted_suggestions jsonb NOT NULL,
        override_reason_system text,
        override_reason_code text,
        override_reason_display text,
        reason_offered boolean,
        user_comment text,
        UNIQUE (card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX feedback_received_at ON feedback (received_at);
      CREATE INDEX feedback_outcome_timestamp ON feedback (outcome_timestamp);
    `,
  },
];
