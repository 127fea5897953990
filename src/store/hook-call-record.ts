import { draftEntries } from '../hooks/draft-orders.js';
import { createHash } from 'node:crypto';
import type { Extension, FhirResource } from 'fhir/r4.js';
import { referenceTo } from '../fhir/references.js';
import { COVERAGE_INFORMATION_URL, coverageOf } from '../hooks/coverage-information.js';
import type { HookResult, JudgedOrder } from '../hooks/handle-order-hook.js';
import { findingShownBy } from '../hooks/cards.js';
import { responseBody } from '../hooks/response-body.js';
import type { CdsCard } from '../hooks/types.js';
import type { CardRecord, CoverageInformationValues, HookCallRecord, OrderDecisionRecord } from './decision-store.js';

export interface AnsweredCall {
  readonly result: HookResult;
  readonly clientIss: string;
  readonly answeredAt: Date;
}

/**
 * The audit record of one answered hook call: ids, codes and references
 * only. Evidence is kept as references (`Procedure/abc`), never as the
 * descriptions shown on cards, which can quote free text from the record.
 */
export function hookCallRecord({ result, clientIss, answeredAt }: AnsweredCall): HookCallRecord {
  const { request, response } = result;
  return {
    hookInstance: request.hookInstance,
    clientIss,
    serviceId: result.service.id,
    hook: result.service.hook,
    crdVersion: result.options.version,
    answeredAt,
    patientId: request.context.patientId,
    responseSha256: responseSha256(response),
    orders: result.judged.map((j) => orderDecisionRecord(j, result)),
    cards: response.cards.filter((c) => c.uuid !== undefined).map(cardRecord),
  };
}

/** SHA-256 of the body exactly as the route sends it (responseBody: JSON.stringify, no spacing). */
function responseSha256(response: HookResult['response']): string {
  return createHash('sha256').update(responseBody(response)).digest('hex');
}

function orderDecisionRecord(judged: JudgedOrder, result: HookResult): OrderDecisionRecord {
  const d = judged.decision;
  return {
    order: d.order.reference,
    policy: { id: d.policy.id, version: d.policy.version },
    orderDate: d.orderDate,
    determination: d.determination,
    coverage: d.coverage?.reference,
    findings: d.findings.map((f) => ({ code: f.code, determination: f.determination, evidence: f.evidence.map((e) => e.reference) })),
    criteria: d.criteria.map((c) => ({ criterion: c.criterion, status: c.status, finding: c.finding, evidence: c.evidence.map((e) => e.reference) })),
    coverageInformation: judged.coverageInformation && coverageInformationValues(judged, result),
  };
}

/**
 * The coverage information the order carries once the answer is applied: the
 * extension in the update system action, or, when no update was sent because
 * the order already carried the same information (CRD resp-35), the one on
 * the draft order.
 */
function coverageInformationValues(judged: JudgedOrder, result: HookResult): CoverageInformationValues {
  const info = judged.coverageInformation!;
  const reference = judged.decision.order.reference;
  const coverage = judged.decision.coverage?.reference;
  const sentOrder = (result.response.systemActions ?? []).find((a) => a.type === 'update' && a.resource && referenceTo(a.resource) === reference)?.resource;
  const draftOrder = draftEntries(result.request).find((r) => referenceTo(r) === reference);
  const extension = extensionsOf(info.sent ? sentOrder : draftOrder).find((e) => e.url === COVERAGE_INFORMATION_URL && coverageOf(e) === coverage);
  const subs = extension?.extension ?? [];
  const codes = (url: string) => subs.filter((s) => s.url === url && typeof s.valueCode === 'string').map((s) => s.valueCode!);
  return {
    assertionId: info.assertionId,
    covered: codes('covered')[0] ?? info.covered,
    paNeeded: codes('pa-needed')[0],
    docNeeded: codes('doc-needed'),
    docPurpose: codes('doc-purpose'),
    infoNeeded: codes('info-needed'),
    reasons: subs
      .filter((s) => s.url === 'reason')
      .flatMap((s) => s.valueCodeableConcept?.coding ?? [])
      .filter((c) => typeof c.code === 'string')
      .map((c) => ({ system: c.system, code: c.code! })),
    date: subs.find((s) => s.url === 'date')?.valueDate,
    sent: info.sent,
  };
}

function extensionsOf(resource: FhirResource | undefined): Extension[] {
  return (resource as { extension?: Extension[] } | undefined)?.extension ?? [];
}

function cardRecord(card: CdsCard): CardRecord {
  const associated = card.extension?.['davinci-crd.associated-resource'];
  const orders = Array.isArray(associated) ? associated.map((a: { reference?: unknown }) => a.reference).filter((r): r is string => typeof r === 'string') : [];
  return {
    uuid: card.uuid!,
    indicator: card.indicator,
    topic: card.source.topic?.code,
    finding: findingShownBy(card),
    orders,
    overrideReasons: (card.overrideReasons ?? []).map((r) => ({ system: r.system, code: r.code })),
  };
}
