import type { DataRequirement, Library, RelatedArtifact } from 'fhir/r4.js';
import type { DtrLibrarySource } from './dtr-artifacts.js';
import { elmRetrievedTypes } from './elm.js';

/**
 * R4 Library resources for the CQL a DTR client runs. DTR spec-95/spec-99 and
 * oper-13: each Library carries its CQL and its ELM (JSON) as separate
 * content.data repetitions; spec-68: dataRequirement names what to fetch.
 */
export interface LibrarySettings {
  readonly canonicalBase: string;
  readonly publisher: string;
  readonly date: string;
  /** Version-specific canonicals (`url|version`, DTR oper-16) of the libraries and ValueSets it depends on (oper-12). */
  readonly dependsOn: readonly string[];
}

export const CQL_CONTENT_TYPE = 'text/cql';
export const ELM_CONTENT_TYPE = 'application/elm+json';

export function libraryUrl(canonicalBase: string, name: string): string {
  return `${canonicalBase}/Library/${name}`;
}

export function libraryResource(source: DtrLibrarySource, settings: LibrarySettings): Library {
  const relatedArtifact: RelatedArtifact[] = settings.dependsOn.map((resource) => ({ type: 'depends-on', resource }));
  const dataRequirement: DataRequirement[] = elmRetrievedTypes(source.elm).map((type) => ({
    // The ELM names FHIR R4 resource types ({http://hl7.org/fhir}Condition), which DataRequirement.type accepts.
    type: type as DataRequirement['type'],
    profile: [`http://hl7.org/fhir/StructureDefinition/${type}`],
  }));
  return {
    resourceType: 'Library',
    id: source.name,
    url: libraryUrl(settings.canonicalBase, source.name),
    version: source.version,
    name: source.name,
    title: source.title,
    status: 'active',
    experimental: false,
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
    date: settings.date,
    publisher: settings.publisher,
    description: source.description,
    ...(relatedArtifact.length > 0 ? { relatedArtifact } : {}),
    ...(dataRequirement.length > 0 ? { dataRequirement } : {}),
    content: [
      { contentType: CQL_CONTENT_TYPE, data: base64(source.cql) },
      // The ELM without the file's indentation: a third of the size in every package (the same JSON).
      { contentType: ELM_CONTENT_TYPE, data: base64(JSON.stringify(source.elm)) },
    ],
  };
}

/** A Library's content of one type, decoded. */
export function libraryContent(library: Library, contentType: string): string | undefined {
  const data = library.content?.find((c) => c.contentType === contentType)?.data;
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
