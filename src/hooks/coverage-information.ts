import type { Extension } from 'fhir/r4.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import type { ReasonCode } from '../policy/policy-definition.js';
import type { CrdVersion } from './crd-options.js';

export const COVERAGE_INFORMATION_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
/** CRD's temporary CodeSystem, home of the 2.2 reason `technical` (resp-43). */
export const CRD_TEMP_SYSTEM = 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp';

export type CoveredCode = 'covered' | 'not-covered' | 'conditional' | 'indeterminate';

export interface CoverageInformationInput {
  readonly decision: OrderDecision;
  /** Reference to the Coverage the assertion is about; coverage-information cannot exist without one. */
  readonly coverageReference: string;
  readonly policy: CompiledPolicy;
  readonly version: CrdVersion;
  readonly hook: 'order-sign' | 'order-select';
  readonly assertionId: string;
  /** The day the assertion was made (YYYY-MM-DD). */
  readonly date: string;
}

/**
 * The `covered` value in the version the client asked for: `indeterminate`
 * exists only from CRD 2.2 (resp-43); under 2.0.1 an unreadable record gives
 * `conditional`.
 */
export function coveredValue(decision: OrderDecision, version: CrdVersion): CoveredCode {
  return decision.determination === 'indeterminate' && version === '2.0' ? 'conditional' : decision.determination;
}

/** The reason codes an assertion carries: always `pa-required` (so doc-purpose has a reason, CRD q8), then each finding. */
export function reasonCodes(decision: OrderDecision): ReasonCode[] {
  return ['pa-required', ...new Set(decision.findings.map((f) => f.code))];
}

/**
 * The Da Vinci CRD ext-coverage-information extension for one order,
 * valid under CRD 2.0.1 and meeting the 2.2 invariants q1-q9:
 * - q2: no pa-needed when not-covered (2.0.1 q2 wants it otherwise);
 * - q3 (2.2) / q3 (2.0.1): info-needed exactly when something is conditional;
 * - q4: no doc-purpose withpa when not covered;
 * - q6/q8/q9: a reason whenever info-needed=OTH, doc-purpose or indeterminate;
 * - q7: our own reason codes carry text.
 */
export function coverageInformationExtension(input: CoverageInformationInput): Extension {
  const { decision, policy, version, hook } = input;
  const definition = policy.definition;
  const covered = coveredValue(decision, version);
  const paNeeded = covered !== 'not-covered';
  const sub: Extension[] = [
    { url: 'coverage', valueReference: { reference: input.coverageReference } },
    { url: 'covered', valueCode: covered },
  ];
  if (paNeeded) sub.push({ url: 'pa-needed', valueCode: 'auth-needed' });
  // CRD hook-19: secondary hooks (order-select) must not say documentation is needed.
  if (paNeeded && hook === 'order-sign') {
    sub.push({ url: 'doc-needed', valueCode: 'clinical' }, { url: 'doc-purpose', valueCode: 'withpa' });
  }
  if (covered === 'conditional') sub.push({ url: 'info-needed', valueCode: 'OTH' });
  sub.push({ url: 'billingCode', valueCoding: { ...definition.billingCode } });
  for (const code of reasonCodes(decision)) {
    const reason = definition.reasons[code];
    sub.push({
      url: 'reason',
      valueCodeableConcept: { coding: [{ system: definition.reasonCodeSystem, code, display: reason.display }], text: reason.text },
    });
  }
  if (covered === 'indeterminate') {
    const unreadable = decision.findings.find((f) => f.code === 'data-unavailable');
    sub.push({
      url: 'reason',
      valueCodeableConcept: {
        coding: [{ system: CRD_TEMP_SYSTEM, code: 'technical', display: 'Technical issue' }],
        text: unreadable?.notes.join(' ') || definition.reasons['data-unavailable'].text,
      },
    });
  }
  sub.push({ url: 'date', valueDate: input.date }, { url: 'coverage-assertion-id', valueString: input.assertionId });
  const fax = definition.priorAuthorization.fax;
  // CRD 2.2 changed contact from ContactPoint to ContactDetail.
  sub.push(
    version === '2.2'
      ? { url: 'contact', valueContactDetail: { name: definition.priorAuthorization.contactName, telecom: [{ system: 'fax', value: fax, use: 'work' }] } }
      : { url: 'contact', valueContactPoint: { system: 'fax', value: fax, use: 'work' } },
  );
  return { url: COVERAGE_INFORMATION_URL, extension: sub };
}

/** The Coverage an existing coverage-information extension is about. */
export function coverageOf(extension: Extension): string | undefined {
  return (Array.isArray(extension.extension) ? extension.extension : []).find((e) => e?.url === 'coverage')?.valueReference?.reference;
}
