import type { Coding } from 'fhir/r4.js';
import { normalizedForms, type CodeSystemKey } from './codes.js';

export interface CodeSetEntry {
  readonly system: CodeSystemKey;
  readonly code: string;
  readonly display: string;
}

/** What matched: the coding as sent, and the entry of the set it matched. */
export interface CodeMatch {
  readonly coding: Coding;
  readonly entry: CodeSetEntry;
}

/** Most distinct system URIs, and codes per system, remembered as sent (a client could send endless variants). */
const MAX_REMEMBERED_URIS = 1_000;
const MAX_REMEMBERED_CODES = 20_000;
/** Longer "codes" are looked up but not remembered. */
const MAX_REMEMBERED_CODE_LENGTH = 64;
const NO_KEYS: readonly string[] = [];

/** Maps the many URIs a code system arrives under to one key. */
export class CodeSystemAliases {
  readonly #byUri = new Map<string, CodeSystemKey>();
  /** URIs as sent, already normalised and looked up: the same few arrive on every coding. */
  readonly #seen = new Map<string, CodeSystemKey | undefined>();
  /**
   * Lookup keys (`system|normalised code`) by system and code as sent: a
   * coding is checked against several code sets, and records repeat codes,
   * so each code is normalised once.
   */
  readonly #keysByCode = new Map<CodeSystemKey, Map<string, readonly string[]>>();

  constructor(uris: Partial<Record<CodeSystemKey, readonly string[]>>) {
    for (const [key, list] of Object.entries(uris) as [CodeSystemKey, readonly string[]][]) {
      for (const uri of list) this.#byUri.set(normalizeUri(uri), key);
    }
  }

  keyOf(systemUri: string | undefined): CodeSystemKey | undefined {
    if (typeof systemUri !== 'string') return undefined;
    if (this.#seen.has(systemUri)) return this.#seen.get(systemUri);
    const key = this.#byUri.get(normalizeUri(systemUri));
    if (this.#seen.size >= MAX_REMEMBERED_URIS) this.#seen.clear();
    this.#seen.set(systemUri, key);
    return key;
  }

  /** The keys a coding is looked up under in a CodeSet: `system|form` for each normalised form of its code. */
  keysOf(coding: Coding): readonly string[] {
    const system = this.keyOf(coding.system);
    const code = coding.code;
    if (system === undefined || typeof code !== 'string') return NO_KEYS;
    let byCode = this.#keysByCode.get(system);
    if (byCode === undefined) {
      byCode = new Map();
      this.#keysByCode.set(system, byCode);
    }
    let keys = byCode.get(code);
    if (keys === undefined) {
      keys = normalizedForms(system, code).map((form) => `${system}|${form}`);
      if (byCode.size >= MAX_REMEMBERED_CODES) byCode.clear();
      if (code.length <= MAX_REMEMBERED_CODE_LENGTH) byCode.set(code, keys);
    }
    return keys;
  }
}

/**
 * A set of codes indexed once, so that checking a coding costs one map lookup
 * (plus a short prefix scan for code families such as ICD-10-CM C83.1-).
 */
export class CodeSet {
  readonly label: string;
  readonly #exact = new Map<string, CodeSetEntry>();
  /** Code families (`system|prefix`), e.g. ICD-10-CM C83.1-. */
  readonly #prefixes: { key: string; entry: CodeSetEntry }[] = [];

  constructor(
    label: string,
    readonly aliases: CodeSystemAliases,
    codes: readonly CodeSetEntry[],
    prefixes: readonly CodeSetEntry[] = [],
  ) {
    this.label = label;
    for (const entry of codes) {
      for (const form of normalizedForms(entry.system, entry.code)) this.#exact.set(`${entry.system}|${form}`, entry);
    }
    for (const entry of prefixes) {
      for (const form of normalizedForms(entry.system, entry.code)) this.#prefixes.push({ key: `${entry.system}|${form}`, entry });
    }
  }

  match(coding: Coding): CodeMatch | undefined {
    for (const key of this.aliases.keysOf(coding)) {
      const entry = this.#exact.get(key);
      if (entry) return { coding, entry };
      // The key starts with the system, so a prefix of the same system matches as the code's prefix.
      for (const p of this.#prefixes) if (key.startsWith(p.key)) return { coding, entry: p.entry };
    }
    return undefined;
  }

  matchAny(codings: readonly Coding[]): CodeMatch | undefined {
    for (const coding of codings) {
      const m = this.match(coding);
      if (m) return m;
    }
    return undefined;
  }
}

function normalizeUri(uri: string): string {
  return uri.trim().replace(/\/+$/, '').toLowerCase();
}
