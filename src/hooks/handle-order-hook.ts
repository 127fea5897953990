import type { Medication } from 'fhir/r4.js';
import { dayIn, formatDay } from '../fhir/dates.js';
import { fetchOrderMedications, gatherPatientRecord, type RecordFetcher, type RecordRequest } from '../fhir/gather-record.js';
import { readPrefetch, type PrefetchReading } from '../fhir/prefetch.js';
import type { ResourceReader } from '../fhir/read-resource.js';
import { sourcesFor } from '../fhir/record-sources.js';
import { referenceTo } from '../fhir/references.js';
import { badRequestIssues, issue, notFound } from '../http/operation-outcome.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import { evaluateTecartusOrders, type PolicyOrder } from '../policy/evaluate-order.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../policy/find-policy-orders.js';
import { buildCards } from './cards.js';
import { coverageAssertionId } from './coverage-assertion-id.js';
import { coverageInformationExtension, coveredValue, type CoveredCode } from './coverage-information.js';
import { readCrdOptions, type CrdOptions } from './crd-options.js';
import { configurationOptions, type Discovery, type DiscoveryService } from './discovery.js';
import { draftEntries } from './draft-orders.js';
import { parseHookRequest } from './parse-hook-request.js';
import type { HookRequest } from './request-schema.js';
import { coverageInformationAction } from './system-actions.js';
import type { CdsAction, CdsResponse } from './types.js';

export interface HookDependencies {
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
  /** Reads FHIR resources leniently (src/fhir/read-resource.ts); one per service, built at start-up. */
  readonly reader: ResourceReader;
  readonly now: () => Date;
}

export interface HookCall {
  readonly serviceId: string;
  readonly body: unknown;
  /** This service's absolute base URL as clients see it. */
  readonly baseUrl: string;
  /** The calling CDS client's issuer (JWT iss), which decides the FHIR servers it may name. */
  readonly client?: string | undefined;
}

/** One judged order and the coverage information sent for it, if any (kept for audit and look-up). */
export interface JudgedOrder {
  readonly decision: OrderDecision;
  readonly coverageInformation?: { readonly covered: CoveredCode; readonly assertionId: string; readonly sent: boolean } | undefined;
}

export interface HookResult {
  readonly service: DiscoveryService;
  readonly request: HookRequest;
  readonly options: CrdOptions;
  readonly judged: readonly JudgedOrder[];
  readonly response: CdsResponse;
}

/**
 * Calling a CDS Service (https://cds-hooks.hl7.org/2.0/#calling-a-cds-service),
 * for order-sign and order-select: validate, find the Tecartus orders, gather
 * the record, judge each order, answer with cards and coverage information.
 * A call with no Tecartus order stops after finding none: no record is read.
 */
