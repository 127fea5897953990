import type {
  Coding,
  Extension,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  QuestionnaireResponseItemAnswer,
} from 'fhir/r4.js';
import type { DocumentedFacts, EvidenceRef } from '../policy/decision.js';

export const INFORMATION_ORIGIN_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';
export const QR_COVERAGE_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-coverage';
export const QR_CONTEXT_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-context';
export const INTENDED_USE_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/intendedUse';
const DTR_QR_PROFILE = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-questionnaireresponse';
/** CRD 2.2.1 DocReason: the documentation goes with the prior authorization request. */
const WITH_PA: Coding = { system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/coverage-information-codes', code: 'withpa', display: 'Include with PA request' };

export interface DraftResponseInput {
  readonly id: string;
  readonly questionnaire: Questionnaire;
  /** url|version of the Questionnaire (DTR spec-122: the same canonical as in the package). */
  readonly questionnaireCanonical: string;
  /** `Patient/id` of the patient the form is about. */
  readonly subject: string;
  /** `Coverage/id` (qr-coverage) and the orders (qr-context), as the EHR names them. */
  readonly coverage?: string | undefined;
  readonly orders: readonly string[];
  /** What the order-sign decision established; nothing is pre-filled without it. */
  readonly facts?: DocumentedFacts | undefined;
  /** Where each pre-filled answer names the record entries it rests on. */
  readonly evidenceExtensionUrl: string;
  readonly authored: Date;
}

/**
 * The draft QuestionnaireResponse of a questionnaire package (DTR oper-18),
 * pre-filled with what the order-sign decision already proved (oper-19):
 * each such answer carries DTR's information-origin `auto-server` (the payer
 * filled it, spec-65) and the record entries it rests on. What the record
 * did not establish (lineage method, attestations, documents) is left for
 * the clinician.
 */
export function draftQuestionnaireResponse(input: DraftResponseInput): QuestionnaireResponse {
  const answers = prefilledAnswers(input);
  const items = itemsFor(input.questionnaire.item ?? [], answers, input.evidenceExtensionUrl);
  const extension: Extension[] = [
    ...(input.coverage ? [{ url: QR_COVERAGE_URL, valueReference: { reference: input.coverage } }] : []),
    ...input.orders.map((reference) => ({ url: QR_CONTEXT_URL, valueReference: { reference } })),
    { url: INTENDED_USE_URL, valueCodeableConcept: { coding: [WITH_PA] } },
  ];
  return {
    resourceType: 'QuestionnaireResponse',
    id: input.id,
    meta: { profile: [DTR_QR_PROFILE] },
    extension,
    questionnaire: input.questionnaireCanonical,
    status: 'in-progress',
    subject: { reference: input.subject },
    authored: input.authored.toISOString(),
    ...(items.length > 0 ? { item: items } : {}),
  };
}

interface Prefilled {
  readonly answer: QuestionnaireResponseItemAnswer;
  readonly evidence: readonly EvidenceRef[];
}

/** The answers the decision's facts give, by linkId. */
function prefilledAnswers(input: DraftResponseInput): Map<string, Prefilled> {
  const out = new Map<string, Prefilled>();
  const facts = input.facts;
  if (!facts) return out;
  const options = optionsByLinkId(input.questionnaire.item ?? []);
  const coding = (linkId: string, code: string) => options.get(linkId)?.find((o) => o.valueCoding?.code === code)?.valueCoding;
  const text = (linkId: string, startsWith: string) => options.get(linkId)?.find((o) => o.valueString?.toLowerCase().startsWith(startsWith))?.valueString;
  const set = (linkId: string, answer: QuestionnaireResponseItemAnswer | undefined, evidence: readonly (EvidenceRef | undefined)[]) => {
    if (answer && Object.values(answer).some((v) => v !== undefined)) out.set(linkId, { answer, evidence: evidence.filter((e): e is EvidenceRef => e !== undefined) });
  };

  if (facts.ageYears !== undefined) set('age', { valueInteger: facts.ageYears }, [{ reference: input.subject }]);
  if (facts.diagnosis) {
    const code = facts.diagnosis.kind === 'mcl' ? '443487006' : '91857003';
    const option = coding('diagnosis', code);
    if (option) set('diagnosis', { valueCoding: option }, [facts.diagnosis.evidence]);
  }
  if (facts.bCellPrecursorLineage) set('all-b-cell-precursor-lineage', { valueBoolean: true }, [facts.bCellPrecursorLineage.evidence]);
  const rr = facts.relapsedOrRefractory;
  if (rr) {
    set('relapsed-or-refractory', { valueBoolean: true }, [rr.evidence]);
    const type = text('relapsed-or-refractory-type', rr.type);
    if (type) set('relapsed-or-refractory-type', { valueString: type }, [rr.evidence]);
    if (rr.evidence.date && /^\d{4}-\d{2}-\d{2}$/.test(rr.evidence.date)) set('relapsed-or-refractory-date', { valueDate: rr.evidence.date }, [rr.evidence]);
    if (rr.lastRegimen) {
      set('last-treatment-regimen', { valueString: rr.lastRegimen.name }, [rr.evidence]);
      const response = text('last-regimen-response', rr.lastRegimen.response === 'progression' ? 'disease progression' : 'no response');
      if (response) set('last-regimen-response', { valueString: response }, [rr.evidence]);
    }
  }
  // "No prior CAR-T found" only when the whole history was read and showed none; signs for review are the clinician's to answer.
  if (facts.priorCarT === 'none') set('prior-car-t', { valueBoolean: false }, []);
  if (facts.priorCarT === 'proven') set('prior-car-t', { valueBoolean: true }, []);
  if (facts.setting) {
    const option = coding('administration-setting', facts.setting.where === 'outpatient' ? 'AMB' : 'IMP');
    if (option) set('administration-setting', { valueCoding: option }, [facts.setting.evidence]);
  }
  return out;
}

/** The response items for the questionnaire's items that have an answer, keeping the groups that hold them. */
function itemsFor(questions: readonly QuestionnaireItem[], answers: ReadonlyMap<string, Prefilled>, evidenceUrl: string): QuestionnaireResponseItem[] {
  const out: QuestionnaireResponseItem[] = [];
  for (const q of questions) {
    if (q.type === 'group') {
      const children = itemsFor(q.item ?? [], answers, evidenceUrl);
      if (children.length > 0) out.push({ linkId: q.linkId, ...(q.text ? { text: q.text } : {}), item: children });
      continue;
    }
    const prefilled = answers.get(q.linkId);
    if (!prefilled) continue;
    const extension: Extension[] = [
      { url: INFORMATION_ORIGIN_URL, extension: [{ url: 'source', valueCode: 'auto-server' }] },
      ...prefilled.evidence.map((e) => ({ url: evidenceUrl, valueReference: { reference: e.reference } })),
    ];
    out.push({ linkId: q.linkId, ...(q.text ? { text: q.text } : {}), answer: [{ ...prefilled.answer, extension }] });
  }
  return out;
}

function optionsByLinkId(items: readonly QuestionnaireItem[], into = new Map<string, NonNullable<QuestionnaireItem['answerOption']>>()) {
  for (const item of items) {
    if (item.answerOption) into.set(item.linkId, item.answerOption);
    optionsByLinkId(item.item ?? [], into);
  }
  return into;
}
