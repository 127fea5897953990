import type { z } from 'zod';

/** A check of a JSON value that allocates nothing. */
export type AsIsCheck = (value: unknown) => boolean;

/**
 * Compiles a zod schema into a fast check for the common case: it answers
 * true only when the schema accepts the value *and* its parse would return the
 * same content (no whitespace trimmed, no key stripped; key order may
 * differ). It answers false when the value is invalid or when it cannot tell,
 * and the caller then runs the schema itself, which says what is wrong in its
 * own words. So the fast check changes no answer: it only spares the valid
 * request (nearly every one) zod's deep copy, which on a large history costs
 * as much as parsing the JSON.
 *
 * Only the constructs the service's schemas use are understood. Anything else
 * (transforms, defaults, other string formats or checks, a superRefine not
 * named in `known`) throws here, at start-up, so a schema change that this
 * compiler does not understand cannot make the fast check wrong: it fails
 * the first test. A property test (test/validation/accepts-as-is.test.ts)
 * holds the compiled checks to the schemas on mutated requests.
 *
 * `known` supplies the check for schemas zod cannot describe (a superRefine's
 * function is not visible in its definition).
 */
export function acceptsAsIs(schema: z.ZodType, known: ReadonlyMap<z.ZodType, AsIsCheck> = new Map()): AsIsCheck {
  const compiled = new Map<unknown, AsIsCheck>();
  const compile = (s: z.ZodType): AsIsCheck => {
    const fromKnown = known.get(s);
    if (fromKnown) return fromKnown;
    let check = compiled.get(s);
    if (!check) {
      // Recursive schemas (z.lazy) reach themselves: the entry is set before compiling the parts.
      let body: AsIsCheck = () => false;
      compiled.set(s, (v) => body(v));
      body = withChecks(s, compileType(s, compile));
      check = body;
      compiled.set(s, check);
    }
    return check;
  };
  return compile(schema);
}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [key: string]: unknown;
}

interface CheckDef {
  readonly check: string;
  readonly fn?: (value: unknown) => unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly [key: string]: unknown;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unsupported(what: string): never {
  throw new Error(`acceptsAsIs: ${what} is not supported; extend src/validation/accepts-as-is.ts (or run the schema itself)`);
}

const ASCII_TAB_OR_NEWLINE = /[\t\n\r]/;

function compileType(s: z.ZodType, compile: (s: z.ZodType) => AsIsCheck): AsIsCheck {
  const def = defOf(s);
  if ('coerce' in def && def['coerce']) unsupported(`coercion (${def.type})`);
  switch (def.type) {
    case 'unknown':
    case 'any':
      return () => true;
    case 'null':
      return (v) => v === null;
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return compileString(def);
    case 'literal': {
      const values = def['values'] as readonly unknown[];
      return (v) => values.includes(v);
    }
    case 'optional': {
      const inner = compile(def['innerType'] as z.ZodType);
      return (v) => v === undefined || inner(v);
    }
    case 'nullable': {
      const inner = compile(def['innerType'] as z.ZodType);
      return (v) => v === null || inner(v);
    }
    case 'lazy': {
      let inner: AsIsCheck | undefined;
      return (v) => (inner ??= compile((def['getter'] as () => z.ZodType)()))(v);
    }
    case 'array': {
      const element = compile(def['element'] as z.ZodType);
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'union': {
      const options = (def['options'] as z.ZodType[]).map(compile);
      return (v) => {
        for (let i = 0; i < options.length; i++) if (options[i]!(v)) return true;
        return false;
      };
    }
    case 'record': {
      const keyDef = defOf(def['keyType'] as z.ZodType);
      if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0 || 'format' in keyDef) unsupported('a record key other than a plain string');
      const value = compile(def['valueType'] as z.ZodType);
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const key in v) if (Object.hasOwn(v, key) && !value(v[key])) return false;
        return true;
      };
    }
    case 'object':
      return compileObject(def, compile);
    default:
      return unsupported(`the zod type "${def.type}"`);
  }
}

function compileString(def: Def): AsIsCheck {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of def.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === 'min_length') min = Math.max(min, cd.minimum!);
    else if (cd.check === 'max_length') max = Math.min(max, cd.maximum!);
    else unsupported(`the string check "${cd.check}"`);
  }
  const format = def['format'];
  if (format === undefined) return (v) => typeof v === 'string' && v.length >= min && v.length <= max;
  // z.url() without options: accepted when URL can parse the trimmed text; it returns the text trimmed and
  // without tabs and newlines, so only a text that has none of them comes out as it went in.
  if (format !== 'url' || 'hostname' in def || 'protocol' in def || 'normalize' in def) unsupported(`the string format "${String(format)}" with these options`);
  return (v) => typeof v === 'string' && v.length >= min && v.length <= max && v === v.trim() && !ASCII_TAB_OR_NEWLINE.test(v) && URL.canParse(v);
}

function compileObject(def: Def, compile: (s: z.ZodType) => AsIsCheck): AsIsCheck {
  const shape = def['shape'] as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const checks = keys.map((key) => compile(shape[key]!));
  const catchall = def['catchall'] as z.ZodType | undefined;
  const catchallType = catchall === undefined ? 'strip' : defOf(catchall).type;
  if (catchallType !== 'unknown' && catchallType !== 'strip' && catchallType !== 'never') unsupported(`an object catchall of type "${catchallType}"`);
  // Strip (z.object) drops unknown keys and strict (z.strictObject) refuses them: either way only known keys come out as they went in.
  const onlyKnownKeys = catchallType !== 'unknown';
  return (v) => {
    if (!isPlainObject(v)) return false;
    for (let i = 0; i < keys.length; i++) if (!checks[i]!(v[keys[i]!])) return false;
    if (onlyKnownKeys) for (const key in v) if (Object.hasOwn(v, key) && !Object.hasOwn(shape, key)) return false;
    return true;
  };
}

/** Applies a schema's refinements (z.refine: its function is in the definition). */
function withChecks(s: z.ZodType, base: AsIsCheck): AsIsCheck {
  const def = defOf(s);
  if (def.type === 'string') return base;
  const refinements = (def.checks ?? []).map((c) => {
    const cd = c._zod.def;
    if (cd.check !== 'custom' || typeof cd.fn !== 'function' || 'when' in cd) unsupported(`a "${cd.check}" check without a visible function (name its schema in \`known\`)`);
    return cd.fn;
  });
  if (refinements.length === 0) return base;
  return (v) => base(v) && refinements.every((fn) => fn(v) === true);
}

/**
 * A JSON object zod copies key by key. One with an own `__proto__` key (JSON.parse
 * makes one) would come out of the copy with a different prototype instead,
 * so it is left to zod.
 */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');
}
