import type { ApprovedAuthorization } from './approved-authorization.js';
import { randomUUID } from 'node:crypto';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { byDeterminationRank, type Finding, type OrderDecision } from '../policy/decision.js';
import { fillText } from '../policy/evidence.js';
import type { CARD_TOPICS, FindingCode } from '../policy/policy-definition.js';
import { CRD_TEMP_SYSTEM } from './coverage-information.js';
import type { CrdVersion } from './crd-options.js';
import { bulletList, escapeMarkdown } from './markdown.js';
import type { CdsCard, CdsCoding } from './types.js';

type CardTopic = (typeof CARD_TOPICS)[number];

/** A card and the policy finding it shows (none for the Instructions and External Reference cards), for the audit record. */
export interface ShownCard {
  readonly card: CdsCard;
  readonly finding?: FindingCode | undefined;
}

/** CRD card-type codes: the temporary CodeSystem in 2.0.1, terminology.hl7.org from 2.2. */
const TOPIC_SYSTEM: Record<CrdVersion, string> = {
  '2.0': CRD_TEMP_SYSTEM,
  '2.2': 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type',
};
const TOPIC_DISPLAY: Record<CardTopic, string> = {
  'coverage-info': 'Coverage Information',
  guideline: 'Guideline',
  'off-guideline': 'Off Guideline',
  limits: 'Limits',
  'appropriate-use': 'Appropriate Use',
};

export interface CardInput {
  readonly policy: CompiledPolicy;
  readonly decisions: readonly OrderDecision[];
  readonly version: CrdVersion;
  /** Absolute base URL of this service as clients see it, for links to pages it serves. */
  readonly baseUrl: string;
  readonly enabled: Readonly<Record<string, boolean>>;
  readonly maxCards: number;
  /** Why no Coverage could be used, when the Coverage part of the record was unreadable. */
  readonly coverageUnreadable: boolean;
  /** Whether any active Coverage was sent (none of them may be the plan's). */
  readonly coverageSent: boolean;
  /** Approved prior authorizations by order reference (PAS): the Instructions card says so. */
  readonly approvals?: ReadonlyMap<string, ApprovedAuthorization> | undefined;
}

/**
 * The cards a clinician sees: one per finding per order (warning), the
 * prior-authorization Instructions (info) and an External Reference to the
 * policy (info). Card types the client switched off are left out; when
 * max-cards cuts, findings go first, then Instructions, then the reference.
 */
export function buildCards(input: CardInput): ShownCard[] {
  const { policy, decisions, version } = input;
  const definition = policy.definition;
  const source = (topic: CardTopic) => ({
    label: definition.payer.name,
    topic: { system: TOPIC_SYSTEM[version], code: topic, display: TOPIC_DISPLAY[topic] },
  });
  const associated = (refs: readonly string[]) => ({ 'davinci-crd.associated-resource': refs.map((reference) => ({ reference })) });
  const orderRefs = decisions.map((d) => d.order.reference);

  const findingCards: { topic: CardTopic; card: CdsCard; finding: Finding }[] = [];
  for (const decision of decisions) {
    for (const finding of decision.findings) {
      const wording = definition.findings[finding.code];
      const card: CdsCard = {
        uuid: randomUUID(),
        summary: limitSummary(fillText(wording.summary, finding.facts)),
        detail: findingDetail(wording.detail, finding, decision, decisions.length > 1, policyWords(definition, finding)),
        indicator: 'warning',
        source: source(wording.cardTopic),
        overrideReasons: wording.overrideReasons.map((r): CdsCoding => ({ system: definition.overrideReasonSystem, code: r.code, display: r.display })),
        extension: associated([decision.order.reference]),
      };
      findingCards.push({ topic: wording.cardTopic, finding, card });
    }
  }
  // Most serious findings first across orders (a stable sort keeps each order's own ranking).
  findingCards.sort((a, b) => byDeterminationRank(a.finding, b.finding));

  const values = {
    payer: definition.payer.name,
    plans: definition.payer.plans.join(' and '),
    fax: definition.priorAuthorization.fax,
    documentTitle: definition.documentTitle,
    effectiveDate: definition.effectiveDate,
    coverageNote: coverageNote(input) + orderCodingNote(input),
  };
  const approvals = decisions.map((d) => ({ order: d.order.reference, approval: input.approvals?.get(d.order.reference) }));
  const allApproved = approvals.length > 0 && approvals.every((a) => a.approval);
  const approvalValues = (a: ApprovedAuthorization, order: string) => ({ ...values, authNumber: escapeMarkdown(a.number), start: a.period.start, end: a.period.end, order: escapeMarkdown(order) });
  const wording = allApproved ? definition.cards.approved : definition.cards.instructions;
  const wordingValues = allApproved ? approvalValues(approvals[0]!.approval!, approvals[0]!.order) : values;
  // Some orders approved, others not: the usual instructions, and a line per approved order.
  const approvedLines = allApproved ? [] : approvals.flatMap((a) => (a.approval ? [fillText(definition.cards.approved.orderLine, approvalValues(a.approval, a.order))] : []));
  const instructions: CdsCard = {
    uuid: randomUUID(),
    summary: limitSummary(fillText(wording.summary, wordingValues)),
    detail: [fillText(wording.detail, wordingValues), ...approvedLines].join('\n\n'),
    indicator: 'info',
    source: source('coverage-info'),
    extension: associated(orderRefs),
  };
  const reference: CdsCard = {
    uuid: randomUUID(),
    summary: limitSummary(fillText(definition.cards.externalReference.summary, values)),
    detail: fillText(definition.cards.externalReference.detail, values),
    indicator: 'info',
    source: source('guideline'),
    links: [
      { label: definition.documents.policyPage.label, url: `${input.baseUrl}/policies/${definition.id}`, type: 'absolute' },
      ...definition.documents.references.map((r) => ({ label: r.label, url: r.url, type: 'absolute' as const })),
    ],
    extension: associated(orderRefs),
  };

  const ordered: { topic: CardTopic; card: CdsCard; finding?: Finding }[] = [...findingCards, { topic: 'coverage-info', card: instructions }, { topic: 'guideline', card: reference }];
  return ordered
    .filter((c) => input.enabled[c.topic] !== false)
    .slice(0, input.maxCards)
    .map((c) => ({ card: c.card, finding: c.finding?.code }));
}

