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

/** Maps the many URIs a code system arrives under to one key. */
export class CodeSystemAliases {
  readonly #byUri = new Map<string, CodeSystemKey>();

  constructor(uris: Partial<Record<CodeSystemKey, readonly string[]>>) {
    for (const [key, list] of Object.entries(uris) as [CodeSystemKey, readonly string[]][]) {
      for (const uri of list) this.#byUri.set(normalizeUri(uri), key);
    }
  }

  keyOf(systemUri: string | undefined): CodeSystemKey | undefined {
    return systemUri === undefined ? undefined : this.#byUri.get(normalizeUri(systemUri));
  }
}

/**
 * A set of codes indexed once, so that checking a coding costs one map lookup
 * (plus a short prefix scan for code families such as ICD-10-CM C83.1-).
 */
export class CodeSet {
  readonly label: string;
  readonly #exact = new Map<string, CodeSetEntry>();
  readonly #prefixes: { system: CodeSystemKey; prefix: string; entry: CodeSetEntry }[] = [];

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
      for (const form of normalizedForms(entry.system, entry.code)) this.#prefixes.push({ system: entry.system, prefix: form, entry });
    }
  }

  match(coding: Coding): CodeMatch | undefined {
    const system = this.aliases.keyOf(coding.system);
    if (system === undefined || typeof coding.code !== 'string') return undefined;
    for (const form of normalizedForms(system, coding.code)) {
      const entry = this.#exact.get(`${system}|${form}`);
      if (entry) return { coding, entry };
      for (const p of this.#prefixes) if (p.system === system && form.startsWith(p.prefix)) return { coding, entry: p.entry };
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
