import { pasNotifications, pasSubscriptions, type PasSubscriptionStatus } from './schema.js';
import { query, type SqlDatabase, type SqlSession } from './sql-database.js';
import type { ColumnsOf, RowOf } from './sql-table.js';

/**
 * PAS subscriptions and their notification outbox, on the decision store's
 * database (same migrations, same connection). The store knows rows, not
 * FHIR: callers hand it the notification Bundles to keep and say which
 * subscriptions an event concerns.
 */
export interface PasSubscriptionRecord {
  readonly id: string;
  /** The client that created it: only it may read, list or delete it (PAS spec-65). */
  readonly clientIss: string;
  readonly status: PasSubscriptionStatus;
  /** The organisations its filter names: `system|value`, or a bare value matching any system. */
  readonly organizationIdentifiers: readonly string[];
  readonly endpoint: string;
  /** The MIME type notifications are sent as (channel.payload). */
  readonly payloadType: string;
  /** channel.header, as `Name: value` lines; secrets of the subscriber. */
  readonly headers: readonly string[];
  /** backport-timeout: the longest the subscriber wants the service to wait, in seconds. */
  readonly timeoutSeconds?: number | undefined;
  /** Subscription.end: no event after it is notified. */
  readonly end?: Date | undefined;
  /** The FHIR base the subscriber used (`https://payer.example/fhir`): references in notifications are made under it. */
  readonly serverBase: string;
  /** The Subscription as accepted (without channel.header), for reads. */
  readonly resource: Record<string, unknown>;
  /** Events notified since the subscription started (the handshake is not one). */
  readonly eventsSinceStart: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Why the status is error. */
  readonly error?: string | undefined;
}

export type NewPasSubscription = Omit<PasSubscriptionRecord, 'status' | 'eventsSinceStart' | 'createdAt' | 'updatedAt' | 'error'>;

export type NotificationKind = 'handshake' | 'event-notification';

/** An outbox row claimed for delivery by one instance. */
export interface ClaimedNotification {
  readonly id: number;
  readonly kind: NotificationKind;
  readonly eventNumber: number;
  readonly payload: Record<string, unknown>;
  /** Attempts made before this one. */
  readonly attempts: number;
  readonly claimedBy: string;
  readonly subscription: PasSubscriptionRecord;
}

/** One outbox row as kept (diagnostics and tests). */
export interface OutboxRow {
  readonly id: number;
  readonly subscriptionId: string;
  readonly kind: NotificationKind;
  readonly eventNumber: number;
  readonly eventKey?: string | undefined;
  readonly hasPayload: boolean;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly deliveredAt?: Date | undefined;
  readonly failedAt?: Date | undefined;
  readonly lastError?: string | undefined;
}

/** An event to write to the outbox of every subscription it concerns. */
export interface OutboxEvent {
  /** Which subscriptions are told (among those requested or active and not ended). */
  readonly concerns: (subscription: PasSubscriptionRecord) => boolean;
  /** The same key twice for one subscription is written once (a retried caller). */
  readonly key?: string | undefined;
  /** The notification Bundle for one subscription, given its event number. */
  readonly payload: (subscription: PasSubscriptionRecord, eventNumber: number) => Record<string, unknown>;
  readonly now: Date;
}

const BY_ID = query<RowOf<typeof pasSubscriptions>>('SELECT * FROM pas_subscriptions WHERE subscription_id = ?', pasSubscriptions);
const BY_CLIENT = query<RowOf<typeof pasSubscriptions>>('SELECT * FROM pas_subscriptions WHERE client_iss = ? ORDER BY created_at, subscription_id', pasSubscriptions);
const LISTENING = query<RowOf<typeof pasSubscriptions>>(
  "SELECT * FROM pas_subscriptions WHERE status IN ('requested', 'active') AND (end_at IS NULL OR end_at > ?) ORDER BY subscription_id",
  pasSubscriptions,
);
const COUNT_EVENT = query<ColumnsOf<typeof pasSubscriptions, 'events_since_start'>>(
  'UPDATE pas_subscriptions SET events_since_start = events_since_start + 1, updated_at = ? WHERE subscription_id = ? RETURNING events_since_start',
  pasSubscriptions,
);
const EVENT_BY_KEY = query<ColumnsOf<typeof pasNotifications, 'notification_id'>>('SELECT notification_id FROM pas_notifications WHERE subscription_id = ? AND event_key = ?', pasNotifications);
const OUTBOX = query<RowOf<typeof pasNotifications>>('SELECT * FROM pas_notifications WHERE subscription_id = ? ORDER BY event_number', pasNotifications);