/**
 * Wording the policy supplies for a finding's card: the PA fax, relapse
 * examples that fit the diagnosis, the sentence naming a non-qualifying
 * diagnosis found (its name escaped: it comes from the record).
 */
function policyWords(definition: CompiledPolicy['definition'], finding: Finding): Record<string, string> {
  const kind = finding.facts['diagnosisKind'];
  const found = finding.facts['found'];
  return {
    fax: definition.priorAuthorization.fax,
    payer: definition.payer.name,
    relapseExamples: kind === 'mcl' || kind === 'all' ? definition.relapseExamples[kind] : '',
    foundSentence: found ? fillText(definition.diagnosisNames.foundSentence, { found: escapeMarkdown(found) }) : '',
  };
}

function findingDetail(template: string, finding: Finding, decision: OrderDecision, severalOrders: boolean, words: Readonly<Record<string, string>>): string {
  const lines = finding.evidence.map((e) => escapeMarkdown(e.description));
  const evidence = [lines.length > 0 ? bulletList(lines) : '', ...finding.notes.map(escapeMarkdown)].filter((s) => s !== '').join('\n\n');
  // Facts come from the record: escaped like the evidence.
  const facts = Object.fromEntries(Object.entries(finding.facts).map(([k, v]) => [k, escapeMarkdown(v)]));
  const body = fillText(template, { ...facts, ...words, evidence });
  const judged = `Order ${decision.order.reference}, judged on ${decision.orderDate}${decision.orderDateSource === 'call-date' ? ' (the order has no authoredOn date)' : ''}.`;
  return severalOrders ? `${body}\n\n_${escapeMarkdown(judged)}_` : body;
}

/** Which Coverage the assessment used, named as the plan and member id (policy issue 10, rule 6), or why none. */
function coverageNote(input: CardInput): string {
  const definition = input.policy.definition;
  const notes = definition.cards.instructions.coverageNotes;
  const chosen = input.decisions.find((d) => d.coverage)?.coverage;
  if (chosen) return fillText(chosen.choice === 'single' ? notes.single : notes.several, { coverage: escapeMarkdown(chosen.display) });
  if (input.coverageUnreadable) return notes.unavailable;
  return input.coverageSent ? fillText(notes.noneUsable, { payer: definition.payer.name }) : notes.none;
}

/** Orders named only in text or by a local code: judged, and asked for a standard code (policy issue 10, rule 4). */
function orderCodingNote(input: CardInput): string {
  const uncoded = input.decisions.filter((d) => d.identifiedBy === 'text-or-local-code').map((d) => d.order.reference);
  if (uncoded.length === 0) return '';
  return `\n\n**${escapeMarkdown(uncoded.join(', '))}:** ${input.policy.definition.orderIdentification.standardCodeNote}`;
}

/** CDS Hooks: summary under 140 characters. Policy wording is written to fit; this guards filled-in values. */
function limitSummary(summary: string): string {
  return summary.length < 140 ? summary : `${summary.slice(0, 136)}...`;
}
