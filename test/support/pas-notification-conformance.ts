import { absoluteReference, bundleEntries, type BundleEntry } from './bundle-references.js';
import { describe, isObject, objects, text, violationCollector, type Fail, type Json } from './fhir-json.js';
import { PAS_SUBSCRIPTION_TOPIC } from './pas-canonicals.js';
import { checkResponseBundle } from './pas-response-conformance.js';

/**
 * A PAS subscription notification (PAS 2.2.1 spec-60 to spec-62, on the R4
 * Subscriptions backport 1.1.0): a history Bundle whose first entry is the
 * subscription status Parameters (an event-notification, status active, with a
 * notification-event whose focus is in the Bundle), followed by the focus, a
 * full PAS response Bundle. Also what the Inferno Subscriptions and PAS kits
 * assert on it (notification_conformance_verification.rb,
 * pas_notification_verification.rb).
 */
export interface PasNotificationContext {
  /** The PAS request Bundle whose (updated) answer is notified. */
  readonly request?: unknown;
  /** The Subscription the notification is sent for. */
  readonly subscription?: unknown;
}

const STATUS_CODES = ['requested', 'active', 'error', 'off', 'entered-in-error'];

export function pasNotificationViolations(bundle: unknown, context: PasNotificationContext = {}): string[] {
  const { violations, fail } = violationCollector();
  const profile = 'backport-subscription-notification-r4';
  if (!isObject(bundle) || bundle['resourceType'] !== 'Bundle') {
    fail(profile, 'the notification must be a Bundle');
    return violations;
  }
  if (bundle['type'] !== 'history') fail(profile, 'Bundle.type must be history (R4 backport notification)');
  const entries = bundleEntries(bundle);
  const status = entries[0]?.resource;
  if (status?.['resourceType'] !== 'Parameters') {
    fail('backport-notification-bundle-r4-1', 'the first entry must be the subscription status Parameters');
    return violations;
  }
  objects(bundle['entry']).forEach((e, i) => {
    if (!isObject(e['request']) || !isObject(e['response'])) fail('Inferno', `Bundle.entry[${i}] needs request and response (the Subscriptions test kit checks every entry)`);
  });

  const parameters = objects(status['parameter']);
  const one = (name: string) => {
    const found = parameters.filter((p) => p['name'] === name);
    if (found.length > 1) fail('backport-subscription-status-r4', `parameter ${name} occurs ${found.length} times (0..1)`);
    return found[0];
  };
  const subscription = text(isObject(one('subscription')?.['valueReference']) ? (one('subscription')!['valueReference'] as Json)['reference'] : undefined);
  if (!subscription) fail('backport-subscription-status-r4', 'the subscription parameter (a Reference to the Subscription) is required');
  const statusCode = text(one('status')?.['valueCode']);
  if (!statusCode || !STATUS_CODES.includes(statusCode)) fail('backport-subscription-status-r4', `the status parameter is required (${STATUS_CODES.join(' | ')})`);
  else if (statusCode !== 'active') fail('Inferno', `status is ${statusCode}; an event notification is sent on an active subscription`);
  const type = text(one('type')?.['valueCode']);
  if (type !== 'event-notification') fail('spec-60', `the type parameter is ${String(type)}; a PAS result is notified as an event-notification`);
  const topic = text(one('topic')?.['valueCanonical']);
  if (topic !== PAS_SUBSCRIPTION_TOPIC) fail('backport-subscription-status-r4', `the topic parameter must be ${PAS_SUBSCRIPTION_TOPIC} (SHOULD for full-resource; the Subscriptions test kit warns without it)`);

  const subscriptionId = subscription ? /Subscription\/([^/]+)$/.exec(subscription)?.[1] : undefined;
  const statusUrl = text(isObject(objects(bundle['entry'])[0]?.['request']) ? (objects(bundle['entry'])[0]!['request'] as Json)['url'] : undefined);
  if (subscriptionId && !statusUrl?.endsWith(`Subscription/${subscriptionId}/$status`)) fail('Inferno', `the first entry's request.url must end with Subscription/${subscriptionId}/$status`);
  if (isObject(context.subscription)) {
    const expected = `Subscription/${String(context.subscription['id'])}`;
    if (!subscription?.endsWith(expected)) fail('spec-60', `the notification names subscription ${String(subscription)}, not ${expected}`);
    if (text(context.subscription['criteria']) && topic !== context.subscription['criteria']) fail('spec-60', `the topic ${String(topic)} is not the subscription's (${String(context.subscription['criteria'])})`);
  }

  const events = parameters.filter((p) => p['name'] === 'notification-event');
  if (events.length === 0) fail('spec-60', 'the notification carries no notification-event: it indicates that a prior authorization result is available');
  events.forEach((event, i) => checkEvent(event, `notification-event[${i}]`, entries, fail, context.request));
  return violations;
}

function checkEvent(event: Json, path: string, entries: readonly BundleEntry[], fail: Fail, request: unknown): void {
  const parts = objects(event['part']);
  if (!text(parts.find((p) => p['name'] === 'event-number')?.['valueString'])) fail('backport-subscription-status-r4', `${path} needs an event-number (a string)`);
  const focus = text(isObject(parts.find((p) => p['name'] === 'focus')?.['valueReference']) ? (parts.find((p) => p['name'] === 'focus')!['valueReference'] as Json)['reference'] : undefined);
  if (!focus) return fail('spec-62', `${path} has no focus: a full-resource notification names its focus`);
  const entry = entries.slice(1).find((e) => e.fullUrl === focus || (e.fullUrl !== undefined && absoluteReference(focus, entries[0]?.fullUrl) === e.fullUrl) || (e.resource && focus.endsWith(describe(e.resource))));
  if (!entry?.resource) return fail('spec-62', `${path} focus ${focus} is not an entry of the notification: full-resource notifications carry the focus resource`);
  // spec-61: the notification carries a full PAS Response Bundle (Inferno: a collection Bundle holding a ClaimResponse).
  if (entry.resource['resourceType'] !== 'Bundle') return fail('spec-61', `${path} focus is ${describe(entry.resource)}; PAS notifies the full response Bundle`);
  checkResponseBundle(entry.resource, `${path} focus Bundle`, fail, request);
}