export async function handleOrderHook(call: HookCall, deps: HookDependencies): Promise<HookResult> {
  const startedAt = performance.now();
  const service = deps.discovery.services.get(call.serviceId);
  if (!service) throw notFound(`There is no CDS service "${call.serviceId}" here; GET /cds-services lists the services.`);
  const request = parseHookRequest(call.body, service.hook);
  const options = readCrdOptions(request.extension, configurationOptions(service));
  const context = request.context as Record<string, unknown>;

  // The drafts as sent (echoed unchanged in system actions, CRD resp-37) and as read (leniently, for the decision).
  const sent = draftEntries(request);
  const read = sent.map((resource) => deps.reader.read(resource)).filter((r) => r !== undefined);
  const draftMedications = read.map((r) => r.resource).filter((r): r is Medication => r.resourceType === 'Medication');
  const draftOrders = read.filter((r) => ORDER_RESOURCE_TYPES.has(r.resource.resourceType));
  // order-select: decision support focuses on the selected orders only.
  const selected = service.hook === 'order-select' ? new Set(request.context.selections) : undefined;
  const candidates = draftOrders.filter((r) => !selected || selected.has(referenceTo(r.resource)));

  const sources = sourcesFor(deps.discovery.sources.get(service.id) ?? [], context);
  let prefetch: PrefetchReading | undefined;
  const recordRequest = (): RecordRequest => ({
    sources,
    prefetch: (prefetch ??= readPrefetch(request.prefetch, sources)),
    draftMedications,
    fhirServer: request.fhirServer,
    accessToken: request.fhirAuthorization?.access_token,
    client: call.client,
    context,
    startedAt,
    hookInstance: request.hookInstance,
    reader: deps.reader,
  });
  const identify = (medications: readonly Medication[]) => candidates.map((r) => matchPolicyOrder(r.resource, deps.policy, medications));
  let matches = identify(draftMedications);
  const unresolved = [...new Set(matches.flatMap((m) => (m.kind === 'unresolved-medication' ? [m.reference] : [])))];
  let orderMedications: Medication[] = [];
  if (unresolved.length > 0) {
    // An order naming its drug only by a Medication the drafts did not carry: prefetch may hold it, else it is read
    // (the one FHIR query made before a Tecartus order is known).
    const known = [...draftMedications, ...recordRequest().prefetch.medications];
    matches = identify(known);
    const stillUnresolved = [...new Set(matches.flatMap((m) => (m.kind === 'unresolved-medication' ? [m.reference] : [])))];
    orderMedications = await fetchOrderMedications(recordRequest(), stillUnresolved, deps.fetcher);
    matches = identify([...known, ...orderMedications]);
  }
  const policyOrders: PolicyOrder[] = [];
  candidates.forEach((r, i) => {
    const match = matches[i]!;
    if (match.kind !== 'match') return;
    if (!r.resource.id) {
      const index = (request.context.draftOrders.entry ?? []).findIndex((e) => (e as { resource?: unknown } | null)?.resource === sent[read.indexOf(r)]);
      const path = `context.draftOrders.entry[${index}].resource.id`;
      throw badRequestIssues([issue('required', `${path} is required: this ${r.resource.resourceType} is a Tecartus order, and the coverage information must name the order it updates (CRD resp-37).`, [path])]);
    }
    policyOrders.push({ order: r.resource, identifiedBy: match.identifiedBy, unreadable: r.problems.length > 0 ? r.problems.join('; ') : undefined });
  });

  if (policyOrders.length === 0) return { service, request, options, judged: [], response: respond(service.hook, [], []) };

  const record = await gatherPatientRecord({ ...recordRequest(), draftMedications: [...draftMedications, ...orderMedications] }, deps.fetcher);
  const callDay = dayIn(deps.policy.definition.timeZone, deps.now());
  const decisions = evaluateTecartusOrders({ policy: deps.policy, policyOrders, draftOrders: draftOrders.map((r) => r.resource), record, callDay });
  const asSent = new Map(sent.map((resource) => [referenceTo(resource), resource]));

  const judged: JudgedOrder[] = [];
  const systemActions: CdsAction[] = [];
  const identities = decisions.map((decision) => ({
    decision,
    order: asSent.get(decision.order.reference)!,
    covered: coveredValue(decision, options.version),
  }));
  // Orders on the same Coverage share one coverage-assertion-id (see coverageAssertionId).
  const assertionIds = new Map<string, string>();
  for (const coverageReference of new Set(decisions.map((d) => d.coverage?.reference).filter((r): r is string => r !== undefined))) {
    const onCoverage = identities.filter((x) => x.decision.coverage?.reference === coverageReference);
    assertionIds.set(
      coverageReference,
      coverageAssertionId(onCoverage.map((x) => ({ ...x, patientId: request.context.patientId, hook: service.hook, version: options.version, coverageReference }))),
    );
  }
  for (const { decision, order, covered } of identities) {
    if (!decision.coverage || options.enabled['coverage-info'] === false) {
      judged.push({ decision });
      continue;
    }
    const assertionId = assertionIds.get(decision.coverage.reference)!;
    const extension = coverageInformationExtension({
      decision,
      coverageReference: decision.coverage.reference,
      policy: deps.policy,
      version: options.version,
      hook: service.hook,
      assertionId,
      date: formatDay(callDay),
    });
    const action = coverageInformationAction(order, extension, `Coverage information for ${decision.order.reference}: ${describeCovered(covered)}.`);
    if (action) systemActions.push(action);
    judged.push({ decision, coverageInformation: { covered, assertionId, sent: action !== undefined } });
  }

  const cards = buildCards({
    policy: deps.policy,
    decisions,
    version: options.version,
    baseUrl: call.baseUrl,
    enabled: options.enabled,
    maxCards: options.maxCards,
    coverageUnreadable: record.unavailable.some((u) => u.part === 'coverage'),
    coverageSent: record.coverages.some((c) => c.status === 'active'),
  });
  return { service, request, options, judged, response: respond(service.hook, cards, systemActions) };
}

/**
 * Order-sign always answers with both arrays, even empty: the Inferno CRD test
 * kit requires systemActions on order-sign (CDS Hooks otherwise omits empty
 * arrays, which is what order-select does).
 */
function respond(hook: DiscoveryService['hook'], cards: CdsResponse['cards'], systemActions: readonly CdsAction[]): CdsResponse {
  if (hook === 'order-sign') return { cards, systemActions };
  return systemActions.length > 0 ? { cards, systemActions } : { cards };
}

function describeCovered(covered: CoveredCode): string {
  switch (covered) {
    case 'covered':
      return 'covered with prior authorization';
    case 'not-covered':
      return 'not covered';
    case 'conditional':
      return 'prior authorization needed; coverage depends on information not in the record';
    case 'indeterminate':
      return 'prior authorization needed; coverage could not be determined';
  }
}
