import type { Bundle, BundleEntry, ClaimResponse, Extension, Subscription } from 'fhir/r4.js';
import { ADJUDICATION_CATEGORIES, PAS_EXTENSIONS, PAS_SUBSCRIPTION_TOPIC, X12 } from './pas-canonicals.js';
import { buildPasRequestBundle, EHR_BASE } from './pas-requests.js';

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
export const PAYER_BASE = 'https://www.carepartnersct.com/fhir';

/** NPIs of the two provider organisations of the tests (each subscribes for its own). */
export const HOSPITAL_A = { system: 'http://hl7.org/fhir/sid/us-npi', value: '1111111112' } as const;
export const HOSPITAL_B = { system: 'http://hl7.org/fhir/sid/us-npi', value: '2222222227' } as const;
export const token = (id: { system: string; value: string }) => `${id.system}|${id.value}`;

export interface SubscriptionOptions {
  readonly endpoint: string;
  /** The backport-filter-criteria value; default org-identifier=<HOSPITAL_A>. */
  readonly filter?: string;
  /** backport-payload-content; default full-resource. */
  readonly content?: string;
  readonly header?: string[];
}

/**
 * A PAS Subscription as a provider system POSTs it (R4 backport shape, PAS
 * profile-subscription; the IG's PASSubscriptionExample with the test's
 * endpoint and filter).
 */
export function buildPasSubscription(options: SubscriptionOptions): Subscription & Record<string, any> {
  return {
    resourceType: 'Subscription',
    meta: { profile: ['http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription'] },
    status: 'requested',
    reason: 'Receive notifications about prior authorization responses for my organization.',
    criteria: PAS_SUBSCRIPTION_TOPIC,
    _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: options.filter ?? `org-identifier=${token(HOSPITAL_A)}` }] },
    channel: {
      type: 'rest-hook',
      endpoint: options.endpoint,
      payload: 'application/fhir+json',
      _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: options.content ?? 'full-resource' }] },
      ...(options.header ? { header: options.header } : {}),
    },
  };
}

const reviewAction = (code: string, extra: Extension[] = []): Extension => ({
  url: PAS_EXTENSIONS.reviewAction,
  extension: [...extra, { url: PAS_EXTENSIONS.reviewActionCode, valueCodeableConcept: { coding: [{ system: X12.reviewAction, code }] } }],
});

/**
 * The payer's PAS response Bundle to `request` after a decision (A1 approved
 * or A4 pended): the ClaimResponse first, its references absolute to the
 * EHR's resources, which are echoed under the request's fullUrls (as the PAS
 * checker's own test builds it).
 */
export function buildPasResponseBundle(request: Bundle = buildPasRequestBundle(), decision: 'A1' | 'A4' = 'A1', authorization = 'CP-AUTH-0001'): Bundle {
  const claimEntry = request.entry![0]!;
  const claim = claimEntry.resource as Record<string, any>;
  const absolute = (reference: { reference: string }) => ({ reference: `${EHR_BASE}/${reference.reference}` });
  const claimResponse: ClaimResponse = {
    resourceType: 'ClaimResponse',
    id: `${claim['id']}-response`,
    identifier: claim['identifier'],
    status: 'active',
    type: claim['type'],
    use: 'preauthorization',
    patient: absolute(claim['patient']),
    created: '2026-06-16T10:00:00-04:00',
    insurer: absolute(claim['insurer']),
    requestor: absolute(claim['provider']),
    request: { reference: claimEntry.fullUrl! },
    outcome: 'complete',
    item: (claim['item'] as Record<string, any>[]).map((item) => ({
      ...(decision === 'A1' ? { extension: [{ url: PAS_EXTENSIONS.itemPreAuthPeriod, valuePeriod: { start: '2026-06-16', end: '2026-09-16' } }] } : {}),
      itemSequence: item['sequence'] as number,
      adjudication: [
        {
          category: { coding: [{ system: ADJUDICATION_CATEGORIES, code: 'submitted' }] },
          extension: [decision === 'A1' ? reviewAction('A1', [{ url: 'number', valueString: authorization }]) : reviewAction('A4')],
        },
      ],
    })),
  };
  const echoed = ['Patient/pat-1', 'Organization/carepartners-ct', 'PractitionerRole/prac-1-role', 'Practitioner/prac-1', 'Organization/requesting-hospital'].map(
    (ref) => structuredClone(request.entry!.find((e) => e.fullUrl === `${EHR_BASE}/${ref}`)) as BundleEntry,
  );
  return {
    resourceType: 'Bundle',
    identifier: request.identifier!,
    type: 'collection',
    timestamp: '2026-06-16T10:00:00-04:00',
    entry: [{ fullUrl: `${PAYER_BASE}/ClaimResponse/${claimResponse.id}`, resource: claimResponse }, ...echoed],
  };
}
