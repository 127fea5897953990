/**
 * Canonicals of the PAS subscription topic and of the Subscriptions R5
 * Backport IG 1.1.0 (R4 profiles) that the service reads and writes.
 */

/** PAS 2.2: the one topic (no topic discovery is needed), "a prior authorization response has changed". */
export const PAS_SUBSCRIPTION_TOPIC = 'http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic';

export const PAS_SUBSCRIPTION_PROFILE = 'http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription';

const BACKPORT_SD = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

export const BACKPORT = {
  filterCriteria: `${BACKPORT_SD}/backport-filter-criteria`,
  payloadContent: `${BACKPORT_SD}/backport-payload-content`,
  heartbeatPeriod: `${BACKPORT_SD}/backport-heartbeat-period`,
  timeout: `${BACKPORT_SD}/backport-timeout`,
  maxCount: `${BACKPORT_SD}/backport-max-count`,
  subscriptionProfile: `${BACKPORT_SD}/backport-subscription`,
  statusProfile: `${BACKPORT_SD}/backport-subscription-status-r4`,
  notificationProfile: `${BACKPORT_SD}/backport-subscription-notification-r4`,
  statusOperation: 'http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status',
} as const;

/** R5 elements written as R4 cross-version extensions; the backport IG says not to use them on R4 Subscriptions. */
export const CROSS_VERSION_EXTENSION = /^http:\/\/hl7\.org\/fhir\/[0-9]+\.[0-9]+\/(subscriptions-backport\/)?StructureDefinition\//;
