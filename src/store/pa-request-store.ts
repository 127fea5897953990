import { paRequestEvents, paRequests } from './schema.js';
import { query, type SqlDatabase, type SqlSession } from './sql-database.js';
import type { RowOf } from './sql-table.js';

export type PaRequestStatus = RowOf<typeof paRequests>['status'];
export type PaPriority = RowOf<typeof paRequests>['priority'];

/** A prior authorization request as kept: the submitted Bundle, how it was judged, and the current answer. */
export interface PaRequestRecord {
  readonly requestId: string;
  readonly clientIss: string;
  readonly claimIdentifier: string;
  readonly receivedAt: Date;
  readonly priority: PaPriority;
  readonly dueAt: Date;
  readonly status: PaRequestStatus;
  readonly decidedAt?: Date | undefined;
  readonly decidedBy?: string | undefined;
  readonly authNumber?: string | undefined;
  readonly memberIds: readonly string[];
  readonly organisations: readonly string[];
  readonly services: readonly string[];
  readonly assertionId?: string | undefined;
  readonly patientId: string;
  readonly orders: readonly string[];
  readonly requestBundle: unknown;
  readonly adjudication: unknown;
  readonly responseBundle: unknown;
}

/** One line of a request's audit trail. */
export interface PaRequestEvent {
  readonly at: Date;
  readonly actor: string;
  readonly role: 'engine' | 'reviewer' | 'system';
  readonly action: string;
  readonly reasonCode?: string | undefined;
  readonly note?: string | undefined;
}

/** A decision taken on a pended request, written only if the request is still in the state it was read in. */
export interface PaDecisionUpdate {
  readonly requestId: string;
  /** The status the decision was taken on (a second reviewer acting at the same time loses). */
  readonly fromStatus: PaRequestStatus;
  readonly status: PaRequestStatus;
  readonly decidedAt: Date;
  readonly decidedBy: string;
  readonly authNumber?: string | undefined;
  /** The adjudication with the decided items' answers. */
  readonly adjudication: unknown;
  readonly responseBundle: unknown;
  readonly event: PaRequestEvent;
}

const BY_ID = query<RowOf<typeof paRequests>>('SELECT * FROM pa_requests WHERE request_id = ?', paRequests);
const BY_CLAIM = query<RowOf<typeof paRequests>>('SELECT * FROM pa_requests WHERE client_iss = ? AND claim_identifier = ?', paRequests);
const BY_CLIENT = query<RowOf<typeof paRequests>>('SELECT * FROM pa_requests WHERE client_iss = ? ORDER BY received_at', paRequests);
const OPEN = query<RowOf<typeof paRequests>>("SELECT * FROM pa_requests WHERE status IN ('pended', 'information-requested') ORDER BY due_at, received_at", paRequests);
const SINCE = query<RowOf<typeof paRequests>>('SELECT * FROM pa_requests WHERE received_at >= ? ORDER BY received_at', paRequests);
const BY_PATIENT = query<RowOf<typeof paRequests>>('SELECT * FROM pa_requests WHERE patient_id = ? ORDER BY received_at', paRequests);
const EVENTS = query<RowOf<typeof paRequestEvents>>('SELECT * FROM pa_request_events WHERE request_id = ? ORDER BY event_id', paRequestEvents);

/**
 * Keeps PA requests on the decision store's database (same migrations, same
 * connection). A request is written, with its first answer and event, before
 * the answer leaves; decisions change a request only from the state they saw.
 */
