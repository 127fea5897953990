import type { CardRecord, FeedbackRecord, HookCallRecord, OrderDecisionRecord, StoredFeedback, StoredHookCall } from './decision-store.js';
import type { cards, feedback, hookCalls, orderDecisions } from './schema.js';
import type { InsertRowOf, RowOf } from './sql-table.js';

/** The decision store's records as table rows and back, the same for both databases (the dialect encodes the values). */

export function hookCallRow(callId: string, c: HookCallRecord): InsertRowOf<typeof hookCalls> {
  return {
    call_id: callId,
    hook_instance: c.hookInstance,
    client_iss: c.clientIss,
    service_id: c.serviceId,
    hook: c.hook,
    crd_version: c.crdVersion,
    answered_at: c.answeredAt,
    patient_id: c.patientId,
    response_sha256: c.responseSha256,
  };
}

export function orderDecisionRow(callId: string, position: number, o: OrderDecisionRecord): InsertRowOf<typeof orderDecisions> {
  return {
    call_id: callId,
    position,
    order_reference: o.order,
    determination: o.determination,
    assertion_id: o.coverageInformation?.assertionId ?? null,
    record: o,
  };
}

export function cardRow(callId: string, position: number, k: CardRecord): InsertRowOf<typeof cards> {
  return {
    card_uuid: k.uuid,
    call_id: callId,
    position,
    indicator: k.indicator,
    topic: k.topic ?? null,
    finding: k.finding ?? null,
    orders: k.orders,
    override_reasons: k.overrideReasons,
  };
}

/** A feedback item with its link to the card's call (undefined when the card is unknown or another client's). */
export function feedbackRow(f: FeedbackRecord, link: { callId: string; reasonOffered: boolean | undefined } | undefined): InsertRowOf<typeof feedback> {
  const reason = f.overrideReason;
  return {
    card_uuid: f.card,
    outcome: f.outcome,
    outcome_timestamp: f.outcomeTimestamp,
    service_id: f.serviceId,
    client_iss: f.clientIss,
    received_at: f.receivedAt,
    call_id: link?.callId ?? null,
    accepted_suggestions: f.acceptedSuggestions,
    override_reason_system: reason?.system ?? null,
    override_reason_code: reason?.code ?? null,
    override_reason_display: reason?.display ?? null,
    reason_offered: link?.reasonOffered ?? null,
    user_comment: f.userComment ?? null,
  };
}

export function hookCallFromRow(c: RowOf<typeof hookCalls>, orders: readonly OrderDecisionRecord[], cardRows: readonly RowOf<typeof cards>[]): StoredHookCall {
  return {
    callId: c.call_id,
    hookInstance: c.hook_instance,
    clientIss: c.client_iss,
    serviceId: c.service_id,
    hook: c.hook,
    crdVersion: c.crd_version,
    answeredAt: c.answered_at,
    patientId: c.patient_id,
    responseSha256: c.response_sha256,
    orders,
    cards: cardRows.map(cardFromRow),
  };
}

function cardFromRow(k: RowOf<typeof cards>): CardRecord {
  return {
    uuid: k.card_uuid,
    indicator: k.indicator,
    topic: k.topic ?? undefined,
    finding: k.finding ?? undefined,
    orders: k.orders,
    overrideReasons: k.override_reasons,
  };
}

export function feedbackFromRow(r: RowOf<typeof feedback>): StoredFeedback {
  return {
    serviceId: r.service_id,
    clientIss: r.client_iss,
    receivedAt: r.received_at,
    card: r.card_uuid,
    outcome: r.outcome,
    outcomeTimestamp: r.outcome_timestamp,
    acceptedSuggestions: r.accepted_suggestions,
    overrideReason: r.override_reason_code
      ? { system: r.override_reason_system ?? undefined, code: r.override_reason_code, display: r.override_reason_display ?? undefined }
      : undefined,
    userComment: r.user_comment ?? undefined,
    callId: r.call_id ?? undefined,
    reasonOffered: r.reason_offered ?? undefined,
  };
}
