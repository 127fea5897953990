import type { OperationOutcome } from 'fhir/r4.js';
import { z } from 'zod';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import { zodIssues } from '../errors/zod-issues.js';
import type { QuestionnaireErrorRecord } from '../store/questionnaire-error-store.js';

const Parameter = z.looseObject({ name: z.string().min(1), resource: z.looseObject({ resourceType: z.string() }).optional(), valueCanonical: z.string().optional(), valueUri: z.string().optional(), valueString: z.string().optional() });
const ParametersShape = z.looseObject(
  { resourceType: z.literal('Parameters', { error: 'must be "Parameters"' }), parameter: z.array(Parameter).optional() },
  { error: 'The body must be a FHIR Parameters resource (application/fhir+json).' },
);

/**
 * Reads a $log-questionnaire-errors call (DTR oper-1) into what is kept:
 * the Questionnaire canonicals, the context id when given, and each issue's
 * severity, code, coded details and location. The clients' free text
 * (diagnostics, details.text) is not kept: it may carry patient data (oper-2).
 * Takes the 2.2 names (questionnaire, operationOutcome), the 2.0.1 ones
 * (Questionnaire, OperationOutcome), `outcome`, and the 2.2.0 OperationDefinition's
 * one nested Parameters in `resource`.
 */
export function readQuestionnaireErrors(body: unknown, clientIss: string, receivedAt: Date): QuestionnaireErrorRecord {
  const parsed = ParametersShape.safeParse(body, { reportInput: true });
  if (!parsed.success) throw badRequestIssues(zodIssues(parsed.error));
  let parameters = parsed.data.parameter ?? [];
  const nested = parameters.find((p) => p.name === 'resource' && p.resource?.resourceType === 'Parameters');
  if (nested) parameters = ((nested.resource as { parameter?: z.infer<typeof Parameter>[] }).parameter ?? []).filter((p) => typeof p?.name === 'string');
  const named = (...names: string[]) => parameters.filter((p) => names.includes(p.name));
  const questionnaires = named('questionnaire', 'Questionnaire').map((p) => p.valueCanonical ?? p.valueUri ?? p.valueString).filter((c): c is string => typeof c === 'string');
  const outcomes = named('operationOutcome', 'OperationOutcome', 'outcome').map((p) => p.resource).filter((r) => r?.resourceType === 'OperationOutcome') as unknown as OperationOutcome[];
  if (outcomes.length === 0) throw badRequestIssues([issue('required', 'parameter operationOutcome is required: the OperationOutcome describing the errors (DTR $log-questionnaire-errors)', ['Parameters.parameter'])]);
  const context = named('context')[0]?.valueString;
  return {
    receivedAt,
    clientIss,
    questionnaires,
    assertionId: context,
    issues: outcomes.flatMap((o) => (Array.isArray(o.issue) ? o.issue : [])).slice(0, 100).map((i) => ({
      severity: typeof i?.severity === 'string' ? i.severity : undefined,
      code: typeof i?.code === 'string' ? i.code : undefined,
      details: (Array.isArray(i?.details?.coding) ? i.details.coding : []).map((c) => ({ system: typeof c?.system === 'string' ? c.system : undefined, code: typeof c?.code === 'string' ? c.code : undefined })),
      expression: (Array.isArray(i?.expression) ? i.expression : []).filter((e): e is string => typeof e === 'string').map((e) => e.slice(0, 200)),
    })),
  };
}