/**
 * Rows due now, oldest first: not delivered, not given up, not claimed by a
 * live lease, and the oldest undelivered one of their subscription (events
 * reach a subscriber in order; a handshake goes first, while the
 * subscription is requested). Events wait while the subscription is
 * requested and stop when it is in error or off.
 */
const DUE = `SELECT n.notification_id FROM pas_notifications n JOIN pas_subscriptions s ON s.subscription_id = n.subscription_id
  WHERE n.delivered_at IS NULL AND n.failed_at IS NULL AND n.next_attempt_at <= ? AND (n.claimed_until IS NULL OR n.claimed_until <= ?)
    AND (s.status = 'active' OR (n.kind = 'handshake' AND s.status = 'requested'))
    AND NOT EXISTS (SELECT 1 FROM pas_notifications e WHERE e.subscription_id = n.subscription_id AND e.event_number < n.event_number AND e.delivered_at IS NULL AND e.failed_at IS NULL)
  ORDER BY n.next_attempt_at, n.notification_id LIMIT ?`;

export class PasSubscriptionStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly migrated: Promise<void>,
  ) {}

  /** Keeps a new subscription and its handshake (event 0) in one transaction, so a restart still sends the handshake. */
  async create(subscription: NewPasSubscription, handshake: (subscription: PasSubscriptionRecord) => Record<string, unknown>, now: Date): Promise<PasSubscriptionRecord> {
    await this.migrated;
    const record: PasSubscriptionRecord = { ...subscription, status: 'requested', eventsSinceStart: 0, createdAt: now, updatedAt: now };
    await this.db.transaction(async (session) => {
      await session.insert(pasSubscriptions, [subscriptionRow(record)]);
      await insertNotification(session, record.id, 'handshake', 0, undefined, handshake(record), now);
    });
    return record;
  }

  async find(id: string): Promise<PasSubscriptionRecord | undefined> {
    await this.migrated;
    const [row] = await this.db.select(BY_ID, [id]);
    return row ? subscriptionFromRow(row) : undefined;
  }

  async listByClient(clientIss: string): Promise<PasSubscriptionRecord[]> {
    await this.migrated;
    return (await this.db.select(BY_CLIENT, [clientIss])).map(subscriptionFromRow);
  }

  /** Deletes a subscription with its outbox (notifications not yet sent are not sent). */
  async delete(id: string): Promise<boolean> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      await session.execute('DELETE FROM pas_notifications WHERE subscription_id = ?', [id]);
      return (await session.execute('DELETE FROM pas_subscriptions WHERE subscription_id = ?', [id])) > 0;
    });
  }

  /**
   * Writes the event to the outbox of each subscription it concerns, in one
   * transaction, numbering it per subscription. Resolves with the ids of the
   * subscriptions it was written for (not those that already had it).
   */
  async writeEvent(event: OutboxEvent): Promise<string[]> {
    await this.migrated;
    return this.db.transaction((session) => writeEventIn(session, event));
  }

  /**
   * Claims up to `limit` due rows for `instance` until `leaseUntil`. With
   * PostgreSQL the rows are locked while claimed (FOR UPDATE SKIP LOCKED), so
   * instances claiming at the same time take different rows; SQLite's
   * transactions take the database's write lock, which does the same.
   */
  async claimDue(instance: string, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedNotification[]> {
    await this.migrated;
    const lock = this.db.dialect.kind === 'postgres' ? ' FOR UPDATE OF n SKIP LOCKED' : '';
    return this.db.transaction(async (session) => {
      const due = await session.select(query<{ notification_id: number }>(`${DUE}${lock}`, pasNotifications), [now, now, limit]);
      if (due.length === 0) return [];
      const ids = due.map((d) => Number(d.notification_id));
      const list = ids.map(() => '?').join(', ');
      // The lease is checked again as the row is written: a claim is never taken over while it holds, locks or not.
      await session.execute(`UPDATE pas_notifications SET claimed_by = ?, claimed_until = ? WHERE notification_id IN (${list}) AND (claimed_until IS NULL OR claimed_until <= ?)`, [instance, leaseUntil, ...ids, now]);
      const rows = await session.select(
        query<RowOf<typeof pasNotifications>>(`SELECT * FROM pas_notifications WHERE notification_id IN (${list}) AND claimed_by = ? AND claimed_until = ? ORDER BY next_attempt_at, notification_id`, pasNotifications),
        [...ids, instance, leaseUntil],
      );
      const claimed: ClaimedNotification[] = [];
      for (const row of rows) {
        const [subscription] = await session.select(BY_ID, [row.subscription_id]);
        if (!subscription || !row.payload) continue;
        claimed.push({
          id: row.notification_id,
          kind: row.kind,
          eventNumber: row.event_number,
          payload: row.payload,
          attempts: row.attempts,
          claimedBy: instance,
          subscription: subscriptionFromRow(subscription),
        });
      }
      return claimed;
    });
  }

  /**
   * A delivered notification: its payload is cleared and, for a handshake,
   * the subscription becomes active. False when the claim had been lost (the
   * lease ran out and another instance took the row).
   */
  async markDelivered(notification: ClaimedNotification, now: Date): Promise<boolean> {
    await this.migrated;
    return this.db.transaction(async (session) => {
      const updated = await session.execute(
        'UPDATE pas_notifications SET delivered_at = ?, attempts = attempts + 1, payload = NULL, last_error = NULL, claimed_by = NULL, claimed_until = NULL WHERE notification_id = ? AND claimed_by = ?',
        [now, notification.id, notification.claimedBy],
      );
      if (updated > 0 && notification.kind === 'handshake') {
        await session.execute("UPDATE pas_subscriptions SET status = 'active', error = NULL, updated_at = ? WHERE subscription_id = ? AND status = 'requested'", [now, notification.subscription.id]);
      }
      return updated > 0;
    });
  }

  /** A failed attempt, to be tried again at `retryAt`. */
  async markRetry(notification: ClaimedNotification, error: string, retryAt: Date): Promise<void> {
    await this.migrated;
    await this.db.execute(
      'UPDATE pas_notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL WHERE notification_id = ? AND claimed_by = ?',
      [error, retryAt, notification.id, notification.claimedBy],
    );
  }

  /** The last failed attempt: the row is given up (payload cleared), the subscription is put in error with the reason, and the rows waiting behind it are given up too. */
  async markGivenUp(notification: ClaimedNotification, error: string, subscriptionError: string, now: Date): Promise<void> {
    await this.migrated;
    await this.db.transaction(async (session) => {
      const updated = await session.execute(
        'UPDATE pas_notifications SET attempts = attempts + 1, last_error = ?, failed_at = ?, payload = NULL, claimed_by = NULL, claimed_until = NULL WHERE notification_id = ? AND claimed_by = ?',
        [error, now, notification.id, notification.claimedBy],
      );
      if (updated > 0) {
        await session.execute("UPDATE pas_subscriptions SET status = 'error', error = ?, updated_at = ? WHERE subscription_id = ? AND status IN ('requested', 'active')", [subscriptionError, now, notification.subscription.id]);
        // A subscription in error is sent nothing more: what waited behind this row is given up too, its patient data cleared.
        await session.execute(
          "UPDATE pas_notifications SET failed_at = ?, payload = NULL, last_error = 'not sent: the subscription is in error', claimed_by = NULL, claimed_until = NULL WHERE subscription_id = ? AND delivered_at IS NULL AND failed_at IS NULL",
          [now, notification.subscription.id],
        );
      }
    });
  }

  /** Gives a claimed row back untried (the instance is stopping). */
  async release(notification: ClaimedNotification): Promise<void> {
    await this.migrated;
    await this.db.execute('UPDATE pas_notifications SET claimed_by = NULL, claimed_until = NULL WHERE notification_id = ? AND claimed_by = ?', [notification.id, notification.claimedBy]);
  }

  /** The outbox of one subscription, by event number. */
  async outbox(subscriptionId: string): Promise<OutboxRow[]> {
    await this.migrated;
    return (await this.db.select(OUTBOX, [subscriptionId])).map((r) => ({
      id: r.notification_id,
      subscriptionId: r.subscription_id,
      kind: r.kind,
      eventNumber: r.event_number,
      eventKey: r.event_key ?? undefined,
      hasPayload: r.payload !== null,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      deliveredAt: r.delivered_at ?? undefined,
      failedAt: r.failed_at ?? undefined,
      lastError: r.last_error ?? undefined,
    }));
  }
}

