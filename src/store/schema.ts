import type { CodeRef, OrderDecisionRecord } from './decision-store.js';
import { boolean, integer, json, serial, table, text, timestamp, uuid } from './sql-table.js';

/**
 * The store's tables, defined once for both databases (each database's
 * Dialect spells the types: sqlite-decision-store.ts, postgres-decision-store.ts).
 * A new table is one definition here and a `createTable` step in a new
 * migration (migrations.ts); a column added to a released table is marked
 * `.since(version)` and added by an `addColumns` step.
 *
 * Records hold ids, codes and references only (CRD sec-6: CRD data is kept
 * for audit only): no resource bodies, names or birth dates.
 */

/** The applied migrations (migrations.ts). */
export const schemaMigrations = table(
  'schema_migrations',
  {
    version: integer(),
    name: text(),
    applied_at: timestamp(),
  },
  { primaryKey: ['version'] },
);

/**
 * One row per answer sent (CRD found-37). A retried hookInstance gets a row
 * per different answer, since its cards carry new uuids; the same answer
 * twice (client, hookInstance, response hash) is one row.
 */
export const hookCalls = table(
  'hook_calls',
  {
    call_id: uuid(),
    hook_instance: text(),
    client_iss: text(),
    service_id: text(),
    hook: text(),
    crd_version: text(),
    answered_at: timestamp(),
    patient_id: text(),
    response_sha256: text(),
  },
  {
    primaryKey: ['call_id'],
    unique: [['client_iss', 'hook_instance', 'response_sha256']],
    indexes: [{ columns: ['hook_instance'] }, { columns: ['answered_at'] }],
  },
);

/** Each judged order of a call (CRD found-11): `record` holds the OrderDecisionRecord; the assertion id is the look-up key. */
export const orderDecisions = table(
  'order_decisions',
  {
    call_id: uuid().references(hookCalls, 'call_id'),
    position: integer(),
    order_reference: text(),
    determination: text(),
    assertion_id: text().nullable(),
    record: json<OrderDecisionRecord>(),
  },
  {
    primaryKey: ['call_id', 'position'],
    indexes: [{ columns: ['assertion_id'] }],
  },
);

/** Each card sent, by uuid, so feedback links to its decision. */
export const cards = table(
  'cards',
  {
    card_uuid: text(),
    call_id: uuid().references(hookCalls, 'call_id'),
    position: integer(),
    indicator: text(),
    topic: text().nullable(),
    finding: text().nullable(),
    orders: json<readonly string[]>(),
    override_reasons: json<readonly CodeRef[]>(),
  },
  {
    primaryKey: ['card_uuid'],
    indexes: [{ columns: ['call_id'] }],
  },
);

/** CDS Hooks feedback: one row per card, outcome and outcome timestamp. */
export const feedback = table(
  'feedback',
  {
    feedback_id: serial(),
    card_uuid: text(),
    outcome: text<'accepted' | 'overridden'>(),
    outcome_timestamp: timestamp(),
    service_id: text(),
    client_iss: text(),
    received_at: timestamp(),
    call_id: uuid().nullable(),
    accepted_suggestions: json<readonly string[]>(),
    override_reason_system: text().nullable(),
    override_reason_code: text().nullable(),
    override_reason_display: text().nullable(),
    reason_offered: boolean().nullable(),
    user_comment: text().nullable(),
  },
  {
    primaryKey: ['feedback_id'],
    unique: [['card_uuid', 'outcome', 'outcome_timestamp']],
    indexes: [{ columns: ['received_at'] }, { columns: ['outcome_timestamp'] }],
  },
);

/**
 * Errors DTR clients report about the questionnaire package
 * ($log-questionnaire-errors, DTR oper-1), kept with the call they concern
 * (the CRD coverage-assertion-id, when given). Codes, locations and ids
 * only: the clients' free text may carry patient data and is not kept (oper-2).
 */
export const questionnaireErrors = table(
  'questionnaire_errors',
  {
    error_id: serial(),
    received_at: timestamp(),
    client_iss: text(),
    questionnaires: json<readonly string[]>(),
    assertion_id: text().nullable(),
    issues: json<readonly QuestionnaireErrorIssue[]>(),
  },
  {
    primaryKey: ['error_id'],
    indexes: [{ columns: ['received_at'] }, { columns: ['assertion_id'] }],
  },
);

/** One issue of a reported error, without its free text. */
export interface QuestionnaireErrorIssue {
  readonly severity?: string | undefined;
  readonly code?: string | undefined;
  readonly details?: readonly { readonly system?: string | undefined; readonly code?: string | undefined }[] | undefined;
  readonly expression?: readonly string[] | undefined;
}

/**
 * Prior authorization requests (Da Vinci PAS Claim/$submit, issue 13). Unlike
 * the CRD tables, a PA request is kept whole: the submitted Bundle is the
 * request of record that reviewers read, $inquire answers from and appeals
 * rely on. One row per Claim identifier and client (a resubmission is the
 * same request); `response_bundle` is the current answer.
 */
