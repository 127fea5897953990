import type { FhirResource, Medication } from 'fhir/r4.js';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import type { ResourceReading, ResourceReader } from '../fhir/read-resource.js';
import { referenceTo } from '../fhir/references.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { PolicyOrder } from '../policy/evaluate-order.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../policy/find-policy-orders.js';
import { draftEntries } from './draft-orders.js';
import type { HookRequest } from './request-schema.js';

/** The call's drafts, as sent and as read, and which of them are the policy's orders. */
export interface DraftsOfCall {
  /** Every draft order of the call, as read (none of them is prior therapy). */
  readonly draftOrders: readonly FhirResource[];
  /** Medications in draftOrders and those read for the orders. */
  readonly medications: readonly Medication[];
  /** The orders to judge (order-select: among the selections). */
  readonly policyOrders: readonly PolicyOrder[];
  /** Each order as the EHR sent it, by `Type/id`: echoed unchanged in system actions (CRD resp-37). */
  readonly asSent: ReadonlyMap<string, FhirResource>;
}

/**
 * Finds the Tecartus orders among the drafts. `readMedications` reads the
 * Medications an order names only by reference and the request did not
 * carry: the one FHIR query made before a Tecartus order is known.
 */
export async function findTecartusOrders(
  request: HookRequest,
  hook: 'order-sign' | 'order-select',
  policy: CompiledPolicy,
  reader: ResourceReader,
  knownMedications: () => readonly Medication[],
  readMedications: (references: readonly string[]) => Promise<Medication[]>,
): Promise<DraftsOfCall> {
  const sent = draftEntries(request);
  const readings = sent.map((resource) => ({ sent: resource, reading: reader.read(resource) })).filter((r): r is { sent: FhirResource; reading: ResourceReading } => r.reading !== undefined);
  const draftMedications = readings.map((r) => r.reading.resource).filter((r): r is Medication => r.resourceType === 'Medication');
  const orders = readings.filter((r) => ORDER_RESOURCE_TYPES.has(r.reading.resource.resourceType));
  // order-select: decision support focuses on the selected orders only.
  const selected = hook === 'order-select' ? new Set(request.context.selections) : undefined;
  const candidates = orders.filter((r) => !selected || selected.has(referenceTo(r.reading.resource)));

  const identify = (medications: readonly Medication[]) => candidates.map((r) => matchPolicyOrder(r.reading.resource, policy, medications));
  const unresolvedOf = (matches: ReturnType<typeof identify>) => [...new Set(matches.flatMap((m) => (m.kind === 'unresolved-medication' ? [m.reference] : [])))];
  let medications: Medication[] = draftMedications;
  let matches = identify(medications);
  if (unresolvedOf(matches).length > 0) {
    // Prefetch may hold the Medication; else it is read.
    medications = [...draftMedications, ...knownMedications()];
    matches = identify(medications);
    const stillUnresolved = unresolvedOf(matches);
    if (stillUnresolved.length > 0) {
      medications = [...medications, ...(await readMedications(stillUnresolved))];
      matches = identify(medications);
    }
  }

  const policyOrders: PolicyOrder[] = [];
  candidates.forEach(({ sent: order, reading }, i) => {
    const match = matches[i]!;
    if (match.kind !== 'match') return;
    if (!reading.resource.id) {
      const index = (request.context.draftOrders.entry ?? []).findIndex((e) => (e as { resource?: unknown } | null)?.resource === order);
      const path = `context.draftOrders.entry[${index}].resource.id`;
      throw badRequestIssues([issue('required', `${path} is required: this ${reading.resource.resourceType} is a Tecartus order, and the coverage information must name the order it updates (CRD resp-37).`, [path])]);
    }
    policyOrders.push({ order: reading.resource, identifiedBy: match.identifiedBy, unreadable: reading.problems.length > 0 ? reading.problems.join('; ') : undefined });
  });
  return {
    draftOrders: orders.map((r) => r.reading.resource),
    medications: [...new Set([...draftMedications, ...medications])],
    policyOrders,
    asSent: new Map(sent.map((resource) => [referenceTo(resource), resource])),
  };
}
