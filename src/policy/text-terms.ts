import type { TermListDefinition } from './policy-definition.js';

/** Where a term was found in a text. */
export interface Mention {
  readonly start: number;
  readonly end: number;
  /** The words as written in the record. */
  readonly text: string;
}

const LETTER_OR_DIGIT = '[\\p{L}\\p{N}]';

/**
 * A list of words from the policy, matched as whole words: "CAR-T" matches
 * "CAR-T", "CAR T" and "car-t" but not the "cart" of "crash cart", and
 * "ALL"-style terms listed under exactCase match only as written. A space or
 * hyphen in a term matches any run of spaces and hyphens; a trailing `*`
 * matches any word ending. Exact-case terms are not looked for in a text
 * written all in capitals, which cannot tell CART from cart.
 */
export class TermMatcher {
  readonly #anyCase: RegExp | undefined;
  readonly #exactCase: RegExp | undefined;

  constructor(list: Pick<TermListDefinition, 'terms' | 'exactCase'>) {
    this.#anyCase = alternation(list.terms, 'giu');
    this.#exactCase = alternation(list.exactCase, 'gu');
  }

  /** Every mention in the text, in order of appearance. */
  findAll(text: string): Mention[] {
    const found: Mention[] = [];
    collect(this.#anyCase, text, found);
    if (this.#exactCase && /\p{Ll}/u.test(text)) collect(this.#exactCase, text, found);
    return found.sort((a, b) => a.start - b.start);
  }

  /** The first mention, if any. */
  find(text: string): Mention | undefined {
    return this.findAll(text)[0];
  }

  test(text: string): boolean {
    return this.findAll(text).length > 0;
  }
}

function alternation(terms: readonly string[], flags: string): RegExp | undefined {
  if (terms.length === 0) return undefined;
  // Longest first, so "CAR-T19" wins over "CAR-T" at the same place.
  const sources = [...terms].sort((a, b) => b.length - a.length).map(termSource);
  return new RegExp(`(?<!${LETTER_OR_DIGIT})(?:${sources.join('|')})(?!${LETTER_OR_DIGIT})`, flags);
}

function termSource(term: string): string {
  const wildcard = term.endsWith('*');
  const words = (wildcard ? term.slice(0, -1) : term).trim().split(/[\s-]+/).map(escapeRegExp);
  return words.join('[\\s\\-]+') + (wildcard ? `${LETTER_OR_DIGIT}*` : '');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function collect(pattern: RegExp | undefined, text: string, into: Mention[]): void {
  if (!pattern) return;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    into.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
    if (m[0].length === 0) pattern.lastIndex += 1;
  }
}

/** The sentence of a text that holds a position: clinical text ends its statements with . ; ! ? or a line break. */
export function sentenceAt(text: string, position: number): { readonly start: number; readonly text: string } {
  const boundary = /[.;!?\n]/g;
  let start = 0;
  let end = text.length;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    // A dot between digits (a dose such as 2.5) or inside an abbreviation (e.g.) does not end a sentence.
    if (m[0] === '.' && /\S/.test(text[m.index + 1] ?? ' ')) continue;
    if (m.index < position) start = m.index + 1;
    else {
      end = m.index;
      break;
    }
  }
  return { start, text: text.slice(start, end) };
}

/** Up to `count` words before and after a mention within its sentence, lower-cased and joined by single spaces. */
export function wordsAround(sentence: string, mentionStart: number, mentionEnd: number, count: number): { before: string; after: string } {
  const words = (s: string) => s.toLowerCase().split(/[^\p{L}\p{N}/+]+/u).filter((w) => w.length > 0);
  return {
    before: words(sentence.slice(0, mentionStart)).slice(-count).join(' '),
    after: words(sentence.slice(mentionEnd)).slice(0, count).join(' '),
  };
}
