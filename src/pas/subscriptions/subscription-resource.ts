import type { Subscription } from 'fhir/r4.js';
import type { PasSubscriptionRecord } from '../../store/pas-subscription-store.js';

/**
 * A kept subscription as the FHIR API shows it: the Subscription as sent,
 * with the server's id, status, error and last update. Header values are the
 * subscriber's secrets (often a bearer token for its endpoint): their names
 * are shown, their values never.
 */
export function subscriptionResource(subscription: PasSubscriptionRecord): Subscription {
  const kept = subscription.resource as unknown as Subscription;
  const headers = subscription.headers.map((line) => `${line.slice(0, line.indexOf(':'))}: [hidden]`);
  return {
    ...kept,
    resourceType: 'Subscription',
    id: subscription.id,
    meta: { ...kept.meta, lastUpdated: subscription.updatedAt.toISOString() },
    status: subscription.status,
    ...(subscription.status === 'error' && subscription.error ? { error: subscription.error } : {}),
    channel: { ...kept.channel, ...(headers.length > 0 ? { header: headers } : {}) },
  };
}
