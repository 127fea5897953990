import type { Coverage, FhirResource, Parameters, ParametersParameter } from 'fhir/r4.js';
import { buildCoverage, buildTecartusOrder } from './fhir-factories.js';

/**
 * $questionnaire-package input Parameters (DTR dtr-qpackage-input-parameters),
 * as a DTR client sends them after CRD. The input parameter names are the same
 * in 2.2.0 and 2.0.1; the versions differ in shape: 2.2 takes exactly one
 * coverage (1..1), 2.0.1 one or more (1..*) and its OperationDefinition also
 * has `referenced` (resources for a stand-alone launch), which 2.2 dropped.
 */
export interface QuestionnairePackageRequestOptions {
  /** Default: buildCoverage(). 2.0.1 takes several. */
  coverage?: Coverage | Coverage[];
  /** The order(s) CRD was called for. Default: the Tecartus MedicationRequest; [] for none. */
  order?: FhirResource | FhirResource[];
  /** The CRD coverage-assertion-id (spec-107) or the PAS TRN (spec-109). */
  context?: string;
  /** Questionnaire canonical(s), preferably version-specific (url|version). */
  questionnaire?: string | string[];
  /** An instant: the QuestionnaireResponse's meta.lastUpdated when resuming (oper-20). */
  changedsince?: string;
  /** 2.0.1 only: resources for a stand-alone launch (Patient, requester …). */
  referenced?: FhirResource[];
  /** Which version's input shape; default 2.2. */
  names?: '2.2' | '2.0.1';
}

export function buildQuestionnairePackageRequest(options: QuestionnairePackageRequestOptions = {}): Parameters {
  const names = options.names ?? '2.2';
  const coverages = toArray(options.coverage ?? buildCoverage());
  const orders = toArray(options.order ?? buildTecartusOrder());
  const questionnaires = toArray(options.questionnaire ?? []);
  if (coverages.length === 0) throw new Error('$questionnaire-package needs a coverage');
  if (names === '2.2' && coverages.length > 1) throw new Error('DTR 2.2 takes exactly one coverage (1..1); use names: "2.0.1" for several');
  if (names === '2.2' && options.referenced) throw new Error('DTR 2.2 has no "referenced" parameter');
  // dtr-1: at least one of order, questionnaire and context.
  if (orders.length === 0 && questionnaires.length === 0 && options.context === undefined) throw new Error('dtr-1: give an order, a questionnaire or a context');
  const parameter: ParametersParameter[] = [
    ...coverages.map((resource) => ({ name: 'coverage', resource })),
    ...orders.map((resource) => ({ name: 'order', resource })),
    ...questionnaires.map((valueCanonical) => ({ name: 'questionnaire', valueCanonical })),
    ...(options.context !== undefined ? [{ name: 'context', valueString: options.context }] : []),
    ...(options.changedsince !== undefined ? [{ name: 'changedsince', valueInstant: options.changedsince }] : []),
    ...(options.referenced ?? []).map((resource) => ({ name: 'referenced', resource })),
  ];
  return { resourceType: 'Parameters', parameter };
}

function toArray<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}
