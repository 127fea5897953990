/**
 * The few parts of an ELM (JSON) library the package needs to read: its
 * identifier, includes, value sets, definitions and the FHIR types it
 * retrieves. ELM is HL7's Expression Logical Model, the compiled form of CQL.
 */
export interface ElmLibrary {
  readonly library: {
    readonly identifier: { readonly id: string; readonly version?: string };
    readonly includes?: { readonly def: readonly { readonly localIdentifier: string; readonly path: string; readonly version?: string }[] };
    readonly valueSets?: { readonly def: readonly { readonly name: string; readonly id: string; readonly version?: string }[] };
    readonly statements?: { readonly def: readonly { readonly name: string; readonly type?: string }[] };
  };
}

/** Expression definitions (`define "X":`), not functions: what a Questionnaire item can name. */
export function elmDefinitionNames(elm: ElmLibrary): string[] {
  return (elm.library.statements?.def ?? []).filter((d) => d.type !== 'FunctionDef').map((d) => d.name);
}

export function elmValueSets(elm: ElmLibrary): { name: string; url: string; version: string | undefined }[] {
  return (elm.library.valueSets?.def ?? []).map((d) => ({ name: d.name, url: d.id, version: d.version }));
}

export function elmIncludes(elm: ElmLibrary): { name: string; version: string | undefined }[] {
  return (elm.library.includes?.def ?? []).map((d) => ({ name: d.path, version: d.version }));
}

const FHIR_TYPE = /^\{http:\/\/hl7\.org\/fhir\}(\w+)$/;

/** The FHIR resource types the library retrieves (`[Condition]`), in first-use order. */
export function elmRetrievedTypes(elm: ElmLibrary): string[] {
  const types = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record['type'] === 'Retrieve' && typeof record['dataType'] === 'string') {
      const match = FHIR_TYPE.exec(record['dataType']);
      if (match) types.add(match[1]!);
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(elm.library.statements);
  return [...types];
}
