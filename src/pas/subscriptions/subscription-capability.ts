import type { CapabilityStatementRestResource } from 'fhir/r4.js';
import { BACKPORT, PAS_SUBSCRIPTION_PROFILE, PAS_SUBSCRIPTION_TOPIC } from './backport.js';

/**
 * The Subscription entry of the CapabilityStatement (PAS spec-66: servers
 * supporting subscriptions expose them there), as the backport IG's R4
 * server capability has it: the backport profile and $status, the PAS topic
 * (extension subscriptiontopic-canonical, R4 style).
 */
export function subscriptionCapability(): CapabilityStatementRestResource {
  return {
    extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical', valueCanonical: PAS_SUBSCRIPTION_TOPIC }],
    type: 'Subscription',
    supportedProfile: [BACKPORT.subscriptionProfile, PAS_SUBSCRIPTION_PROFILE],
    interaction: [{ code: 'create' }, { code: 'read' }, { code: 'delete' }, { code: 'search-type' }],
    searchParam: [{ name: 'status', type: 'token' }],
    operation: [{ name: 'status', definition: BACKPORT.statusOperation }],
    documentation: 'PAS subscriptions (R4 backport): rest-hook channel, full-resource payload (application/fhir+json), filter org-identifier=<the sending system identifier>. Each belongs to the client that created it.',
  };
}