/**
 * The event written inside a caller's transaction: a prior authorization
 * store can record a decision and its notifications together, so neither is
 * kept without the other.
 */
export async function writeEventIn(session: SqlSession, event: OutboxEvent): Promise<string[]> {
  const listening = (await session.select(LISTENING, [event.now])).map(subscriptionFromRow).filter(event.concerns);
  const written: string[] = [];
  for (const subscription of listening) {
    // The count's UPDATE locks the subscription's row (PostgreSQL) until the transaction ends: a second writer of the same key waits here, then sees the first.
    const [counted] = await session.select(COUNT_EVENT, [event.now, subscription.id]);
    if (!counted) continue;
    if (event.key !== undefined && (await session.select(EVENT_BY_KEY, [subscription.id, event.key])).length > 0) {
      await session.execute('UPDATE pas_subscriptions SET events_since_start = events_since_start - 1 WHERE subscription_id = ?', [subscription.id]);
      continue;
    }
    const eventNumber = counted.events_since_start;
    const current = { ...subscription, eventsSinceStart: eventNumber };
    await insertNotification(session, subscription.id, 'event-notification', eventNumber, event.key, event.payload(current, eventNumber), event.now);
    written.push(subscription.id);
  }
  return written;
}

async function insertNotification(session: SqlSession, subscriptionId: string, kind: NotificationKind, eventNumber: number, key: string | undefined, payload: Record<string, unknown>, now: Date): Promise<void> {
  await session.insert(pasNotifications, [
    {
      subscription_id: subscriptionId,
      kind,
      event_number: eventNumber,
      event_key: key ?? null,
      payload,
      attempts: 0,
      next_attempt_at: now,
      claimed_by: null,
      claimed_until: null,
      delivered_at: null,
      failed_at: null,
      last_error: null,
      created_at: now,
    },
  ]);
}

function subscriptionRow(s: PasSubscriptionRecord): RowOf<typeof pasSubscriptions> {
  return {
    subscription_id: s.id,
    client_iss: s.clientIss,
    status: s.status,
    organization_identifiers: s.organizationIdentifiers,
    endpoint: s.endpoint,
    payload_type: s.payloadType,
    channel_headers: s.headers,
    timeout_seconds: s.timeoutSeconds ?? null,
    end_at: s.end ?? null,
    server_base: s.serverBase,
    resource: s.resource,
    events_since_start: s.eventsSinceStart,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    error: s.error ?? null,
  };
}

function subscriptionFromRow(r: RowOf<typeof pasSubscriptions>): PasSubscriptionRecord {
  return {
    id: r.subscription_id,
    clientIss: r.client_iss,
    status: r.status,
    organizationIdentifiers: r.organization_identifiers,
    endpoint: r.endpoint,
    payloadType: r.payload_type,
    headers: r.channel_headers,
    timeoutSeconds: r.timeout_seconds ?? undefined,
    end: r.end_at ?? undefined,
    serverBase: r.server_base,
    resource: r.resource,
    eventsSinceStart: Number(r.events_since_start),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    error: r.error ?? undefined,
  };
}
