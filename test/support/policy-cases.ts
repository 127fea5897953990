import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FhirResource } from 'fhir/r4.js';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * The policy case library (policies/tecartus-carepartners-ct/cases/): one YAML
 * file per case, written by the UM team from the policy text, independently of
 * the engine. This module reads and checks the files and builds each case's
 * call: the record (a base, minus `remove`, plus `add`, with `patch`), the
 * draft orders, the call date and the expected answer. Adding a case needs no
 * code; a malformed file fails with its path and the field at fault.
 */

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../policies/tecartus-carepartners-ct/cases');
const BASES_DIR = join(CASES_DIR, '_bases');

/** The finding codes of issue 10 (pa-required is implied on every assertion and never listed). */
export const FINDING_CODES = [
  'prior-car-t',
  'age-under-18',
  'diagnosis-not-qualifying',
  'rr-status-undocumented',
  'lineage-undocumented',
  'age-unknown',
  'possible-prior-car-t',
  'repeat-dosing',
  'outpatient-attestation',
  'eligibility',
  'data-unavailable',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export const DETERMINATIONS = ['covered', 'conditional', 'not-covered', 'indeterminate'] as const;
export type Determination = (typeof DETERMINATIONS)[number];

/** Record parts a case may declare unreadable (the EHR's query failed), by resource type. */
export const READABLE_TYPES = [
  'Patient',
  'Coverage',
  'Encounter',
  'Condition',
  'Procedure',
  'MedicationRequest',
  'MedicationAdministration',
  'MedicationStatement',
  'ServiceRequest',
  'Observation',
] as const;

const DEFAULT_CALL_DATE = '2026-06-15';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

const text = (what: string) => z.string({ error: `must be ${what}` }).trim().min(1, `must not be empty (${what})`);
const Reference = z.string({ error: 'must be a reference Type/id' }).regex(REFERENCE, 'must be a reference Type/id, e.g. Procedure/yescarta-2023');
/** A FHIR resource as the EHR sends it: only resourceType and id are required (imperfect resources are the point of many cases). */
const Resource = z.looseObject(
  {
    resourceType: z.string({ error: 'every resource needs a resourceType' }).regex(/^[A-Z][A-Za-z]+$/, 'must be a FHIR resource type'),
    id: z.string({ error: 'every resource needs an id' }).regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id'),
  },
  { error: 'must be a FHIR resource (a mapping with resourceType and id)' },
);
const Covered = z.enum([...DETERMINATIONS, 'none'], { error: `must be one of ${[...DETERMINATIONS, 'none'].join(', ')}` });
const Finding = z.enum(FINDING_CODES, { error: `must be a finding code: ${FINDING_CODES.join(', ')} (pa-required is implied, do not list it)` });

const OrderExpectation = z.strictObject({
  covered: Covered,
  reasons: z.array(Finding, { error: 'must be a list of finding codes' }).default([]),
  coverage: z.union([z.literal('none'), z.string().regex(/^Coverage\/[A-Za-z0-9\-.]{1,64}$/, 'must be Coverage/<id> or none')]).optional(),
  evidence: z.array(Reference).optional(),
});

const CardText = z.strictObject({
  includes: z.array(text('a phrase the cards must contain')).default([]),
  excludes: z.array(text('a phrase no card may contain')).default([]),
});

const Expectation = OrderExpectation.extend({
  perOrder: z.record(Reference, OrderExpectation).optional(),
  /** Checked end to end only: phrases the cards (summary, detail, override reasons) must or must not contain, case-insensitive. */
  cardText: CardText.optional(),
});

const CaseFile = z
  .strictObject({
    title: text('a one-line title'),
    clause: text('the policy clause the case tests, quoted'),
    rule: text('the decision rule the case tests'),
    judgment: z.boolean({ error: 'must be true or false' }).default(false),
    note: text('free text').optional(),
    callDate: z.string().regex(DAY, 'must be a day YYYY-MM-DD').default(DEFAULT_CALL_DATE),
    base: z.string().regex(/^[a-z0-9-]+$/, 'must name a file in cases/_bases without .yaml').optional(),
    orders: z.array(Resource).min(1, 'must hold at least one order').optional(),
    orderPatch: z.record(z.string(), z.unknown(), { error: 'must be a mapping of order elements' }).optional(),
    add: z.array(Resource).optional(),
    remove: z.array(Reference).optional(),
    /** Elements shallow-merged onto resources of the record, by Type/id (e.g. a Patient's birthDate). */
    patch: z.record(Reference, z.record(z.string(), z.unknown())).optional(),
    /** The encounter of the call (context.encounterId): default the record's first Encounter; `none` for none. */
    encounterId: z.string().min(1).optional(),
    /** Record parts whose query failed (pure runner only). */
    unreadable: z.array(z.enum(READABLE_TYPES, { error: `must be one of ${READABLE_TYPES.join(', ')}` })).optional(),
    /** The name of the row of test/support/decision-table.ts this case restates. */
    decisionTableRow: text('the decision-table row name').optional(),
    expect: Expectation,
    e2e: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (c.judgment && !c.note) ctx.addIssue({ code: 'custom', path: ['note'], message: 'is required when judgment is true: say what the judgment call is and why' });
    const expectations: [string[], z.infer<typeof OrderExpectation>][] = [
      [['expect'], c.expect],
      ...Object.entries(c.expect.perOrder ?? {}).map(([ref, e]): [string[], z.infer<typeof OrderExpectation>] => [['expect', 'perOrder', ref], e]),
    ];
    for (const [path, e] of expectations) {
      if (e.covered === 'none' && e.reasons.length > 0) ctx.addIssue({ code: 'custom', path: [...path, 'reasons'], message: 'must be empty when covered is none (the order is not judged)' });
    }
    if (c.expect.cardText && !c.e2e) ctx.addIssue({ code: 'custom', path: ['expect', 'cardText'], message: 'is checked end to end only: set e2e: true' });
    if (c.unreadable && c.e2e) ctx.addIssue({ code: 'custom', path: ['unreadable'], message: 'cannot run end to end (no FHIR server to fail): set e2e: false' });
  });

const BaseFile = z.strictObject({
  description: text('what the base record is'),
  resources: z.array(Resource).min(1),
  orders: z.array(Resource).min(1),
});

export type OrderExpectation = z.infer<typeof OrderExpectation>;

/** One case, ready to run: the call as the EHR would make it and the expected answer. */
export interface PolicyCase {
  /** `<topic>/<file name without .yaml>`, unique. */
  readonly id: string;
  readonly topic: string;
  readonly file: string;
  readonly title: string;
  readonly clause: string;
  readonly rule: string;
  readonly judgment: boolean;
  readonly note?: string | undefined;
  readonly decisionTableRow?: string | undefined;
  readonly callDate: string;
  /** The draft orders of the call (with any Medication they reference), first order first. */
  readonly orders: readonly FhirResource[];
  /** The patient's record: every resource the EHR holds, as it sends them. */
  readonly record: readonly FhirResource[];
  /** context.encounterId, if any. */
  readonly encounterId?: string | undefined;
  readonly patientId: string;
  readonly unreadable: readonly (typeof READABLE_TYPES)[number][];
  /** Expectations by order reference; the first is the case's own `expect`. */
  readonly expectations: ReadonlyMap<string, OrderExpectation>;
  readonly cardText?: { readonly includes: readonly string[]; readonly excludes: readonly string[] } | undefined;
  readonly e2e: boolean;
}

/** A case file that cannot be used; the message names the file and the field. */
export class CaseFileError extends Error {}

const refOf = (r: { resourceType: string; id?: string | undefined }) => `${r.resourceType}/${r.id ?? ''}`;

/** Order resource types CDS Hooks order-sign may carry (R4); anything else in `orders` (a Medication) rides along. */
export const ORDER_TYPES: ReadonlySet<string> = new Set(['MedicationRequest', 'ServiceRequest', 'DeviceRequest', 'NutritionOrder', 'VisionPrescription', 'CommunicationRequest']);

/** Every case file under cases/<topic>/, in a stable order. */
export function caseFiles(dir = CASES_DIR): string[] {
  const out: string[] = [];
  for (const topic of readdirSync(dir).sort()) {
    const path = join(dir, topic);
    if (topic.startsWith('_') || !statSync(path).isDirectory()) continue;
    for (const name of readdirSync(path).sort()) if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(join(path, name));
  }
  return out;
}

/** Reads and checks every case of the library. Throws CaseFileError on the first malformed file. */
export function loadPolicyCases(dir = CASES_DIR): PolicyCase[] {
  const bases = new Map<string, z.infer<typeof BaseFile>>();
  const baseOf = (name: string, file: string) => {
    if (!bases.has(name)) {
      const path = join(BASES_DIR, `${name}.yaml`);
      let raw: unknown;
      try {
        raw = parseYaml(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new CaseFileError(`${rel(file)}: base: cannot read ${rel(path)}: ${(error as Error).message}`);
      }
      bases.set(name, checked(BaseFile, raw, path));
    }
    return bases.get(name)!;
  };
  const cases = caseFiles(dir).map((file) => buildCase(file, baseOf));
  const seen = new Map<string, string>();
  for (const c of cases) {
    const key = c.title.toLowerCase();
    if (seen.has(key)) throw new CaseFileError(`${rel(c.file)}: title: the same title as ${rel(seen.get(key)!)}`);
    seen.set(key, c.file);
  }
  return cases;
}

/** Reads one case file. */
export function loadPolicyCase(file: string): PolicyCase {
  return buildCase(file, (name, from) => {
    const path = join(BASES_DIR, `${name}.yaml`);
    try {
      return checked(BaseFile, parseYaml(readFileSync(path, 'utf8')), path);
    } catch (error) {
      if (error instanceof CaseFileError) throw error;
      throw new CaseFileError(`${rel(from)}: base: cannot read ${rel(path)}: ${(error as Error).message}`);
    }
  });
}

function buildCase(file: string, baseOf: (name: string, file: string) => z.infer<typeof BaseFile>): PolicyCase {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CaseFileError(`${rel(file)}: not valid YAML: ${(error as Error).message}`);
  }
  const data = checked(CaseFile, raw, file);
  const fail = (field: string, message: string): never => {
    throw new CaseFileError(`${rel(file)}: ${field}: ${message}`);
  };
  const base = data.base ? baseOf(data.base, file) : undefined;
  if (!base && !data.orders) fail('orders', 'is required when the case has no base');

  // The record: the base's resources, minus `remove`, plus `add` (an added resource with a base resource's Type/id replaces it), then `patch`.
  const record = new Map<string, FhirResource>();
  for (const r of base?.resources ?? []) record.set(refOf(r), clone(r) as unknown as FhirResource);
  for (const [i, ref] of (data.remove ?? []).entries()) {
    if (!record.delete(ref)) fail(`remove.${i}`, `${ref} is not in the base record`);
  }
  const added = new Set<string>();
  for (const [i, r] of (data.add ?? []).entries()) {
    const ref = refOf(r);
    if (added.has(ref)) fail(`add.${i}`, `${ref} is added twice`);
    added.add(ref);
    record.set(ref, clone(r) as unknown as FhirResource);
  }
  for (const [ref, elements] of Object.entries(data.patch ?? {})) {
    const target = record.get(ref);
    if (!target) fail(`patch.${ref}`, `${ref} is not in the record`);
    record.set(ref, { ...target, ...(clone(elements) as object) } as FhirResource);
  }

  const orders = (data.orders ?? base!.orders).map((o) => clone(o) as unknown as FhirResource);
  const firstOrderIndex = orders.findIndex((o) => ORDER_TYPES.has(o.resourceType));
  if (firstOrderIndex < 0) fail('orders', 'must hold at least one order (MedicationRequest, ServiceRequest, ...)');
  if (data.orderPatch) orders[firstOrderIndex] = { ...orders[firstOrderIndex]!, ...(clone(data.orderPatch) as object) } as FhirResource;
  const orderRefs = orders.map(refOf);
  if (new Set(orderRefs).size !== orderRefs.length) fail('orders', 'two draft resources share a Type/id');
  for (const ref of orderRefs) if (record.has(ref)) fail('orders', `${ref} is both a draft order and a record resource`);

  const firstRef = orderRefs[firstOrderIndex]!;
  const expectations = new Map<string, OrderExpectation>();
  const { perOrder, cardText, ...own } = data.expect;
  expectations.set(firstRef, own);
  for (const [ref, e] of Object.entries(perOrder ?? {})) {
    if (!orderRefs.includes(ref)) fail(`expect.perOrder.${ref}`, `${ref} is not one of the call's orders`);
    if (ref === firstRef) fail(`expect.perOrder.${ref}`, 'the first order is expected by `expect` itself');
    expectations.set(ref, e);
  }

  const resources = [...record.values()];
  const encounters = resources.filter((r) => r.resourceType === 'Encounter');
  let encounterId: string | undefined;
  if (data.encounterId === undefined) encounterId = encounters[0]?.id;
  else if (data.encounterId !== 'none') {
    if (!record.has(`Encounter/${data.encounterId}`)) fail('encounterId', `Encounter/${data.encounterId} is not in the record`);
    encounterId = data.encounterId;
  }
  const patient = resources.find((r) => r.resourceType === 'Patient');
  const topic = basename(dirname(file));
  return {
    id: `${topic}/${basename(file).replace(/\.ya?ml$/, '')}`,
    topic,
    file,
    title: data.title,
    clause: data.clause,
    rule: data.rule,
    judgment: data.judgment,
    note: data.note,
    decisionTableRow: data.decisionTableRow,
    callDate: data.callDate,
    orders,
    record: resources,
    encounterId,
    patientId: patient?.id ?? 'pat-1',
    unreadable: data.unreadable ?? [],
    expectations,
    cardText,
    e2e: data.e2e,
  };
}

function checked<T extends z.ZodType>(schema: T, raw: unknown, file: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(file)'}: ${i.message}`);
  throw new CaseFileError(`${rel(file)}: ${issues.join('; ')}`);
}

function rel(path: string): string {
  return relative(process.cwd(), path) || path;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
