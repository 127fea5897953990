import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FhirResource } from 'fhir/r4.js';
import { z } from 'zod';
import { RESOURCE_SHAPES } from './resource-shapes.js';

/** A resource as the service reads it, and what in it could not be read. */
export interface ResourceReading {
  readonly resource: FhirResource;
  /** One sentence per element left out, e.g. `Condition/c1: code.coding[0].code must be a string`. */
  readonly problems: readonly string[];
}

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; items?: JsonSchema; $ref?: string; allOf?: JsonSchema[]; definitions?: Record<string, JsonSchema> };

/**
 * Reads FHIR resources the way EHRs really send them (policy issue 10, rule 7):
 * - where R4 wants an array and one object (or value) arrives, it is read as a
 *   one-item array (the CDS Hooks Sandbox sends MedicationRequest.category so);
 * - an element the service reads with the wrong JSON type is left out and
 *   reported, so the part of the record it belongs to is unreadable for the
 *   criteria that need it, never a 400 for the whole call or a crash;
 * - nothing is changed in place: a resource that needs no change is returned
 *   as it came, others as a copy (the order the EHR sent is echoed unchanged).
 * The shapes are the zod schemas of resource-shapes.ts, compiled once to JSON
 * Schema and checked by Ajv (a standard validator that does not copy).
 */
export class ResourceReader {
  readonly #conformers = new Map<string, Conform>();
  readonly #validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const [type, shape] of Object.entries(RESOURCE_SHAPES)) {
      // Shared parts (Coding, CodeableConcept…) as definitions: a fifth of the size, compiled five times faster than inlined.
      const schema = z.toJSONSchema(shape, { target: 'draft-7', io: 'input', unrepresentable: 'any', reused: 'ref' }) as JsonSchema;
      this.#conformers.set(type, conformer(schema, schema, new Map()));
      this.#validators.set(type, ajv.compile(schema));
    }
  }

  /** Reads one resource; undefined when the value is not a FHIR resource at all (no resourceType). */
  read(value: unknown): ResourceReading | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const type = (value as { resourceType?: unknown }).resourceType;
    if (typeof type !== 'string' || type === '') return undefined;
    const conform = this.#conformers.get(type);
    const validate = this.#validators.get(type);
    if (!conform || !validate) return { resource: value as FhirResource, problems: [] };
    const conformed = conform(value) as Record<string, unknown>;
    if (validate(conformed)) return { resource: conformed as unknown as FhirResource, problems: [] };
    // Leave out each top-level element that holds a malformed value; the rest of the resource is read.
    const errors = validate.errors ?? [];
    const bad = new Set(errors.map((e) => topElement(e)).filter((k): k is string => k !== undefined));
    const kept = Object.fromEntries(Object.entries(conformed).filter(([k]) => !bad.has(k)));
    const name = `${type}/${typeof conformed['id'] === 'string' ? conformed['id'] : '(no id)'}`;
    const problems = [...new Map(errors.map((e) => [topElement(e), `${name}: ${describe(e)}`])).values()];
    return { resource: kept as unknown as FhirResource, problems };
  }
}

/** Wraps single values where the schema wants an array; returns the same object when nothing changed. */
type Conform = (value: unknown) => unknown;
const unchanged: Conform = (value) => value;

/**
 * The walk that conforms a value to `schema`, built once per resource type
 * (walking the JSON Schema itself on every read cost more than validating:
 * docs/performance.md). Parts of the schema with no array below them are
 * skipped. `byRef` holds the walk of each shared definition, so a definition
 * used in many places (Coding) is built once and a recursive one ends.
 */
function conformer(schema: JsonSchema, root: JsonSchema, byRef: Map<string, Conform>): Conform {
  if (schema.allOf) {
    const parts = schema.allOf.map((part) => conformer(part, root, byRef)).filter((c) => c !== unchanged);
    if (parts.length === 0) return unchanged;
    return parts.length === 1 ? parts[0]! : (value) => parts.reduce((v, c) => c(v), value);
  }
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace('#/definitions/', '');
    const target = root.definitions?.[name];
    if (!target) return unchanged;
    const known = byRef.get(name);
    if (known) return known;
    // While the definition is being built, a reference to it from inside itself goes through this stand-in.
    let built: Conform = unchanged;
    byRef.set(name, (value) => built(value));
    built = conformer(target, root, byRef);
    byRef.set(name, built);
    return built;
  }
  if (schema.type === 'array' && schema.items) {
    const item = conformer(schema.items, root, byRef);
    return (value) => {
      const list = Array.isArray(value) ? value : value === undefined || value === null ? value : [value];
      if (!Array.isArray(list) || item === unchanged) return list;
      let copy: unknown[] | undefined;
      for (let i = 0; i < list.length; i++) {
        const c = item(list[i]);
        if (c !== list[i]) (copy ??= [...list])[i] = c;
      }
      return copy ?? list;
    };
  }
  if (schema.type === 'object' && schema.properties) {
    const properties = Object.entries(schema.properties)
      .map(([key, sub]) => [key, conformer(sub, root, byRef)] as const)
      .filter(([, c]) => c !== unchanged);
    if (properties.length === 0) return unchanged;
    return (value) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const object = value as Record<string, unknown>;
      let copy: Record<string, unknown> | undefined;
      for (const [key, conform] of properties) {
        if (!Object.hasOwn(object, key)) continue;
        const c = conform(object[key]);
        if (c !== object[key]) (copy ??= { ...object })[key] = c;
      }
      return copy ?? object;
    };
  }
  return unchanged;
}

function topElement(error: ErrorObject): string | undefined {
  return error.instancePath.split('/')[1];
}

/** `code.coding[0].code must be a string`, in plain words. */
function describe(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  const expected =
    typeof error.params['type'] === 'string' ? `must be ${article(error.params['type'])}` : error.keyword === 'pattern' ? 'is not a FHIR date (YYYY-MM-DD)' : (error.message ?? 'is malformed');
  return `${path || 'the resource'} ${expected}`;
}

function article(type: string): string {
  const word = type === 'object' ? 'a JSON object' : type === 'array' ? 'an array' : type === 'integer' ? 'a whole number' : `a ${type}`;
  return word;
}
