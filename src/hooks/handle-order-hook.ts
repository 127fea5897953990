import type { ApprovedAuthorization, FindApprovedAuthorization } from './approved-authorization.js';
import type { Medication } from 'fhir/r4.js';
import { notFound } from '../errors/outcomes.js';
import { assertDepthWithin, MAX_JSON_DEPTH } from '../json-depth.js';
import { dayIn, formatDay } from '../fhir/dates.js';
import { fetchOrderMedications, gatherPatientRecord, type RecordFetcher, type RecordRequest } from '../fhir/gather-record.js';
import { readPrefetch, type PrefetchReading } from '../fhir/prefetch.js';
import type { ResourceReader } from '../fhir/read-resource.js';
import { sourcesFor, type RecordSource } from '../fhir/record-sources.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { evaluateTecartusOrders } from '../policy/evaluate-order.js';
import type { HookCallRecord } from '../store/decision-store.js';
import { answerDecisions, respond, type JudgedOrder } from './answer-decisions.js';
import { auditRecord } from './audit-record.js';
import { readCrdOptions, type CrdOptions } from './crd-options.js';
import { configurationOptions, type Discovery, type DiscoveryService } from './discovery.js';
import { findTecartusOrders } from './find-tecartus-orders.js';
import { parseHookRequest } from './parse-hook-request.js';
import type { HookRequest } from './request-schema.js';
import type { CdsResponse } from './types.js';

export type { JudgedOrder } from './answer-decisions.js';

/** The calling client recorded when no authentication identified one (open development mode). */
export const OPEN_DEVELOPMENT_MODE_ISS = 'open-development-mode';

export interface HookDependencies {
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
  /** Reads FHIR resources leniently (src/fhir/read-resource.ts); one per service, built at start-up. */
  readonly reader: ResourceReader;
  readonly now: () => Date;
  /**
   * Keeps the audit record of each call that judged a Tecartus order, before
   * its answer leaves (CRD found-11, found-37). It throws when it cannot: an
   * assertion that cannot be kept must not be given.
   */
  readonly recordCall?: ((record: HookCallRecord) => Promise<void>) | undefined;
  /** The policy's DTR Questionnaire (url|version): named in the coverage information when documentation is needed. */
  readonly questionnaire?: string | undefined;
  /** Approved prior authorizations (PAS): an order with one is answered pa-needed satisfied (CRD q4, q5). */
  readonly findApproval?: FindApprovedAuthorization | undefined;
}

export interface HookCall {
  readonly serviceId: string;
  readonly body: unknown;
  /** This service's absolute base URL as clients see it; asked only when an answer links to the service. */
  readonly baseUrl: () => string;
  /** The calling CDS client's issuer (JWT iss), which decides the FHIR servers it may name. */
  readonly client?: string | undefined;
}

export interface HookResult {
  readonly service: DiscoveryService;
  readonly request: HookRequest;
  readonly options: CrdOptions;
  readonly judged: readonly JudgedOrder[];
  readonly response: CdsResponse;
  /** The answer's JSON text: sent as is, and hashed into the audit record (the same text). */
  readonly responseText: string;
}

/**
 * Calling a CDS Service (https://cds-hooks.hl7.org/2.0/#calling-a-cds-service),
 * for order-sign and order-select, as a story: validate the call, find the
 * Tecartus orders, gather the record, decide, answer, record. A call with no
 * Tecartus order (most calls a payer's CRD service gets) stops after finding
 * none: nothing is read, decided or written.
 */
export async function handleOrderHook(call: HookCall, deps: HookDependencies): Promise<HookResult> {
  const startedAt = performance.now();

  // 1. Validate the call.
  const service = deps.discovery.services.get(call.serviceId);
  if (!service) throw notFound(`There is no CDS service "${call.serviceId}" here; GET /cds-services lists the services.`);
  // The depth limit runs where each part is first read: the call's own fields now, the prefetched record only if a Tecartus order needs it.
  assertDepthExceptPrefetch(call.body);
  const request = parseHookRequest(call.body, service.hook);
  const options = readCrdOptions(request.extension, configurationOptions(service));
  const context = request.context as Record<string, unknown>;
  const sources = sourcesFor(deps.discovery.sources.get(service.id) ?? [], context);
  let prefetch: PrefetchReading | undefined;
  const recordRequest = (medications: readonly Medication[]): RecordRequest => ({
    sources,
    prefetch: (prefetch ??= readDepthLimitedPrefetch(request.prefetch, sources)),
    draftMedications: medications,
    fhirServer: request.fhirServer,
    accessToken: request.fhirAuthorization?.access_token,
    client: call.client,
    context,
    startedAt,
    hookInstance: request.hookInstance,
    reader: deps.reader,
  });

  // 2. Find the Tecartus orders.
  const drafts = await findTecartusOrders(
    request,
    service.hook,
    deps.policy,
    deps.reader,
    () => recordRequest([]).prefetch.medications,
    (references) => fetchOrderMedications(recordRequest([]), references, deps.fetcher),
  );
  if (drafts.policyOrders.length === 0) {
    const response = respond(service.hook, [], []);
    return { service, request, options, judged: [], response, responseText: JSON.stringify(response) };
  }

  // 3. Gather the record: prefetch first, the EHR's FHIR server for what it lacks.
  const record = await gatherPatientRecord(recordRequest(drafts.medications), deps.fetcher);

  // 4. Decide: the pure policy engine, on the day of the call in the plan's time zone.
  const now = deps.now();
  const callDay = dayIn(deps.policy.definition.timeZone, now);
  const decisions = evaluateTecartusOrders({ policy: deps.policy, policyOrders: drafts.policyOrders, draftOrders: drafts.draftOrders, record, callDay });

  // 5. Answer: cards and coverage information, with any PA the plan already approved.
  const approvals = new Map<string, ApprovedAuthorization>();
  for (const decision of deps.findApproval ? decisions : []) {
    const approval = await deps.findApproval!(request.context.patientId, decision.order.reference, decision.serviceDate);
    if (approval) approvals.set(decision.order.reference, approval);
  }
  const answer = answerDecisions({
    policy: deps.policy,
    hook: service.hook,
    options,
    patientId: request.context.patientId,
    decisions,
    asSent: drafts.asSent,
    date: formatDay(callDay),
    baseUrl: call.baseUrl(),
    coverageUnreadable: record.unavailable.some((u) => u.part === 'coverage'),
    coverageSent: record.coverages.some((c) => c.status === 'active'),
    questionnaire: deps.questionnaire,
    approvals,
  });
  const responseText = JSON.stringify(answer.response);

  // 6. Record, before the answer leaves.
  await deps.recordCall?.(
    auditRecord({
      hookInstance: request.hookInstance,
      serviceId: service.id,
      hook: service.hook,
      crdVersion: options.version,
      patientId: request.context.patientId,
      clientIss: call.client ?? OPEN_DEVELOPMENT_MODE_ISS,
      answeredAt: now,
      judged: answer.judged,
      shown: answer.shown,
      responseText,
    }),
  );
  return { service, request, options, judged: answer.judged, response: answer.response, responseText };
}

/** The call's fields other than prefetch, within the JSON depth limit (a level is the body itself). */
function assertDepthExceptPrefetch(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  for (const [key, value] of Object.entries(body)) if (key !== 'prefetch') assertDepthWithin(value, MAX_JSON_DEPTH - 1);
}

function readDepthLimitedPrefetch(prefetch: HookRequest['prefetch'], sources: readonly RecordSource[]): PrefetchReading {
  assertDepthWithin(prefetch, MAX_JSON_DEPTH - 1);
  return readPrefetch(prefetch, sources);
}
