import type { QuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer } from 'fhir/r4.js';
import type { AnswerCondition, AnswerRule } from '../policy/policy-definition.js';

/** An answer as a reviewer reads it: the question, what was answered, and who filled it in. */
export interface FormAnswer {
  readonly linkId: string;
  readonly question?: string | undefined;
  /** Booleans as true/false, codings by their code, attachments by their title. */
  readonly value: boolean | string | number;
  readonly display: string;
  /** DTR information-origin: `auto` (from the record), `override`, `manual`; undefined when the form does not say. */
  readonly origin?: string | undefined;
  readonly attachment?: { readonly title?: string | undefined; readonly contentType?: string | undefined; readonly size?: number | undefined } | undefined;
}

const INFORMATION_ORIGIN_URL = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';

/** The answers of a DTR QuestionnaireResponse by linkId (nested groups flattened; linkIds are unique in a Questionnaire). */
export function formAnswers(form: QuestionnaireResponse | undefined): Map<string, FormAnswer[]> {
  const out = new Map<string, FormAnswer[]>();
  const walk = (items: readonly QuestionnaireResponseItem[] | undefined) => {
    for (const item of items ?? []) {
      const answers = (item.answer ?? []).map((a) => answerOf(item, a)).filter((a): a is FormAnswer => a !== undefined);
      if (answers.length > 0) out.set(item.linkId, [...(out.get(item.linkId) ?? []), ...answers]);
      walk(item.item);
      for (const a of item.answer ?? []) walk(a.item);
    }
  };
  walk(form?.item);
  return out;
}

function answerOf(item: QuestionnaireResponseItem, a: QuestionnaireResponseItemAnswer): FormAnswer | undefined {
  const origin = a.extension?.find((e) => e.url === INFORMATION_ORIGIN_URL)?.extension?.find((s) => s.url === 'source')?.valueCode;
  const base = { linkId: item.linkId, question: item.text, origin };
  if (typeof a.valueBoolean === 'boolean') return { ...base, value: a.valueBoolean, display: a.valueBoolean ? 'Yes' : 'No' };
  if (a.valueCoding?.code) return { ...base, value: a.valueCoding.code, display: a.valueCoding.display ?? a.valueCoding.code };
  if (typeof a.valueString === 'string' && a.valueString.trim() !== '') return { ...base, value: a.valueString, display: a.valueString };
  if (typeof a.valueDate === 'string') return { ...base, value: a.valueDate, display: a.valueDate };
  if (typeof a.valueDateTime === 'string') return { ...base, value: a.valueDateTime, display: a.valueDateTime };
  if (typeof a.valueInteger === 'number') return { ...base, value: a.valueInteger, display: String(a.valueInteger) };
  if (typeof a.valueDecimal === 'number') return { ...base, value: a.valueDecimal, display: String(a.valueDecimal) };
  if (a.valueAttachment && (a.valueAttachment.data || a.valueAttachment.url)) {
    const { title, contentType, size, data } = a.valueAttachment;
    const bytes = size ?? (data ? Math.floor((data.length * 3) / 4) : undefined);
    return { ...base, value: title ?? 'attachment', display: `${title ?? 'attachment'}${contentType ? ` (${contentType})` : ''}`, attachment: { title, contentType, size: bytes } };
  }
  if (a.valueReference?.reference) return { ...base, value: a.valueReference.reference, display: a.valueReference.display ?? a.valueReference.reference };
  return undefined;
}

function holds(condition: AnswerCondition, answers: ReadonlyMap<string, readonly FormAnswer[]>): FormAnswer | undefined {
  const given = answers.get(condition.linkId) ?? [];
  if ('answered' in condition) return given[0];
  return given.find((a) => a.value === condition.equals);
}

/** The answers that satisfy a rule (its first alternative that holds in full), or undefined. */
export function answersSatisfying(rule: AnswerRule, answers: ReadonlyMap<string, readonly FormAnswer[]>): FormAnswer[] | undefined {
  for (const alternative of rule.anyOf) {
    const found = alternative.map((c) => holds(c, answers));
    if (found.every((a) => a !== undefined)) return found as FormAnswer[];
  }
  return undefined;
}
