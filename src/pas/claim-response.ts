import type { Bundle, ClaimResponse, ClaimResponseItem, CodeableConcept, Extension } from 'fhir/r4.js';
import type { IndexedEntry } from './bundle-index.js';
import { ADJUDICATION_SYSTEM, DECISION_REASON_SYSTEM, PAS, REVIEW_ACTION_SYSTEM, REVIEW_ACTIONS } from './pas-canonicals.js';
import type { PasSubmission } from './read-pas-request.js';

/** A reason a reviewer gave for not certifying, from the policy's list. */
export interface DenialReason {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  /** The X12 886 code the plan mapped it to, when it has (the code list is licensed). */
  readonly x12Code?: string | undefined;
}

/** The decision on one item, as the answer states it. */
export type ItemAnswer =
  | { readonly sequence: number; readonly action: 'certified'; readonly authNumber: string; readonly period: { readonly start: string; readonly end: string }; readonly issued: string }
  | { readonly sequence: number; readonly action: 'pended' }
  | { readonly sequence: number; readonly action: 'not-certified'; readonly reasons: readonly DenialReason[] };

export interface ClaimResponseInput {
  readonly submission: PasSubmission;
  /** This service's FHIR base (…/fhir): the ClaimResponse's fullUrl is under it. */
  readonly fhirBase: string;
  readonly responseId: string;
  readonly created: Date;
  readonly items: readonly ItemAnswer[];
  /** Plain sentences for the provider: what is missing, the reviewer's note. */
  readonly notes: readonly string[];
  /** Set when a person decided (PAS extension-claimResponseReviewer; 42 CFR 422.566(d) for denials). */
  readonly humanReviewed: boolean;
}

/**
 * The PAS response Bundle (profile-pas-response-bundle): the ClaimResponse
 * first (spec-30), then every resource it references and theirs, each once,
 * under the fullUrls the request gave them (spec-33); each Claim item
 * answered by its sequence (spec-34) with its X12 306 review action on
 * item.adjudication (A1 with the authorization number and period, A3 with its
 * reasons, A4 pended). `outcome` is complete even when pended, as in the IG.
 */
export function buildResponseBundle(input: ClaimResponseInput): Bundle {
  const { submission } = input;
  const { claim, claimEntry, index } = submission;
  const absolute = (entry: IndexedEntry | undefined, fallback: string | undefined) => entry?.fullUrl ?? fallback;
  const patientRef = absolute(submission.patientEntry, claim.patient.reference)!;
  const insurerEntry = index.resolve(claim.insurer?.reference, claimEntry);
  const requestorEntry = index.resolve(claim.provider.reference, claimEntry);
  const certified = input.items.filter((i): i is Extract<ItemAnswer, { action: 'certified' }> => i.action === 'certified');
  const allCertified = certified.length === input.items.length && certified.length > 0;

  const claimResponse: ClaimResponse = {
    resourceType: 'ClaimResponse',
    id: input.responseId,
    meta: { profile: [PAS.claimResponseProfile] },
    ...(input.humanReviewed ? { extension: [{ url: PAS.claimResponseReviewer, extension: [{ url: 'wasHumanReviewedFlag', valueBoolean: true }] }] } : {}),
    identifier: [{ system: `${input.fhirBase}/ClaimResponse`, value: input.responseId }],
    status: 'active',
    type: claim.type ?? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'preauthorization',
    patient: { reference: patientRef },
    created: input.created.toISOString(),
    insurer: { reference: absolute(insurerEntry, claim.insurer?.reference) ?? claim.insurer?.reference ?? '' },
    ...(requestorEntry ? { requestor: { reference: absolute(requestorEntry, claim.provider.reference)! } } : {}),
    request: { reference: claimEntry.fullUrl ?? `Claim/${claim.id ?? ''}`, identifier: claim.identifier![0] },
    outcome: 'complete',
    disposition: disposition(input.items),
    ...(allCertified && certified.length === 1 ? { preAuthRef: certified[0]!.authNumber, preAuthPeriod: certified[0]!.period } : {}),
    item: input.items.map(itemOf),
    ...(input.notes.length > 0 ? { processNote: input.notes.map((text, i) => ({ number: i + 1, type: 'display' as const, text })) } : {}),
  };
  const claimResponseUrl = `${input.fhirBase}/ClaimResponse/${input.responseId}`;
  const referenced = index.closure([patientRef, claimResponse.insurer.reference, claimResponse.requestor?.reference].map((reference) => ({ reference, holder: claimEntry })));
  return {
    resourceType: 'Bundle',
    id: input.responseId,
    meta: { profile: [PAS.responseBundleProfile] },
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${input.responseId}` },
    type: 'collection',
    timestamp: input.created.toISOString(),
    entry: [{ fullUrl: claimResponseUrl, resource: claimResponse }, ...referenced.map((e) => ({ ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}), resource: e.resource }))],
  };
}

function itemOf(answer: ItemAnswer): ClaimResponseItem {
  const code = answer.action === 'certified' ? REVIEW_ACTIONS.certified : answer.action === 'pended' ? REVIEW_ACTIONS.pended : REVIEW_ACTIONS.notCertified;
  const reviewAction: Extension[] = [{ url: PAS.reviewActionCode, valueCodeableConcept: { coding: [{ system: REVIEW_ACTION_SYSTEM, ...code }] } }];
  const itemExtensions: Extension[] = [];
  if (answer.action === 'certified') {
    // X12 HCR02: the authorization number; itemPreAuthPeriod: the dates it covers.
    reviewAction.push({ url: 'number', valueString: answer.authNumber });
    itemExtensions.push({ url: PAS.itemPreAuthIssueDate, valueDate: answer.issued }, { url: PAS.itemPreAuthPeriod, valuePeriod: answer.period });
  }
  if (answer.action === 'not-certified') {
    for (const reason of answer.reasons) reviewAction.push({ url: 'reasonCode', valueCodeableConcept: reasonConcept(reason) });
  }
  return {
    ...(itemExtensions.length > 0 ? { extension: itemExtensions } : {}),
    itemSequence: answer.sequence,
    adjudication: [{ category: { coding: [{ system: ADJUDICATION_SYSTEM, code: 'submitted' }] }, extension: [{ url: PAS.reviewAction, extension: reviewAction }] }],
  };
}

function reasonConcept(reason: DenialReason): CodeableConcept {
  return {
    coding: [...(reason.x12Code ? [{ system: DECISION_REASON_SYSTEM, code: reason.x12Code }] : []), { system: reason.system, code: reason.code, display: reason.display }],
    text: reason.display,
  };
}

function disposition(items: readonly ItemAnswer[]): string {
  const count = (action: ItemAnswer['action']) => items.filter((i) => i.action === action).length;
  const parts = [
    count('certified') > 0 ? `${count('certified')} certified` : '',
    count('pended') > 0 ? `${count('pended')} pended for review` : '',
    count('not-certified') > 0 ? `${count('not-certified')} not certified` : '',
  ].filter(Boolean);
  return `Prior authorization: ${parts.join(', ')}.`;
}

/** A $inquire answer: the current response Bundles, each in a `return` parameter (PAS Claim-inquiry OperationDefinition). */
export function inquiryAnswer(bundles: readonly Bundle[]): { resourceType: 'Parameters'; parameter: { name: 'return'; resource: Bundle }[] } {
  return { resourceType: 'Parameters', parameter: bundles.map((resource) => ({ name: 'return' as const, resource })) };
}
