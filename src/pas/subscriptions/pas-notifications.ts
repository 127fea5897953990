import type { DecisionOutbox } from '../submit-claim.js';
import type { Bundle, Identifier } from 'fhir/r4.js';
import type { TrustedClients } from '../../auth/trusted-clients.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { OutboundClient } from '../../net/outbound-client.js';
import type { DecisionStore } from '../../store/decision-store.js';
import type { PasSubscriptionStore } from '../../store/pas-subscription-store.js';
import type { SqlSession } from '../../store/sql-database.js';
import { writeEventIn, type OutboxEvent } from '../../store/pas-subscription-store.js';
import { eventNotificationBundle } from './notification-bundles.js';
import { NotificationDelivery, type DeliveryDependencies, type NotificationObserver } from './notification-delivery.js';
import { tokensMatch } from './organization-filter.js';
import { PasSubscriptionService } from './subscription-service.js';

/** An organisation identifier: `{ system, value }` (a FHIR Identifier will do), or a `system|value` string. */
export type OrganizationIdentifier = Pick<Identifier, 'system' | 'value'> | string;

/** A change to a prior authorization response that the submitting organisation is to be told of. */
export interface PasNotificationEvent {
  /**
   * The sending system the response belongs to (PAS spec-64: the identifier
   * subscriptions filter on, e.g. the submitter's NPI or its ISA06 id); one
   * or several of its identifiers. Only subscriptions whose filter names one
   * of them are told.
   */
  readonly organisationIdentifier: OrganizationIdentifier | readonly OrganizationIdentifier[];
  /** The updated PAS response Bundle (ClaimResponse first), sent in full (PAS spec-68, spec-69). */
  readonly focus: Bundle;
  readonly event?: {
    /**
     * Names this change (e.g. the ClaimResponse id and its decision version):
     * enqueued twice with the same key, a subscription is told once.
     */
    readonly key?: string | undefined;
    /** When the change happened; now when not given. */
    readonly timestamp?: Date | undefined;
  };
}

/** What the notifications need: the same as their delivery loop. */
export type PasNotificationsDependencies = DeliveryDependencies;

/**
 * Telling the provider (issue 13, item 5): PAS notifications by R4
 * Subscriptions (Subscriptions R5 Backport IG, rest-hook, full-resource).
 * `subscriptions` serves the Subscription API; `enqueue` is what the PAS
 * core calls when a response changes; `start`/`stop` run the delivery loop
 * (src/http/start-server.ts). docs/pas.md "Notifications".
 */
export class PasNotifications {
  readonly subscriptions: PasSubscriptionService;
  readonly delivery: NotificationDelivery;
  readonly #store: PasSubscriptionStore;
  readonly #now: () => Date;
  readonly #logger: Logger;

  constructor(deps: PasNotificationsDependencies) {
    this.#store = deps.store;
    this.#now = deps.now ?? (() => new Date());
    this.#logger = deps.logger;
    this.delivery = new NotificationDelivery({ ...deps, now: this.#now });
    this.subscriptions = new PasSubscriptionService({ store: deps.store, trustedClients: deps.trustedClients, logger: deps.logger, now: this.#now, onCreated: () => this.delivery.wake() });
  }

  /**
   * Writes a notification to the outbox of every requested or active
   * subscription whose filter names the organisation, numbered per
   * subscription, before it resolves (in one transaction: all or none). The
   * delivery loop sends them. Resolves with how many subscriptions will be
   * told (0: nobody subscribed; the provider finds the result by $inquire).
   */
  async enqueue(event: PasNotificationEvent): Promise<{ readonly subscriptions: number }> {
    const written = await this.#store.writeEvent(this.outboxEvent(event));
    this.#logged(written, event);
    if (written.length > 0) this.delivery.wake();
    return { subscriptions: written.length };
  }

  /**
   * The same, inside the caller's transaction on the store's database, so a
   * decision and its notifications are kept together or not at all. Call
   * `delivery.wake()` once the transaction has committed.
   */
  async enqueueIn(session: SqlSession, event: PasNotificationEvent): Promise<{ readonly subscriptions: number }> {
    const written = await writeEventIn(session, this.outboxEvent(event));
    this.#logged(written, event);
    return { subscriptions: written.length };
  }

  /** Starts the delivery loop (the server does, on start). */
  start(): void {
    this.delivery.start();
  }

  /** Stops the delivery loop; what was not sent stays in the outbox. */
  stop(): Promise<void> {
    return this.delivery.stop();
  }

  private outboxEvent(event: PasNotificationEvent): OutboxEvent {
    const identifiers = (Array.isArray(event.organisationIdentifier) ? event.organisationIdentifier : [event.organisationIdentifier]).map(asIdentifier);
    const now = this.#now();
    const timestamp = event.event?.timestamp ?? now;
    return {
      concerns: (subscription) => tokensMatch(subscription.organizationIdentifiers, identifiers),
      key: event.event?.key,
      payload: (subscription, eventNumber) => eventNotificationBundle(subscription, eventNumber, event.focus, timestamp, now) as unknown as Record<string, unknown>,
      now,
    };
  }

  #logged(written: readonly string[], event: PasNotificationEvent): void {
    this.#logger.info({ event: 'pas-notification-queued', subscriptions: written, key: event.event?.key }, written.length > 0 ? 'PAS notification queued' : 'no subscription for this organisation: nothing queued');
  }
}

/** The service's PAS notifications, on the decision store's database, with the PAS_NOTIFICATION_* settings. */
export function createPasNotifications(deps: {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: DecisionStore;
  readonly trustedClients: TrustedClients | undefined;
  readonly outbound: OutboundClient;
  readonly observer?: NotificationObserver | undefined;
}): PasNotifications {
  return new PasNotifications({
    store: deps.store.pasSubscriptions(),
    outbound: deps.outbound,
    trustedClients: deps.trustedClients,
    settings: deps.config.pasNotifications,
    logger: deps.logger,
    observer: deps.observer,
  });
}

/**
 * What a decided prior authorization request tells the provider: its current
 * response Bundle to every subscription of the requesting organisation (its
 * identifiers as the request named them), once per decision. Written to the
 * outbox in the decision's own transaction (PaRequestStore.decide), with a
 * line in the request's audit trail saying how many subscriptions will be
 * told; the delivery loop is woken once the decision has committed.
 */
export function pasDecisionOutbox(notifications: PasNotifications): DecisionOutbox {
  return {
    async queue(session, request) {
      const at = request.decidedAt ?? new Date();
      const { subscriptions } = await notifications.enqueueIn(session, {
        organisationIdentifier: request.organisations,
        focus: request.responseBundle as Bundle,
        event: { key: `${request.requestId} ${request.status} ${at.toISOString()}`, timestamp: at },
      });
      return [{ at, actor: 'pas-notifications', role: 'system', action: 'notification-queued', note: `${subscriptions} subscription(s) of the requesting organisation` }];
    },
    committed: () => notifications.delivery.wake(),
  };
}

function asIdentifier(identifier: OrganizationIdentifier): Pick<Identifier, 'system' | 'value'> {
  if (typeof identifier !== 'string') return identifier;
  const bar = identifier.indexOf('|');
  return bar < 0 ? { value: identifier } : { system: identifier.slice(0, bar) || undefined, value: identifier.slice(bar + 1) };
}
