import { randomUUID } from 'node:crypto';
import type { Bundle, Coverage, FhirResource, OperationOutcome, OperationOutcomeIssue, Parameters } from 'fhir/r4.js';
import { notFound, OperationOutcomeError, outcome } from '../errors/outcomes.js';
import type { PatientRecord } from '../fhir/patient-record.js';
import type { ResourceReader } from '../fhir/read-resource.js';
import { dayIn } from '../fhir/dates.js';
import { parseReference, referenceTo } from '../fhir/references.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { DocumentedFacts } from '../policy/decision.js';
import { evaluateTecartusOrders } from '../policy/evaluate-order.js';
import { matchPolicyOrder } from '../policy/find-policy-orders.js';
import { isPlanCoverage } from '../policy/plan-coverage.js';
import type { StoredAssertion } from '../store/decision-store.js';
import { draftQuestionnaireResponse } from './draft-response.js';
import { expandedNow, matchesCanonical, type DtrContent } from './dtr-content.js';
import { readPackageRequest, type PackageRequest } from './package-parameters.js';

export interface QuestionnairePackageDependencies {
  readonly content: DtrContent;
  readonly policy: CompiledPolicy;
  readonly reader: ResourceReader;
  /** The stored CRD assertion behind a coverage-assertion-id. */
  readonly findAssertion: (assertionId: string) => Promise<StoredAssertion | undefined>;
  readonly now: () => Date;
}

/**
 * Questionnaire/$questionnaire-package (DTR 2.2, payer side): the package the
 * EHR's DTR client fills, as a Parameters with one `packagebundle` (oper-10)
 * and, when there is something to say, an `outcome`. With `context` (the CRD
 * coverage-assertion-id, spec-107) the draft QuestionnaireResponse comes
 * pre-filled with what the order-sign decision proved (oper-19).
 */
export async function questionnairePackage(body: unknown, deps: QuestionnairePackageDependencies): Promise<Parameters> {
  const request = readPackageRequest(body);
  const { content, policy } = deps;
  const now = deps.now();
  const warnings: OperationOutcomeIssue[] = [];

  // The stored CRD decision: an unknown context is a 4xx (spec-130).
  const assertion = request.context ? await deps.findAssertion(request.context) : undefined;
  if (request.context && !assertion) {
    throw notFound(`No coverage assertion "${request.context.slice(0, 100)}" was made by this service: the context must be the coverage-assertion-id of an order-sign answer.`);
  }
  const coverage = checkCoverage(request, assertion, policy);
  const docNeeded = assertion?.orders.some((o) => (o.coverageInformation?.docNeeded ?? []).length > 0) ?? false;

  // Questionnaires asked for limit what is returned; one we do not have is a warning (oper-9).
  const asked = request.questionnaires;
  const ours = asked.length === 0 || asked.some((c) => matchesCanonical(c, content.questionnaire));
  for (const c of asked) if (!matchesCanonical(c, content.questionnaire)) warnings.push(warning('not-found', `The Questionnaire ${c} is not one this plan uses; ${content.questionnaireCanonical} is.`));
  if (!ours) {
    // oper-8: documentation is needed but no form applies: say how else to send it.
    const fax = policy.definition.priorAuthorization.fax;
    const text = docNeeded
      ? `No Questionnaire asked for applies to this order. Send the documentation the coverage information asked for with the prior authorization request, by fax to ${fax}, or ask for ${content.questionnaireCanonical}.`
      : `No Questionnaire asked for applies. This plan's Tecartus documentation form is ${content.questionnaireCanonical}; the prior authorization request may also be faxed to ${fax}.`;
    return parameters(undefined, [...warnings, { severity: 'information', code: 'informational', details: { text } }]);
  }

  // changedsince (oper-20): nothing changed since then, no package.
  const lastChanged = new Date(Math.max(content.lastChanged.getTime(), assertion?.lastAssertedAt.getTime() ?? 0));
  if (request.changedSince && request.changedSince.getTime() >= lastChanged.getTime()) {
    return parameters(undefined, [{ severity: 'information', code: 'informational', details: { text: `Nothing in the package has changed since ${request.changedSince.toISOString()} (last change ${lastChanged.toISOString()}).` } }]);
  }

  if (assertion && !docNeeded) {
    warnings.push(warning('business-rule', 'The order-sign answer for this context did not ask for documentation (the order was judged not covered, or on order-select); the form is returned for a prior authorization request all the same.'));
  }
  const { facts, orders } = factsFor(request, assertion, deps, warnings, now);
  const subject = subjectOf(assertion, coverage, request.orders);
  const draft = draftQuestionnaireResponse({
    id: randomUUID(),
    questionnaire: content.questionnaire,
    questionnaireCanonical: content.questionnaireCanonical,
    subject,
    coverage: coverage ? referenceTo(coverage) : assertion?.coverage,
    orders,
    facts,
    evidenceExtensionUrl: `${canonicalBaseOf(content)}/StructureDefinition/decision-evidence`,
    authored: now,
  });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { profile: ['http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/DTR-QPackageBundle'] },
    type: 'collection',
    timestamp: now.toISOString(),
    // oper-12 to oper-18: the Questionnaire first, its Libraries, the ValueSets expanded as of today, one draft response.
    entry: [content.questionnaire, ...content.libraries, ...content.valueSets.map((v) => expandedNow(v, now)), draft].map((resource) => ({ fullUrl: fullUrlOf(resource, content), resource: resource as FhirResource })),
  };
  return parameters(bundle, warnings);
}

