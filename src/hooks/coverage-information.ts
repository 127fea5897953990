import type { Extension } from 'fhir/r4.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { OrderDecision } from '../policy/decision.js';
import type { ReasonCode } from '../policy/policy-definition.js';
import type { ApprovedAuthorization } from './approved-authorization.js';
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
  /** The version-specific canonical of the policy's DTR Questionnaire (url|version), when the service offers one. */
  readonly questionnaire?: string | undefined;
  /** An approved prior authorization for the order: pa-needed becomes satisfied, with its number (CRD q4, q5). */
  readonly approval?: ApprovedAuthorization | undefined;
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

/** One reason an assertion gives: a coding and its plain-English text (CRD q7). */
export interface CoverageReason {
  readonly system: string;
  readonly code: string;
  readonly display: string;
  readonly text: string;
}

/**
 * What the service asserts about one order on one Coverage, as plain values:
 * rendered as the ext-coverage-information extension (coverageInformationExtension)
 * and kept as such in the audit record, never read back out of the extension.
 */
export interface CoverageInformation {
  readonly coverage: string;
  readonly covered: CoveredCode;
  readonly paNeeded?: 'auth-needed' | 'satisfied' | undefined;
  /** The approved authorization's number, exactly when pa-needed is satisfied (CRD q5). */
  readonly satisfiedPaId?: string | undefined;
  readonly docNeeded: readonly 'clinical'[];
  readonly docPurpose: readonly 'withpa'[];
  readonly infoNeeded: readonly 'OTH'[];
  /** The DTR Questionnaire that gathers the documentation (only with doc-needed: CRD crd-ci-q1). */
  readonly questionnaire: readonly string[];
  readonly reasons: readonly CoverageReason[];
  readonly date: string;
  readonly assertionId: string;
}

/**
 * The assertion for one order, meeting CRD 2.0.1 and the 2.2 invariants q1-q9:
 * - q2: no pa-needed when not-covered (2.0.1 q2 wants it otherwise);
 * - q3 (2.2) / q3 (2.0.1): info-needed exactly when something is conditional;
 * - q4: no doc-purpose withpa when not covered;
 * - q6/q8/q9: a reason whenever info-needed=OTH, doc-purpose or indeterminate;
 * - q7: our own reason codes carry text.
 */
export function coverageInformationFor(input: CoverageInformationInput): CoverageInformation {
  const { decision, policy, version, hook } = input;
  const definition = policy.definition;
  const covered = coveredValue(decision, version);
  const paNeeded = covered !== 'not-covered';
  const satisfied = paNeeded && input.approval !== undefined;
  // CRD hook-19: secondary hooks (order-select) must not say documentation is needed; q4: nor once the PA is satisfied.
  const docNeeded = paNeeded && !satisfied && hook === 'order-sign';
  const reasons: CoverageReason[] = reasonCodes(decision).map((code) => ({
    system: definition.reasonCodeSystem,
    code,
    display: definition.reasons[code].display,
    text: definition.reasons[code].text,
  }));
  if (covered === 'indeterminate') {
    const unreadable = decision.findings.find((f) => f.code === 'data-unavailable');
    reasons.push({ system: CRD_TEMP_SYSTEM, code: 'technical', display: 'Technical issue', text: unreadable?.notes.join(' ') || definition.reasons['data-unavailable'].text });
  }
  return {
    coverage: input.coverageReference,
    covered,
    paNeeded: satisfied ? 'satisfied' : paNeeded ? 'auth-needed' : undefined,
    satisfiedPaId: satisfied ? input.approval!.number : undefined,
    docNeeded: docNeeded ? ['clinical'] : [],
    docPurpose: docNeeded ? ['withpa'] : [],
    infoNeeded: covered === 'conditional' ? ['OTH'] : [],
    // CRD resp-38: when documentation is needed, name the Questionnaire that gathers it (DTR), version-specific.
    questionnaire: docNeeded && input.questionnaire ? [input.questionnaire] : [],
    reasons,
    date: input.date,
    assertionId: input.assertionId,
  };
}

/** The Da Vinci CRD ext-coverage-information extension for an assertion, in the CRD version the client asked for. */
export function coverageInformationExtension(info: CoverageInformation, policy: CompiledPolicy, version: CrdVersion): Extension {
  const definition = policy.definition;
  const sub: Extension[] = [
    { url: 'coverage', valueReference: { reference: info.coverage } },
    { url: 'covered', valueCode: info.covered },
  ];
  if (info.paNeeded) sub.push({ url: 'pa-needed', valueCode: info.paNeeded });
  for (const code of info.docNeeded) sub.push({ url: 'doc-needed', valueCode: code });
  for (const code of info.docPurpose) sub.push({ url: 'doc-purpose', valueCode: code });
  for (const code of info.infoNeeded) sub.push({ url: 'info-needed', valueCode: code });
  for (const canonical of info.questionnaire) sub.push({ url: 'questionnaire', valueCanonical: canonical });
  sub.push({ url: 'billingCode', valueCoding: { ...definition.billingCode } });
  for (const r of info.reasons) sub.push({ url: 'reason', valueCodeableConcept: { coding: [{ system: r.system, code: r.code, display: r.display }], text: r.text } });
  sub.push({ url: 'date', valueDate: info.date }, { url: 'coverage-assertion-id', valueString: info.assertionId });
  if (info.satisfiedPaId) sub.push({ url: 'satisfied-pa-id', valueString: info.satisfiedPaId });
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
