import { createHash } from 'node:crypto';
import type { FhirResource } from 'fhir/r4.js';
import type { OrderDecision } from '../policy/decision.js';
import { COVERAGE_INFORMATION_URL, reasonCodes, type CoveredCode } from './coverage-information.js';

export interface AssertionIdentity {
  readonly patientId: string;
  readonly hook: string;
  readonly version: string;
  readonly order: FhirResource;
  readonly decision: OrderDecision;
  readonly covered: CoveredCode;
  readonly coverageReference: string;
  /** An approved PA changes what is asserted (pa-needed satisfied), so it changes the id. */
  readonly satisfiedPaId?: string | undefined;
}

/**
 * The coverage-assertion-id: a SHA-256 over everything the assertion rests on
 * (policy and version, patient, coverage, the orders as the clinician wrote
 * them, and the outcome with its evidence). The same order judged again with
 * nothing changed gets the same id, so a re-sign keeps its id (CRD resp-35,
 * resp-36); any change in the order or the record's evidence gives a new one.
 *
 * One id covers all the policy's orders on one Coverage in a call: the Inferno
 * CRD test kit requires the coverage-information extensions of one response
 * that name the same Coverage to share their coverage-assertion-id (CRD
 * resp-33 allows it), so the identities of all those orders are hashed together.
 */
export function coverageAssertionId(identities: readonly AssertionIdentity[]): string {
  const bases = identities.map(assertionBasis).map(canonicalJson).sort();
  return createHash('sha256').update(bases.join('\n')).digest('hex');
}

function assertionBasis(identity: AssertionIdentity): unknown {
  const { decision } = identity;
  return {
    policy: decision.policy,
    patient: identity.patientId,
    hook: identity.hook,
    version: identity.version,
    coverage: identity.coverageReference,
    order: orderAsWritten(identity.order),
    covered: identity.covered,
    reasons: reasonCodes(decision),
    evidence: decision.findings.flatMap((f) => f.evidence.map((e) => e.description)).sort(),
    satisfiedPaId: identity.satisfiedPaId,
  };
}

/** The order without what the EHR or this service may add on its own: meta, narrative, coverage-information. */
function orderAsWritten(order: FhirResource): unknown {
  const { meta: _meta, text: _text, ...rest } = order as FhirResource & { meta?: unknown; text?: unknown };
  // As the EHR sent it, not shape-checked: a non-array extension is kept as it came.
  const sent = (rest as { extension?: unknown }).extension;
  const extension = Array.isArray(sent) ? sent.filter((e: { url?: unknown } | null) => e?.url !== COVERAGE_INFORMATION_URL) : sent;
  return { ...rest, extension: Array.isArray(extension) && extension.length === 0 ? undefined : extension };
}

/** JSON with sorted keys and no undefined members, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  // Sorted by UTF-16 code units, as comparing strings with < does.
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = object[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
