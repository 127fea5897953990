import { badRequest, notFound, OperationOutcomeError, outcome } from '../errors/outcomes.js';
import { dayIn, formatDay } from '../fhir/dates.js';
import type { PaDecisionUpdate, PaRequestRecord, PaRequestStatus } from '../store/pa-request-store.js';
import { authorizationNumber, authorizationPeriod } from './authorization.js';
import { buildResponseBundle, type DenialReason, type ItemAnswer } from './claim-response.js';
import { readPasRequest } from './read-pas-request.js';
import type { PasDependencies, StoredAdjudication } from './submit-claim.js';

/** What a reviewer decided on a pended request. */
export interface ReviewerDecision {
  readonly requestId: string;
  /** The reviewer's user name (from the signed-in session, never from the form). */
  readonly reviewer: string;
  readonly action: 'approve' | 'deny' | 'request-information';
  /** Codes from the policy's denial reasons; at least one to deny. */
  readonly reasonCodes?: readonly string[] | undefined;
  /** Required: why, in the reviewer's words (sent to the provider). */
  readonly note: string;
}

const OPEN: readonly PaRequestStatus[] = ['pended', 'information-requested'];

/**
 * Applies a reviewer's decision to a pended request: approve (A1, a new
 * authorization number for each pended item), deny (A3 with the reasons and
 * the note; only ever from here, with the reviewer extension saying a person
 * decided, 42 CFR 422.566(d)) or ask for more information (items stay A4).
 * Items the engine already certified keep their authorization. Written only
 * if the request is still as it was read: two reviewers cannot both decide.
 */
export async function decideByReviewer(decision: ReviewerDecision, fhirBase: string, deps: PasDependencies): Promise<PaRequestRecord> {
  const request = await deps.requests.find(decision.requestId);
  if (!request) throw notFound(`There is no prior authorization request ${decision.requestId.slice(0, 64)}.`);
  if (!OPEN.includes(request.status)) throw new OperationOutcomeError(outcome('conflict', `This request was already decided (${request.status}${request.decidedBy ? ` by ${request.decidedBy}` : ''}).`));
  const note = decision.note.trim();
  if (note === '') throw badRequest('A note is required: say why, in words the provider will read.');
  const rules = deps.policy.definition.priorAuthorizationRequest;
  const reasons: DenialReason[] = (decision.reasonCodes ?? []).map((code) => {
    const reason = rules.denialReasons.find((r) => r.code === code);
    if (!reason) throw badRequest(`"${code.slice(0, 64)}" is not one of the policy's denial reasons.`);
    return { system: rules.denialReasonSystem, ...reason };
  });
  if (decision.action === 'deny' && reasons.length === 0) throw badRequest('A denial needs at least one reason from the list.');

  const now = deps.now();
  const stored = request.adjudication as StoredAdjudication;
  const today = formatDay(dayIn(deps.policy.definition.timeZone, now));
  const answers: ItemAnswer[] = stored.answers.map((answer) => {
    if (answer.action !== 'pended') return answer;
    if (decision.action === 'approve') {
      const serviceDate = stored.items.find((i) => i.sequence === answer.sequence)?.serviceDate ?? today;
      return { sequence: answer.sequence, action: 'certified', authNumber: authorizationNumber(rules.authorizationNumberPrefix, now), period: authorizationPeriod(serviceDate, rules.authorizationPeriodDays), issued: today };
    }
    if (decision.action === 'deny') return { sequence: answer.sequence, action: 'not-certified', reasons };
    return answer;
  });
  const status: PaRequestStatus = decision.action === 'approve' ? 'certified' : decision.action === 'deny' ? 'not-certified' : 'information-requested';
  const notes = decision.action === 'request-information' ? [`More information is needed: ${note}`] : [note];
  const submission = readPasRequest(request.requestBundle, 'submit');
  const responseBundle = buildResponseBundle({ submission, fhirBase, responseId: request.requestId, created: now, items: answers, notes, humanReviewed: decision.action !== 'request-information' });
  const authNumbers = answers.flatMap((a) => (a.action === 'certified' ? [a.authNumber] : []));
  const update: PaDecisionUpdate = {
    requestId: request.requestId,
    fromStatus: request.status,
    status,
    decidedAt: now,
    decidedBy: decision.reviewer,
    authNumber: authNumbers.length > 0 ? authNumbers.join(',') : undefined,
    adjudication: { ...stored, answers } satisfies StoredAdjudication,
    responseBundle,
    event: { at: now, actor: decision.reviewer, role: 'reviewer', action: status === 'certified' ? 'approved' : status === 'not-certified' ? 'denied' : 'information-requested', reasonCode: reasons.map((r) => r.code).join(',') || undefined, note },
  };
  const decided: PaRequestRecord = { ...request, status, decidedAt: now, decidedBy: decision.reviewer, authNumber: update.authNumber, adjudication: update.adjudication, responseBundle };
  // PAS notifications go into the outbox in the decision's own transaction: a decision is never kept without them.
  const written = await deps.requests.decide(update, deps.decisionOutbox ? (session) => deps.decisionOutbox!.queue(session, decided) : undefined);
  if (written) deps.decisionOutbox?.committed();
  if (!written) throw new OperationOutcomeError(outcome('conflict', 'Another reviewer decided this request first; reload it.'));
  return (await deps.requests.find(request.requestId))!;
}
