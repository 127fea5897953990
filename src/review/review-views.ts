import type { Bundle, Claim, ClaimResponse } from 'fhir/r4.js';
import type { CriterionOutcome, ItemAdjudication } from '../pas/adjudicate-item.js';
import { formAnswers, type FormAnswer } from '../pas/form-answers.js';
import { PAS } from '../pas/pas-canonicals.js';
import { readPasRequest } from '../pas/read-pas-request.js';
import { chooseForm, type StoredAdjudication } from '../pas/submit-claim.js';
import type { PolicyDefinition } from '../policy/policy-definition.js';
import type { StoredAssertion } from '../store/decision-store.js';
import type { PaRequestEvent, PaRequestRecord } from '../store/pa-request-store.js';
import { formAttachments, type FormAttachment } from './attachments.js';

/**
 * What the reviewer's page shows, worked out from the stored request: the
 * queue's rows and one request's criteria, answers, CRD decision and trail.
 * Pure functions of what the store returned and the clock.
 */

/** A request waiting for a reviewer, as a row of the queue. */
export interface QueueRow {
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly dueAt: Date;
  readonly priority: PaRequestRecord['priority'];
  readonly status: PaRequestRecord['status'];
  readonly overdue: boolean;
  /** "5 h 20 min left", or "overdue by 2 h". */
  readonly timeLeft: string;
  readonly memberId: string;
  readonly services: readonly string[];
}

/** The queue: soonest deadline first (as the store gives it), each with the time left. */
export function queueRows(requests: readonly PaRequestRecord[], now: Date): QueueRow[] {
  return requests.map((r) => {
    const left = r.dueAt.getTime() - now.getTime();
    return {
      requestId: r.requestId,
      receivedAt: r.receivedAt,
      dueAt: r.dueAt,
      priority: r.priority,
      status: r.status,
      overdue: left < 0,
      timeLeft: left < 0 ? `overdue by ${duration(-left)}` : `${duration(left)} left`,
      memberId: valueOf(r.memberIds[0]) ?? '(none)',
      services: serviceNames(r),
    };
  });
}

/** Days, hours and minutes, the two largest units that are not zero. */
export function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const parts = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor((minutes % 1440) / 60), 'h'],
    [minutes % 60, 'min'],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length > 0 ? shown.map(([n, unit]) => `${n} ${unit}`).join(' ') : 'less than a minute';
}

/** `system|value` → value. */
const valueOf = (systemValue: string | undefined) => systemValue?.slice(systemValue.lastIndexOf('|') + 1);

/** Each item's service as the Claim names it: its display with the code, else the code. */
function serviceNames(r: PaRequestRecord): string[] {
  const claim = ((r.requestBundle as Bundle).entry?.[0]?.resource ?? {}) as Partial<Claim>;
  return r.services.map((service, i) => {
    const coding = claim.item?.[i]?.productOrService?.coding?.[0];
    const code = valueOf(service) ?? service;
    return coding?.display ? `${coding.display} (${code})` : code;
  });
}

/** One criterion as the page lists it. */
export interface CriterionRow extends CriterionOutcome {
  /** The clinician's answers shown as attestations (question: answer). */
  readonly attestations: readonly string[];
}

export interface ItemView {
  readonly sequence: number;
  readonly service: string;
  readonly order?: string | undefined;
  readonly serviceDate?: string | undefined;
  readonly proposal: ItemAdjudication['decision'];
  /** What the answer says now for this item (certified, pended, not certified). */
  readonly answer: string;
  readonly criteria: readonly CriterionRow[];
  readonly missing: readonly string[];
}

export interface AnswerRow {
  readonly question: string;
  readonly linkId: string;
  readonly answer: string;
  readonly origin?: string | undefined;
  /** The download, when the answer is an attachment carried in the request. */
  readonly attachment?: { readonly index: number; readonly label: string; readonly downloadable: boolean } | undefined;
}

export interface FindingRow {
  readonly code: string;
  readonly clause?: string | undefined;
  readonly determination: string;
  readonly evidence: readonly string[];
}

export interface CrdView {
  readonly assertionId: string;
  readonly hook: string;
  readonly firstAssertedAt: Date;
  readonly lastAssertedAt: Date;
  readonly orders: readonly {
    readonly order: string;
    readonly orderDate: string;
    readonly policyVersion: string;
    readonly determination: string;
    readonly covered?: string | undefined;
    readonly paNeeded?: string | undefined;
    readonly reasons: readonly string[];
    readonly findings: readonly FindingRow[];
    readonly criteria: readonly { readonly criterion: string; readonly status: string; readonly evidence: readonly string[] }[];
  }[];
}

export interface RequestView {
  readonly request: PaRequestRecord;
  readonly open: boolean;
  readonly overdue: boolean;
  readonly timeLeft: string;
  readonly memberIds: readonly string[];
  readonly services: readonly string[];
  readonly items: readonly ItemView[];
  readonly engineNotes: readonly string[];
  /** Undefined when the request carried no DTR form. */
  readonly form?: { readonly questionnaire?: string | undefined; readonly authored?: string | undefined; readonly answers: readonly AnswerRow[] } | undefined;
  /** Why no CRD decision is shown, or the decision. */
  readonly crd: CrdView | { readonly missing: string };
  readonly events: readonly PaRequestEvent[];
}

export interface RequestViewInput {
  readonly request: PaRequestRecord;
  readonly events: readonly PaRequestEvent[];
  readonly assertion: StoredAssertion | undefined;
  readonly policy: PolicyDefinition;
  readonly questionnaireCanonical: string;
  readonly now: Date;
}