export const paRequests = table(
  'pa_requests',
  {
    request_id: uuid(),
    client_iss: text(),
    /** `system|value` of the Claim's identifier (the provider's trace number). */
    claim_identifier: text(),
    received_at: timestamp(),
    priority: text<'standard' | 'expedited'>(),
    due_at: timestamp(),
    status: text<'certified' | 'pended' | 'not-certified' | 'information-requested'>(),
    decided_at: timestamp().nullable(),
    /** `engine`, or the reviewer's user name. */
    decided_by: text().nullable(),
    auth_number: text().nullable(),
    /** `system|value` of the member id (the Coverage's, else the Patient's identifiers). */
    member_ids: json<readonly string[]>(),
    /** `system|value` identifiers of the submitting organisation (PAS notifications are filtered on them). */
    organisations: json<readonly string[]>(),
    /** `system|code` of each item's service. */
    services: json<readonly string[]>(),
    assertion_id: text().nullable(),
    /** The Claim's Patient id and the orders its items name (`Type/id`), as the EHR identifies them: a later order-sign finds the approval (CRD satisfied). */
    patient_id: text(),
    orders: json<readonly string[]>(),
    request_bundle: json<unknown>(),
    adjudication: json<unknown>(),
    response_bundle: json<unknown>(),
  },
  {
    primaryKey: ['request_id'],
    unique: [['client_iss', 'claim_identifier']],
    indexes: [{ columns: ['status', 'due_at'] }, { columns: ['received_at'] }, { columns: ['patient_id'] }],
  },
);

/** What happened to a PA request, append-only: submitted, decided by the engine or a reviewer, notified. */
export const paRequestEvents = table(
  'pa_request_events',
  {
    event_id: serial(),
    request_id: uuid().references(paRequests, 'request_id'),
    at: timestamp(),
    actor: text(),
    role: text<'engine' | 'reviewer' | 'system'>(),
    action: text(),
    reason_code: text().nullable(),
    note: text().nullable(),
  },
  {
    primaryKey: ['event_id'],
    indexes: [{ columns: ['request_id'] }],
  },
);

/**
 * SMART Backend Services access tokens to the FHIR API (access-token-store.ts),
 * on the shared database so that every instance accepts the tokens any of
 * them issued. Only the token's SHA-256 is kept: a copy of the table
 * cannot be used to call the API.
 */
export const accessTokens = table(
  'access_tokens',
  {
    token_sha256: text(),
    client_iss: text(),
    scopes: json<readonly string[]>(),
    issued_at: timestamp(),
    expires_at: timestamp(),
  },
  {
    primaryKey: ['token_sha256'],
    indexes: [{ columns: ['expires_at'] }],
  },
);

/**
 * Signed-in sessions of the reviewer's page (/review, issue 13). Kept here,
 * not in a signed cookie, so that signing out ends a session at once on every
 * instance sharing the database. The cookie carries a random token; only its
 * SHA-256 is stored, so reading this table gives no usable session. The CSRF
 * token of the session's forms is kept with it (synchronizer token).
 */
export const reviewerSessions = table(
  'reviewer_sessions',
  {
    /** SHA-256 (hex) of the session token the cookie carries. */
    token_sha256: text(),
    username: text(),
    role: text<'reviewer' | 'auditor'>(),
    csrf_token: text(),
    created_at: timestamp(),
    /** Ends the session: moved forward by use (idle timeout), never past the absolute limit. */
    expires_at: timestamp(),
  },
  {
    primaryKey: ['token_sha256'],
    indexes: [{ columns: ['expires_at'] }],
  },
);

/**
 * PAS subscriptions (R4 Subscriptions backport; PAS spec-62 to spec-69): one
 * row per Subscription a provider system created, with the client that
 * created it (only it may read or delete it, spec-65), the organisation
 * identifiers of its filter (`system|value`, or a bare value that matches
 * any system), where notifications go and how far its event count has got
 * (eventsSinceSubscriptionStart). `channel_headers` are the client's own
 * headers for its endpoint (often a bearer token): sent, never logged, never
 * shown back.
 */
export const pasSubscriptions = table(
  'pas_subscriptions',
  {
    subscription_id: uuid(),
    client_iss: text(),
    status: text<PasSubscriptionStatus>(),
    organization_identifiers: json<readonly string[]>(),
    endpoint: text(),
    payload_type: text(),
    channel_headers: json<readonly string[]>(),
    timeout_seconds: integer().nullable(),
    end_at: timestamp().nullable(),
    server_base: text(),
    resource: json<Record<string, unknown>>(),
    events_since_start: integer(),
    created_at: timestamp(),
    updated_at: timestamp(),
    error: text().nullable(),
  },
  {
    primaryKey: ['subscription_id'],
    indexes: [{ columns: ['client_iss'] }, { columns: ['status'] }],
  },
);

export type PasSubscriptionStatus = 'requested' | 'active' | 'error' | 'off';

/**
 * The notification outbox: a row per notification to send (the handshake,
 * event number 0, and each event), written before the caller is told it is
 * queued, sent by the delivery loop of whichever instance claims it first
 * (`claimed_by` until `claimed_until`), retried with backoff until
 * delivered or given up. The Bundle in `payload` carries patient data; it is
 * cleared once delivered or given up, the row staying as the delivery log.
 */
export const pasNotifications = table(
  'pas_notifications',
  {
    notification_id: serial(),
    subscription_id: uuid().references(pasSubscriptions, 'subscription_id'),
    kind: text<'handshake' | 'event-notification'>(),
    event_number: integer(),
    event_key: text().nullable(),
    payload: json<Record<string, unknown>>().nullable(),
    attempts: integer(),
    next_attempt_at: timestamp(),
    claimed_by: text().nullable(),
    claimed_until: timestamp().nullable(),
    delivered_at: timestamp().nullable(),
    failed_at: timestamp().nullable(),
    last_error: text().nullable(),
    created_at: timestamp(),
  },
  {
    primaryKey: ['notification_id'],
    unique: [
      ['subscription_id', 'event_number'],
      ['subscription_id', 'event_key'],
    ],
    indexes: [{ columns: ['next_attempt_at'] }],
  },
);