/** The Coverage the package is for: it must be the plan's, and the one the assertion was made on. */
function checkCoverage(request: PackageRequest, assertion: StoredAssertion | undefined, policy: CompiledPolicy): Coverage | undefined {
  const coverage = request.coverage;
  if (!coverage) return undefined;
  const record = { organizations: [] } as unknown as PatientRecord;
  if (!isPlanCoverage(policy, record, coverage)) {
    throw new OperationOutcomeError(outcome('business-rule', `The Coverage ${referenceTo(coverage)} is not a ${policy.definition.payer.name} Coverage: this plan's documentation does not apply to it.`, ["Parameters.parameter.where(name='coverage')"]));
  }
  if (assertion?.coverage && coverage.id && assertion.coverage !== referenceTo(coverage)) {
    throw new OperationOutcomeError(outcome('business-rule', `The Coverage ${referenceTo(coverage)} is not the one the coverage assertion was made on (${assertion.coverage}).`, ["Parameters.parameter.where(name='coverage')"]));
  }
  return coverage;
}

/**
 * The facts to pre-fill from, and the orders the form is for. prof-1: orders
 * given beside the context must be the orders judged at order-sign; an order
 * that is not is judged again, on what the call carries (the order and its
 * Coverage: the record is not here), and only that is pre-filled.
 */
function factsFor(
  request: PackageRequest,
  assertion: StoredAssertion | undefined,
  deps: QuestionnairePackageDependencies,
  warnings: OperationOutcomeIssue[],
  now: Date,
): { facts: DocumentedFacts | undefined; orders: string[] } {
  const judged = assertion?.orders ?? [];
  if (request.orders.length === 0) return { facts: judged[0]?.documented, orders: judged.map((o) => o.order) };
  const given = request.orders.map((o) => referenceTo(o));
  const same = judged.find((o) => given.includes(o.order));
  if (same) return { facts: same.documented, orders: given };

  const read = request.orders.map((o) => deps.reader.read(o)).filter((r) => r !== undefined);
  const policyOrders = read.flatMap((r) => {
    const match = matchPolicyOrder(r.resource, deps.policy, []);
    return match.kind === 'match' ? [{ order: r.resource, identifiedBy: match.identifiedBy }] : [];
  });
  if (policyOrders.length === 0) {
    warnings.push(warning('business-rule', `None of the orders given (${given.join(', ')}) is a Tecartus order; the form is for Tecartus.`));
    return { facts: undefined, orders: given };
  }
  if (assertion) warnings.push(warning('business-rule', `The orders given (${given.join(', ')}) are not the ones judged at order-sign (${judged.map((o) => o.order).join(', ')}); they were judged again on what this call carries, and only that was pre-filled.`));
  const record: PatientRecord = {
    coverages: request.coverage ? [request.coverage] : [],
    conditions: [],
    procedures: [],
    medicationRequests: [],
    medicationAdministrations: [],
    medicationStatements: [],
    serviceRequests: [],
    observations: [],
    encounters: [],
    medications: [],
    organizations: [],
    unavailable: ['patient', 'conditions', 'procedures', 'medicationRequests', 'medicationAdministrations', 'medicationStatements'].map((part) => ({ part: part as PatientRecord['unavailable'][number]['part'], reason: 'not sent to $questionnaire-package' })),
  };
  const [decision] = evaluateTecartusOrders({ policy: deps.policy, policyOrders, draftOrders: policyOrders.map((p) => p.order), record, callDay: dayIn(deps.policy.definition.timeZone, now) });
  return { facts: decision?.documented, orders: given };
}

function subjectOf(assertion: StoredAssertion | undefined, coverage: Coverage | undefined, orders: readonly FhirResource[]): string {
  if (assertion) return `Patient/${assertion.patientId}`;
  const beneficiary = parseReference(coverage?.beneficiary?.reference);
  if (beneficiary?.resourceType === 'Patient') return `Patient/${beneficiary.id}`;
  const fromOrder = orders.map((o) => parseReference((o as { subject?: { reference?: string } }).subject?.reference)).find((r) => r?.resourceType === 'Patient');
  if (fromOrder) return `Patient/${fromOrder.id}`;
  throw new OperationOutcomeError(outcome('required', 'The package needs to know whose form it is: send the coverage (with its beneficiary), an order with its subject, or the context of an order-sign answer.', ['Parameters.parameter']));
}

function parameters(bundle: Bundle | undefined, issues: readonly OperationOutcomeIssue[]): Parameters {
  const out: Parameters['parameter'] = [];
  if (bundle) out.push({ name: 'packagebundle', resource: bundle });
  const report: OperationOutcome = { resourceType: 'OperationOutcome', issue: [...issues] };
  if (issues.length > 0) out.push({ name: 'outcome', resource: report });
  return { resourceType: 'Parameters', parameter: out };
}

function warning(code: OperationOutcomeIssue['code'], text: string): OperationOutcomeIssue {
  return { severity: 'warning', code, details: { text } };
}

function canonicalBaseOf(content: DtrContent): string {
  return content.questionnaire.url!.replace(/\/Questionnaire\/[^/]+$/, '');
}

function fullUrlOf(resource: { resourceType: string; id?: string | undefined; url?: string | undefined }, content: DtrContent): string {
  if (resource.resourceType === 'QuestionnaireResponse') return `urn:uuid:${resource.id}`;
  return `${canonicalBaseOf(content)}/${resource.resourceType}/${resource.id}`;
}