const OPEN_STATUSES: readonly PaRequestRecord['status'][] = ['pended', 'information-requested'];

export function requestView(input: RequestViewInput): RequestView {
  const { request, policy } = input;
  const adjudication = request.adjudication as StoredAdjudication;
  const { form, attachments } = requestForm(request, input.questionnaireCanonical);
  const left = request.dueAt.getTime() - input.now.getTime();
  const answers = itemAnswers(request);
  const services = serviceNames(request);
  return {
    request,
    open: OPEN_STATUSES.includes(request.status),
    overdue: left < 0,
    timeLeft: left < 0 ? `overdue by ${duration(-left)}` : `${duration(left)} left`,
    memberIds: request.memberIds.map((id) => `${valueOf(id)}${id.includes('|') ? ` (${id.slice(0, id.lastIndexOf('|'))})` : ''}`),
    services,
    items: adjudication.items.map((item, i) => ({
      sequence: item.sequence,
      service: services[i] ?? item.service,
      order: item.order,
      serviceDate: item.serviceDate,
      proposal: item.decision,
      answer: answers.get(item.sequence) ?? '',
      criteria: item.criteria.map((c) => ({ ...c, attestations: (c.answers ?? []).map((a) => `${a.question ?? a.linkId}: ${a.display}`) })),
      missing: item.missing,
    })),
    engineNotes: adjudication.notes,
    form: form ? { questionnaire: form.questionnaire, authored: form.authored, answers: answerRows(formAnswers(form), attachments) } : undefined,
    crd: crdView(request, input.assertion, policy),
    events: input.events,
  };
}

/** The form the engine judged and its attachments; nothing when the stored Bundle carries none. */
export function requestForm(request: PaRequestRecord, questionnaireCanonical: string): { form?: ReturnType<typeof chooseForm>; attachments: FormAttachment[] } {
  const submission = readPasRequest(request.requestBundle, 'submit');
  const form = chooseForm(submission.forms, questionnaireCanonical);
  return { form, attachments: formAttachments(form) };
}

function answerRows(answers: ReadonlyMap<string, readonly FormAnswer[]>, attachments: readonly FormAttachment[]): AnswerRow[] {
  const rows: AnswerRow[] = [];
  for (const [linkId, given] of answers) {
    const ofLink = attachments.filter((a) => a.linkId === linkId);
    let n = 0;
    for (const answer of given) {
      const attachment = answer.attachment ? ofLink[n++] : undefined;
      rows.push({
        question: answer.question ?? linkId,
        linkId,
        answer: answer.display,
        origin: answer.origin,
        attachment: attachment ? { index: attachment.index, label: attachmentLabel(attachment), downloadable: attachment.data !== undefined } : undefined,
      });
    }
  }
  return rows;
}

function attachmentLabel(a: FormAttachment): string {
  const size = a.data ? ` ${a.data.length < 1024 ? `${a.data.length} bytes` : `${(a.data.length / 1024).toFixed(1)} kB`}` : '';
  return `${a.title ?? `attachment ${a.index + 1}`}${a.contentType ? ` (${a.contentType}${size})` : size ? ` (${size.trim()})` : ''}${a.data ? '' : a.url ? `, by URL: ${a.url}` : ''}`;
}

/** The current answer for each item, from the stored ClaimResponse (X12 306 review action code, and the authorization number). */
function itemAnswers(request: PaRequestRecord): Map<number, string> {
  const claimResponse = (request.responseBundle as Bundle).entry?.find((e) => e.resource?.resourceType === 'ClaimResponse')?.resource as ClaimResponse | undefined;
  const out = new Map<number, string>();
  for (const item of claimResponse?.item ?? []) {
    const reviewAction = item.adjudication?.flatMap((a) => a.extension ?? []).find((e) => e.url === PAS.reviewAction)?.extension ?? [];
    const coding = reviewAction.find((e) => e.url === PAS.reviewActionCode)?.valueCodeableConcept?.coding?.[0];
    const number = reviewAction.find((e) => e.url === 'number')?.valueString;
    if (coding?.code) out.set(item.itemSequence, `${coding.code}${coding.display ? ` ${coding.display}` : ''}${number ? `, authorization ${number}` : ''}`);
  }
  return out;
}

function crdView(request: PaRequestRecord, assertion: StoredAssertion | undefined, policy: PolicyDefinition): RequestView['crd'] {
  if (request.assertionId === undefined) return { missing: 'The order carried no coverage assertion of this service: the record was not read at order signing.' };
  if (!assertion) return { missing: `Coverage assertion ${request.assertionId} is no longer kept (purged, or made elsewhere).` };
  return {
    assertionId: assertion.assertionId,
    hook: assertion.hook,
    firstAssertedAt: assertion.firstAssertedAt,
    lastAssertedAt: assertion.lastAssertedAt,
    orders: assertion.orders.map((o) => ({
      order: o.order,
      orderDate: o.orderDate,
      policyVersion: o.policy.version,
      determination: o.determination,
      covered: o.coverageInformation?.covered,
      paNeeded: o.coverageInformation?.paNeeded,
      reasons: (o.coverageInformation?.reasons ?? []).map((r) => r.code),
      findings: o.findings.map((f) => ({ code: f.code, clause: (policy.findings as Record<string, { policyClause?: string } | undefined>)[f.code]?.policyClause, determination: f.determination, evidence: f.evidence })),
      criteria: o.criteria.map((c) => ({ criterion: c.criterion, status: c.status, evidence: c.evidence })),
    })),
  };
}
