import type { DocumentedFacts } from '../policy/decision.js';
import { createHash } from 'node:crypto';
import type { CardRecord, HookCallRecord, OrderDecisionRecord } from '../store/decision-store.js';
import type { JudgedOrder } from './answer-decisions.js';
import type { ShownCard } from './cards.js';

export interface AnsweredCall {
  readonly hookInstance: string;
  readonly serviceId: string;
  readonly hook: string;
  readonly crdVersion: string;
  readonly patientId: string;
  /** The calling client's JWT `iss`; `open-development-mode` without authentication. */
  readonly clientIss: string;
  readonly answeredAt: Date;
  readonly judged: readonly JudgedOrder[];
  readonly shown: readonly ShownCard[];
  /** The answer exactly as sent (CRD found-37: the answer as sent). */
  readonly responseText: string;
}

/**
 * The audit record of one answered hook call (CRD found-11, found-37), built
 * where the decision is made from the values it was made of: ids, codes and
 * references only. Evidence is kept as references (`Procedure/abc`), never as
 * the descriptions shown on cards, which can quote free text from the record.
 */
export function auditRecord(call: AnsweredCall): HookCallRecord {
  return {
    hookInstance: call.hookInstance,
    clientIss: call.clientIss,
    serviceId: call.serviceId,
    hook: call.hook,
    crdVersion: call.crdVersion,
    answeredAt: call.answeredAt,
    patientId: call.patientId,
    responseSha256: createHash('sha256').update(call.responseText).digest('hex'),
    orders: call.judged.map(orderDecisionRecord),
    cards: call.shown.filter((s) => s.card.uuid !== undefined).map(cardRecord),
  };
}

function orderDecisionRecord(judged: JudgedOrder): OrderDecisionRecord {
  const d = judged.decision;
  const info = judged.coverageInformation;
  return {
    order: d.order.reference,
    policy: { id: d.policy.id, version: d.policy.version },
    orderDate: d.orderDate,
    determination: d.determination,
    coverage: d.coverage?.reference,
    findings: d.findings.map((f) => ({ code: f.code, determination: f.determination, evidence: f.evidence.map((e) => e.reference) })),
    criteria: d.criteria.map((c) => ({ criterion: c.criterion, status: c.status, finding: c.finding, evidence: c.evidence.map((e) => e.reference) })),
    // What DTR pre-fills from (issue 12): facts with the references, codes and dates they rest on, never resource bodies.
    documented: withoutWords(d.documented),
    serviceDate: d.serviceDate,
    coverageInformation: info && {
      assertionId: info.values.assertionId,
      covered: info.values.covered,
      paNeeded: info.values.paNeeded,
      docNeeded: info.values.docNeeded,
      docPurpose: info.values.docPurpose,
      infoNeeded: info.values.infoNeeded,
      questionnaire: info.values.questionnaire,
      reasons: info.values.reasons.map((r) => ({ system: r.system, code: r.code })),
      date: info.values.date,
      sent: info.sent,
    },
  };
}

function cardRecord({ card, finding }: ShownCard): CardRecord {
  const associated = card.extension?.['davinci-crd.associated-resource'];
  const orders = Array.isArray(associated) ? associated.map((a: { reference?: unknown }) => a.reference).filter((r): r is string => typeof r === 'string') : [];
  return {
    uuid: card.uuid!,
    indicator: card.indicator,
    topic: card.source.topic?.code,
    finding,
    orders,
    overrideReasons: (card.overrideReasons ?? []).map((r) => ({ system: r.system, code: r.code })),
  };
}

/**
 * The documented facts as kept: references, codes and dates, never the words
 * the record gave them (a code's display is the EHR's text and may be anything
 * the clinician typed; storage.md: ids, codes and references only).
 */
function withoutWords(facts: DocumentedFacts): DocumentedFacts {
  return JSON.parse(JSON.stringify(facts, (key, value: unknown) => (key === 'display' ? undefined : value))) as DocumentedFacts;
}
