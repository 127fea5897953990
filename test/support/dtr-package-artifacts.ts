import { CQL_CONTENT_TYPE, ELM_CONTENT_TYPE } from './dtr-canonicals.js';
import { isObject, objects, text, type Fail, type Json } from './fhir-json.js';

/**
 * What a DTR conformance check needs to read from the Libraries and
 * ValueSets of a questionnaire package: canonicals, the CQL and ELM inside a
 * Library (decoded from content.data), and which canonicals a Bundle holds.
 */
export interface Canonical {
  readonly url: string;
  readonly version: string | undefined;
}

/** "url|version" → { url, version } (FHIR canonical with an optional version). */
export function parseCanonical(canonical: string): Canonical {
  const bar = canonical.lastIndexOf('|');
  return bar < 0 ? { url: canonical, version: undefined } : { url: canonical.slice(0, bar), version: text(canonical.slice(bar + 1)) };
}

export function isVersionSpecific(canonical: string): boolean {
  return parseCanonical(canonical).version !== undefined;
}

/**
 * The Libraries, ValueSets and Questionnaires of one package Bundle, found by
 * canonical (url, or url|version). A reference written "Library/id" (as in
 * the Inferno DTR fixture) is found by id, so that a missing resource and a
 * badly written reference are reported as different breaches.
 */
export class CanonicalIndex {
  constructor(private readonly resources: readonly Json[]) {}

  find(canonical: string, type?: string): Json | undefined {
    const { url, version } = parseCanonical(canonical);
    const ofType = this.resources.filter((r) => !type || r['resourceType'] === type);
    const byUrl = ofType.filter((r) => r['url'] === url && (version === undefined || r['version'] === version));
    if (byUrl.length > 0) return byUrl[0];
    const relative = /^(Library|ValueSet|Questionnaire)\/([A-Za-z0-9\-.]+)$/.exec(url);
    return relative ? ofType.find((r) => r['resourceType'] === relative[1] && r['id'] === relative[2]) : undefined;
  }
}

export interface ElmReference {
  readonly name: string;
  readonly version: string | undefined;
}

/** One Library of the package, with what its CQL and ELM say. */
export interface PackagedLibrary {
  readonly resource: Json;
  readonly path: string;
  /** The CQL library identifier ("library X version 'v'"), which expressions quote; Library.name when the content cannot be read. */
  readonly identifier: string | undefined;
  readonly version: string | undefined;
  /** Expression and function definitions in the ELM; undefined when the ELM cannot be read. */
  readonly definitions: ReadonlySet<string> | undefined;
  /** `include X version 'v'` of the ELM. */
  readonly includes: readonly ElmReference[];
  /** `valueset "n": 'url' version 'v'` of the ELM: name is the URL. */
  readonly valueSets: readonly ElmReference[];
}

/**
 * Reads a Library of the package and reports: oper-13/spec-95 (CQL and ELM
 * as separate content), spec-99 (in content.data, base64), sdc-library
 * (url 1..1), oper-16 (a version to be referenced by).
 */
export function readPackagedLibrary(library: Json, path: string, fail: Fail): PackagedLibrary {
  if (!text(library['url'])) fail('sdc-library', `${path} has no url (sdc-library url 1..1), so no canonical can name it`);
  if (!text(library['version'])) fail('oper-16', `${path} has no version, so references to it cannot be version-specific`);
  const cql = decodedContent(library, CQL_CONTENT_TYPE, path, fail);
  const elmText = decodedContent(library, ELM_CONTENT_TYPE, path, fail);
  let elm: Json | undefined;
  if (elmText !== undefined) {
    try {
      const parsed = JSON.parse(elmText) as unknown;
      if (isObject(parsed) && isObject(parsed['library'])) elm = parsed['library'];
    } catch {
      elm = undefined;
    }
    if (!elm) fail('oper-13', `${path}: the ${ELM_CONTENT_TYPE} content is not ELM JSON (no "library" object)`);
  }
  const elmIdentifier = isObject(elm?.['identifier']) ? elm['identifier'] : undefined;
  const cqlHeader = cql ? /^\s*library\s+"?([A-Za-z_]\w*)"?(?:\s+version\s+'([^']+)')?/m.exec(cql) : null;
  const defs = (section: string) => objects(isObject(elm?.[section]) ? elm[section]['def'] : undefined);
  return {
    resource: library,
    path,
    identifier: text(elmIdentifier?.['id']) ?? cqlHeader?.[1] ?? text(library['name']),
    version: text(elmIdentifier?.['version']) ?? cqlHeader?.[2] ?? text(library['version']),
    definitions: elm ? new Set(defs('statements').map((d) => String(d['name']))) : undefined,
    includes: defs('includes').map((d) => ({ name: String(d['path']), version: text(d['version']) })),
    valueSets: defs('valueSets').map((d) => ({ name: String(d['id']), version: text(d['version']) })),
  };
}

function decodedContent(library: Json, contentType: string, path: string, fail: Fail): string | undefined {
  const contents = objects(library['content']).filter((c) => c['contentType'] === contentType);
  if (contents.length === 0) {
    fail('oper-13', `${path} has no ${contentType} content; every Library carries both CQL and ELM (spec-95)`);
    return undefined;
  }
  const data = text(contents[0]!['data']);
  if (!data) {
    fail('spec-99', `${path}: the ${contentType} content must be sent in content.data (base64), not by url`);
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data.replace(/\s/g, '')) || data.replace(/\s/g, '').length % 4 !== 0) {
    fail('spec-99', `${path}: the ${contentType} content.data is not base64`);
    return undefined;
  }
  return Buffer.from(data, 'base64').toString('utf8');
}

/**
 * The number of codes a ValueSet's compose lists, when it lists them all
 * (concept lists only, no filter, no imported value set); undefined otherwise.
 */
export function composedCodeCount(valueSet: Json): number | undefined {
  const compose = isObject(valueSet['compose']) ? valueSet['compose'] : undefined;
  if (!compose || objects(compose['exclude']).length > 0) return undefined;
  let count = 0;
  for (const include of objects(compose['include'])) {
    if (include['filter'] !== undefined || include['valueSet'] !== undefined || !Array.isArray(include['concept'])) return undefined;
    count += include['concept'].length;
  }
  return count;
}
