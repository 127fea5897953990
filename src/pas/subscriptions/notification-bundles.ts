import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Parameters, ParametersParameter } from 'fhir/r4.js';
import type { PasSubscriptionRecord } from '../../store/pas-subscription-store.js';
import { BACKPORT, PAS_SUBSCRIPTION_TOPIC } from './backport.js';

/**
 * What the service sends and answers about a subscription, in the R4 shapes
 * of the Subscriptions R5 Backport IG 1.1.0: the SubscriptionStatus is a
 * Parameters (backport-subscription-status-r4); a notification is a history
 * Bundle whose first entry is that status, its request filled in as a call
 * to the subscription's $status (backport-subscription-notification-r4, and
 * what the Inferno Subscriptions kit checks), every entry with request and
 * response (history Bundles, bdl-3/bdl-4).
 */

type NotificationType = 'handshake' | 'event-notification' | 'query-status';

export function subscriptionUrl(subscription: PasSubscriptionRecord): string {
  return `${subscription.serverBase}/Subscription/${subscription.id}`;
}

/** The SubscriptionStatus of a subscription, for a notification of `type` or a $status answer. */
export function subscriptionStatus(subscription: PasSubscriptionRecord, type: NotificationType, options: { status?: string; eventsSinceStart: number; events?: ParametersParameter[] }): Parameters {
  const status = options.status ?? subscription.status;
  return {
    resourceType: 'Parameters',
    id: randomUUID(),
    meta: { profile: [BACKPORT.statusProfile] },
    parameter: [
      { name: 'subscription', valueReference: { reference: subscriptionUrl(subscription) } },
      { name: 'topic', valueCanonical: PAS_SUBSCRIPTION_TOPIC },
      { name: 'status', valueCode: status },
      { name: 'type', valueCode: type },
      { name: 'events-since-subscription-start', valueString: String(options.eventsSinceStart) },
      ...(options.events ?? []),
      ...(status === 'error' && subscription.error ? [{ name: 'error', valueCodeableConcept: { text: subscription.error } }] : []),
    ],
  };
}

function statusEntry(subscription: PasSubscriptionRecord, status: Parameters): BundleEntry {
  return {
    fullUrl: `urn:uuid:${status.id}`,
    resource: status,
    request: { method: 'GET', url: `${subscriptionUrl(subscription)}/$status` },
    response: { status: '200' },
  };
}

function notificationBundle(entries: BundleEntry[], now: Date): Bundle {
  return { resourceType: 'Bundle', id: randomUUID(), meta: { profile: [BACKPORT.notificationProfile] }, type: 'history', timestamp: now.toISOString(), entry: entries };
}

/**
 * The handshake sent once a subscription is created (backport IG, rest-hook
 * channel): status requested, no event; a 2xx answer makes the subscription
 * active.
 */
export function handshakeBundle(subscription: PasSubscriptionRecord, now: Date): Bundle {
  return notificationBundle([statusEntry(subscription, subscriptionStatus(subscription, 'handshake', { status: 'requested', eventsSinceStart: 0 }))], now);
}

/**
 * An event notification: a prior authorization response of the subscriber's
 * organisation has changed (PAS spec-68). Full-resource (spec-69): the
 * notification-event's focus is the updated PAS response Bundle, carried as
 * the entry after the status.
 */
export function eventNotificationBundle(subscription: PasSubscriptionRecord, eventNumber: number, focus: Bundle, timestamp: Date, now: Date): Bundle {
  const focusUrl = `urn:uuid:${randomUUID()}`;
  const event: ParametersParameter = {
    name: 'notification-event',
    part: [
      { name: 'event-number', valueString: String(eventNumber) },
      { name: 'timestamp', valueInstant: timestamp.toISOString() },
      { name: 'focus', valueReference: { reference: focusUrl } },
    ],
  };
  // The status an event is sent under: it is sent only once the subscription is active.
  const status = subscriptionStatus(subscription, 'event-notification', { status: 'active', eventsSinceStart: eventNumber, events: [event] });
  return notificationBundle(
    [statusEntry(subscription, status), { fullUrl: focusUrl, resource: focus, request: { method: 'POST', url: `${subscription.serverBase}/Bundle` }, response: { status: '201' } }],
    now,
  );
}

/** The $status answer (backport-subscription-status): a searchset with one SubscriptionStatus per subscription. */
export function statusSearchset(subscriptions: readonly PasSubscriptionRecord[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: subscriptions.length,
    entry: subscriptions.map((s) => {
      const status = subscriptionStatus(s, 'query-status', { eventsSinceStart: s.eventsSinceStart });
      return { fullUrl: `urn:uuid:${status.id}`, resource: status, search: { mode: 'match' } };
    }),
  };
}
