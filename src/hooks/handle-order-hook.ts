import type { FhirResource, Medication } from 'fhir/r4.js';
import { dayIn, formatDay } from '../fhir/dates.js';
import { fetchOrderMedications, gatherPatientRecord, type RecordFetcher, type RecordRequest } from '../fhir/gather-record.js';
import { readPrefetch } from '../fhir/prefetch.js';
import { sourcesFor } from '../fhir/record-sources.js';
import { referenceTo } from '../fhir/references.js';
import { badRequestIssues, issue, notFound } from '../http/operation-outcome.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import { evaluateTecartusOrder } from '../policy/evaluate-order.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../policy/find-policy-orders.js';
import { buildCards } from './cards.js';
import { coverageAssertionId } from './coverage-assertion-id.js';
import { coverageInformationExtension, coveredValue, type CoveredCode } from './coverage-information.js';
import { readCrdOptions, type CrdOptions } from './crd-options.js';
import { configurationOptions, type Discovery, type DiscoveryService } from './discovery.js';
import { parseHookRequest } from './parse-hook-request.js';
import type { HookRequest } from './request-schema.js';
import { coverageInformationAction } from './system-actions.js';
import type { CdsAction, CdsResponse } from './types.js';

export interface HookDependencies {
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly fetcher?: RecordFetcher | undefined;
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
 */
export async function handleOrderHook(call: HookCall, deps: HookDependencies): Promise<HookResult> {
  const startedAt = performance.now();
  const service = deps.discovery.services.get(call.serviceId);
  if (!service) throw notFound(`There is no CDS service "${call.serviceId}" here; GET /cds-services lists the services.`);
  const request = parseHookRequest(call.body, service.hook);
  const options = readCrdOptions(request.extension, configurationOptions(service));
  const context = request.context as Record<string, unknown>;
  const sources = sourcesFor(context);
  const prefetch = readPrefetch(request.prefetch as Record<string, unknown> | undefined, sources);
  if (prefetch.problems.length > 0) throw badRequestIssues(prefetch.problems.map((p) => issue('invalid', p.message, [p.path])));

  const entries = (request.context.draftOrders.entry ?? []).map((e) => e.resource as unknown as FhirResource);
  const draftMedications = entries.filter((r): r is Medication => r.resourceType === 'Medication');
  const draftOrderRefs = new Set(entries.filter((r) => ORDER_RESOURCE_TYPES.has(r.resourceType)).map(referenceTo));
  // order-select: decision support focuses on the selected orders only.
  const selected = service.hook === 'order-select' ? new Set(request.context.selections) : undefined;
  const candidates = entries.filter((r) => ORDER_RESOURCE_TYPES.has(r.resourceType) && (!selected || selected.has(referenceTo(r))));
  const recordRequest: RecordRequest = {
    sources,
    prefetch,
    draftMedications,
    fhirServer: request.fhirServer,
    accessToken: request.fhirAuthorization?.access_token,
    client: call.client,
    context,
    startedAt,
    hookInstance: request.hookInstance,
  };
  const knownMedications = [...draftMedications, ...prefetch.medications];
  let matches = candidates.map((order) => matchPolicyOrder(order, deps.policy, knownMedications));
  const unresolved = [...new Set(matches.flatMap((m) => (m.kind === 'unresolved-medication' ? [m.reference] : [])))];
  // An order naming its drug only by a Medication the request did not carry cannot be classified
  // without reading it: the one FHIR query made before a Tecartus order is known.
  const orderMedications = await fetchOrderMedications(recordRequest, unresolved, deps.fetcher);
  if (orderMedications.length > 0) matches = candidates.map((order) => matchPolicyOrder(order, deps.policy, [...knownMedications, ...orderMedications]));
  const policyOrders = candidates.filter((_, i) => matches[i]!.kind === 'match');

  const empty = (): HookResult => ({ service, request, options, judged: [], response: respond(service.hook, [], []) });
  if (policyOrders.length === 0) return empty();

  const record = await gatherPatientRecord({ ...recordRequest, draftMedications: [...draftMedications, ...orderMedications] }, deps.fetcher);

  const callDay = dayIn(deps.policy.definition.timeZone, deps.now());
  const decisions = policyOrders.map((order) => evaluateTecartusOrder({ policy: deps.policy, order, record, draftOrderRefs, callDay }));

  const judged: JudgedOrder[] = [];
  const systemActions: CdsAction[] = [];
  const identities = decisions.map((decision, i) => ({
    decision,
    order: policyOrders[i]!,
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
