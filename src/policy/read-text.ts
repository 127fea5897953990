import type { CompiledPolicy } from './compiled-policy.js';
import { sentenceAt, wordsAround, type Mention, type TermMatcher } from './text-terms.js';

/**
 * What a record's free text says about CAR-T:
 * - `therapy`: CAR-T named as something given ("Yescarta infusion", "s/p CART19");
 * - `harvest`: a CAR-T cell collection or manufacturing step, not an infusion;
 * - `other-car-cells`: a chimeric antigen receptor product on other cells (CAR-NK).
 * Mentions that are denied ("no prior CAR-T") or context ("CAR-T lymphodepletion",
 * "pre-CAR-T baseline", "CAR-T evaluation") say nothing (policy issue 10: only
 * therapy counts). The quote is the sentence that says it.
 */
export interface CarTText {
  readonly kind: 'therapy' | 'harvest' | 'other-car-cells';
  readonly quote: string;
}

/** Words between a negation and a mention that show the negation is about something else ("no response to CAR-T"). */
const NEGATION_STOPPERS = /\b(response|responded|remission|benefit|improvement|relapse|progression|durable|change|effect)\b/;
const WORDS_AROUND = 5;

export function readCarTText(policy: CompiledPolicy, texts: readonly string[]): CarTText | undefined {
  let best: CarTText | undefined;
  const rank = { therapy: 3, 'other-car-cells': 2, harvest: 1 } as const;
  const consider = (found: CarTText) => {
    if (!best || rank[found.kind] > rank[best.kind]) best = found;
  };
  for (const text of texts) {
    for (const mention of policy.anyCarTName.findAll(text)) {
      const read = readMention(policy, text, mention);
      if (read) consider({ kind: read.harvest ? 'harvest' : 'therapy', quote: read.sentence });
    }
    if (best?.kind === 'therapy') return best;
    for (const mention of policy.terms.otherCarCells.findAll(text)) {
      const read = readMention(policy, text, mention);
      if (read) consider({ kind: 'other-car-cells', quote: read.sentence });
    }
  }
  return best;
}

/** The mention's sentence, unless the mention is denied or context; whether the sentence is about a harvest. */
function readMention(policy: CompiledPolicy, text: string, mention: Mention): { sentence: string; harvest: boolean } | undefined {
  const sentence = sentenceAt(text, mention.start);
  const start = mention.start - sentence.start;
  const end = mention.end - sentence.start;
  const { before, after } = wordsAround(sentence.text, start, end, WORDS_AROUND);
  if (deniedBefore(policy, before) || policy.terms.negationAfter.test(after)) return undefined;
  if (policy.terms.notTherapyContext.test(sentence.text)) return undefined;
  // "pre-CAR-T", "pre CAR T": the mention is what comes next, not what happened.
  const prefix = sentence.text.slice(0, start).match(/([\p{L}]+)[\s-]*$/u)?.[1];
  if (prefix !== undefined && policy.terms.notTherapyPrefix.test(prefix)) return undefined;
  return { sentence: sentence.text.trim(), harvest: policy.terms.harvest.test(sentence.text) };
}

function deniedBefore(policy: CompiledPolicy, before: string): boolean {
  const negation = policy.terms.negationBefore.findAll(before).at(-1);
  if (!negation) return false;
  return !NEGATION_STOPPERS.test(before.slice(negation.end));
}

/**
 * The sentences in which a text affirms a term: the mention is not denied
 * ("not refractory", "no T-ALL": a negation within five words before it) and, when `unless` is given, the sentence
 * does not also hold one of its words (e.g. MRD for a relapse).
 */
export function affirmedSentences(policy: CompiledPolicy, matcher: TermMatcher, text: string, unless?: TermMatcher): string[] {
  const out: string[] = [];
  for (const mention of matcher.findAll(text)) {
    const sentence = sentenceAt(text, mention.start);
    const { before } = wordsAround(sentence.text, mention.start - sentence.start, mention.end - sentence.start, WORDS_AROUND);
    if (deniedBefore(policy, before) || unless?.test(sentence.text)) continue;
    out.push(sentence.text.trim());
  }
  return out;
}
