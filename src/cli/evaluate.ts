import type { RecordFetcher } from '../fhir/gather-record.js';
import type { CrdVersion } from '../hooks/crd-options.js';
import type { Discovery } from '../hooks/discovery.js';
import { ResourceReader } from '../fhir/read-resource.js';
import { handleOrderHook, type HookResult } from '../hooks/handle-order-hook.js';
import { OperationOutcomeError } from '../errors/outcomes.js';
import { statusOf } from '../http/outcome-status.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { bundleToOrderRequest } from './bundle-to-request.js';
import { CliInputError } from './cli-input-error.js';
import type { EvaluatorInput } from './read-input.js';

export interface EvaluatorDependencies {
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  /** The service's base URL for links in cards (PUBLIC_BASE_URL, else http://localhost:PORT). */
  readonly baseUrl: string;
  readonly now: () => Date;
  /** The policy's DTR Questionnaire (url|version), named in the coverage information as the service names it. */
  readonly questionnaire?: string | undefined;
  /** Not set by the command line today: it decides on the prefetch alone. */
  readonly fetcher?: RecordFetcher | undefined;
}

export interface EvaluationOptions {
  readonly hook: 'order-sign' | 'order-select';
  readonly orders?: readonly string[] | undefined;
  readonly crdVersion?: CrdVersion | undefined;
}

export interface Evaluation {
  readonly result: HookResult;
  readonly serviceId: string;
  readonly input: EvaluatorInput['kind'];
  /** Things the user should know about how the input was read (printed on stderr). */
  readonly notes: readonly string[];
}

/**
 * Runs the service's own decision (handleOrderHook) on a request or a Bundle,
 * with no server: the same validation, record gathering, policy and cards.
 * An answer the service would give as an HTTP error becomes a CliInputError
 * carrying the OperationOutcome's text.
 */
export async function evaluateInput(input: EvaluatorInput, options: EvaluationOptions, deps: EvaluatorDependencies): Promise<Evaluation> {
  const notes: string[] = [];
  let body: Record<string, unknown>;
  if (input.kind === 'bundle') {
    const service = [...deps.discovery.services.values()].find((s) => s.hook === options.hook);
    const built = bundleToOrderRequest(input.bundle, deps.policy, { ...options, sources: deps.discovery.sources.get(service?.id ?? '') ?? [] });
    body = built.request;
  } else {
    body = { ...input.body };
    if (!deps.fetcher && (body['fhirServer'] !== undefined || body['fhirAuthorization'] !== undefined)) {
      // Without a FHIR client the evaluator cannot query; it says so rather than letting the 412 blame a missing fhirServer.
      delete body['fhirServer'];
      delete body['fhirAuthorization'];
      notes.push('fhirServer and fhirAuthorization are ignored: the evaluator decides on the prefetch alone and queries no FHIR server.');
    }
  }
  const serviceId = serviceFor(body['hook'], deps.discovery);
  try {
    const result = await handleOrderHook({ serviceId, body, baseUrl: () => deps.baseUrl }, { policy: deps.policy, discovery: deps.discovery, fetcher: deps.fetcher, reader: new ResourceReader(), now: deps.now, questionnaire: deps.questionnaire });
    return { result, serviceId, input: input.kind, notes };
  } catch (error) {
    if (error instanceof OperationOutcomeError) throw new CliInputError(outcomeMessage(error));
    throw error;
  }
}

/** The service for the request's hook; an unknown hook goes to order-sign, whose validation names the problem. */
function serviceFor(hook: unknown, discovery: Discovery): string {
  const services = [...discovery.services.values()];
  return (services.find((s) => s.hook === hook) ?? services.find((s) => s.hook === 'order-sign') ?? services[0]!).id;
}

const WHAT: Record<number, string> = {
  400: 'The request is not a valid CDS Hooks order-sign or order-select request',
  404: 'No such service',
  412: 'The record lacks data the decision needs',
};

function outcomeMessage(error: OperationOutcomeError): string {
  const status = statusOf(error.outcome);
  const lines = error.outcome.issue.map((i) => {
    const where = i.expression && i.expression.length > 0 ? ` (at ${i.expression.join(', ')})` : '';
    return `  - ${i.details?.text ?? i.diagnostics ?? i.code}${where}`;
  });
  return `${WHAT[status] ?? 'The service would refuse this request'} (HTTP ${status}):\n${lines.join('\n')}`;
}