export class PaRequestStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly migrated: Promise<void>,
  ) {}

  /**
   * Stores a new request with its first events; when the client already sent
   * a Claim with this identifier, nothing is written and the stored request is
   * returned (a resubmission gets the same answer, never a second authorization).
   */
  async insert(record: PaRequestRecord, events: readonly PaRequestEvent[]): Promise<{ readonly stored: PaRequestRecord; readonly created: boolean }> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      const inserted = await session.insert(paRequests, [toRow(record)], ['client_iss', 'claim_identifier']);
      if (inserted === 0) {
        const [existing] = await session.select(BY_CLAIM, [record.clientIss, record.claimIdentifier]);
        return { stored: fromRow(existing!), created: false };
      }
      await appendEvents(session, record.requestId, events);
      return { stored: record, created: true };
    });
  }

  async find(requestId: string): Promise<PaRequestRecord | undefined> {
    await this.migrated;
    const [row] = await this.db.select(BY_ID, [requestId]);
    return row ? fromRow(row) : undefined;
  }

  async findByClaim(clientIss: string, claimIdentifier: string): Promise<PaRequestRecord | undefined> {
    await this.migrated;
    const [row] = await this.db.select(BY_CLAIM, [clientIss, claimIdentifier]);
    return row ? fromRow(row) : undefined;
  }

  /** Every request a client sent, oldest first ($inquire narrows them). */
  async byClient(clientIss: string): Promise<PaRequestRecord[]> {
    await this.migrated;
    return (await this.db.select(BY_CLIENT, [clientIss])).map(fromRow);
  }

  /** Every request for a patient (by the EHR's Patient id), oldest first. */
  async byPatient(patientId: string): Promise<PaRequestRecord[]> {
    await this.migrated;
    return (await this.db.select(BY_PATIENT, [patientId])).map(fromRow);
  }

  /** Requests waiting for a reviewer, soonest deadline first. */
  async open(): Promise<PaRequestRecord[]> {
    await this.migrated;
    return (await this.db.select(OPEN)).map(fromRow);
  }

  /** Requests received since `since` (the report). */
  async receivedSince(since: Date): Promise<PaRequestRecord[]> {
    await this.migrated;
    return (await this.db.select(SINCE, [since])).map(fromRow);
  }

  async events(requestId: string): Promise<PaRequestEvent[]> {
    await this.migrated;
    return (await this.db.select(EVENTS, [requestId])).map((r) => ({
      at: r.at,
      actor: r.actor,
      role: r.role,
      action: r.action,
      reasonCode: r.reason_code ?? undefined,
      note: r.note ?? undefined,
    }));
  }

  /**
   * Records a decision; false when the request was no longer in `fromStatus`
   * (someone else decided first). `alsoWrite` runs in the same transaction
   * (the notification outbox: a decision and its notifications are kept
   * together or not at all) and returns more lines for the audit trail.
   */
  async decide(update: PaDecisionUpdate, alsoWrite?: (session: SqlSession) => Promise<readonly PaRequestEvent[]>): Promise<boolean> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      const changed = await session.execute(
        'UPDATE pa_requests SET status = ?, decided_at = ?, decided_by = ?, auth_number = ?, adjudication = ?, response_bundle = ? WHERE request_id = ? AND status = ?',
        [
          update.status,
          this.db.dialect.encode('timestamp', update.decidedAt),
          update.decidedBy,
          update.authNumber ?? null,
          this.db.dialect.encode('json', update.adjudication),
          this.db.dialect.encode('json', update.responseBundle),
          update.requestId,
          update.fromStatus,
        ],
      );
      if (changed !== 1) return false;
      await appendEvents(session, update.requestId, [update.event]);
      if (alsoWrite) await appendEvents(session, update.requestId, await alsoWrite(session));
      return true;
    });
  }

  /** Adds a line to a request's audit trail (e.g. a notification queued). */
  async appendEvent(requestId: string, event: PaRequestEvent): Promise<void> {
    await this.migrated;
    await this.db.transaction((session) => appendEvents(session, requestId, [event]));
  }
}

async function appendEvents(session: SqlSession, requestId: string, events: readonly PaRequestEvent[]): Promise<void> {
  if (events.length === 0) return;
  await session.insert(
    paRequestEvents,
    events.map((e) => ({ request_id: requestId, at: e.at, actor: e.actor, role: e.role, action: e.action, reason_code: e.reasonCode ?? null, note: e.note ?? null })),
  );
}

function toRow(r: PaRequestRecord): RowOf<typeof paRequests> {
  return {
    request_id: r.requestId,
    client_iss: r.clientIss,
    claim_identifier: r.claimIdentifier,
    received_at: r.receivedAt,
    priority: r.priority,
    due_at: r.dueAt,
    status: r.status,
    decided_at: r.decidedAt ?? null,
    decided_by: r.decidedBy ?? null,
    auth_number: r.authNumber ?? null,
    member_ids: r.memberIds,
    organisations: r.organisations,
    services: r.services,
    assertion_id: r.assertionId ?? null,
    patient_id: r.patientId,
    orders: r.orders,
    request_bundle: r.requestBundle,
    adjudication: r.adjudication,
    response_bundle: r.responseBundle,
  };
}

function fromRow(r: RowOf<typeof paRequests>): PaRequestRecord {
  return {
    requestId: r.request_id,
    clientIss: r.client_iss,
    claimIdentifier: r.claim_identifier,
    receivedAt: r.received_at,
    priority: r.priority,
    dueAt: r.due_at,
    status: r.status,
    decidedAt: r.decided_at ?? undefined,
    decidedBy: r.decided_by ?? undefined,
    authNumber: r.auth_number ?? undefined,
    memberIds: r.member_ids,
    organisations: r.organisations,
    services: r.services,
    assertionId: r.assertion_id ?? undefined,
    patientId: r.patient_id,
    orders: r.orders,
    requestBundle: r.request_bundle,
    adjudication: r.adjudication,
    responseBundle: r.response_bundle,
  };
}
