/**
 * Issue 11 item 3: reading FHIR resources with zod alone, or with a standard
 * validator compiled from the same zod schemas (Ajv from z.toJSONSchema(),
 * what src/fhir/read-resource.ts does). Measured on the resources of the
 * bench's records (bench/scenarios.ts), in this process:
 * - as served: ResourceReader.read (the lenient array walk, then Ajv);
 * - the validation step alone, on the same resources after the walk: Ajv's
 *   compiled function against zod's safeParse of src/fhir/resource-shapes.ts
 *   (zod alone would also need the lenient walk, e.g. as z.preprocess, so its
 *   figure is a lower bound);
 * - start-up: compiling the Ajv validators (zod has nothing to compile).
 * Run: node --import tsx bench/validation.bench.ts (npm run bench runs it too).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { FhirResource } from 'fhir/r4.js';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ResourceReader } from '../src/fhir/read-resource.js';
import { RESOURCE_SHAPES } from '../src/fhir/resource-shapes.js';
import { buildTecartusOrder } from '../test/support/fhir-factories.js';
import { eligibleMantleCellRecord, recordResources } from '../test/support/patient-scenarios.js';
import { median, timeVariants, us } from './micro-timing.js';
import { historyOf } from './scenarios.js';

export interface ValidationRow {
  readonly record: string;
  readonly resources: number;
  readonly servedUs: number;
  readonly ajvUs: number;
  readonly zodUs: number;
}

export interface ValidationResult {
  readonly rows: readonly ValidationRow[];
  /** Building a ResourceReader: z.toJSONSchema and Ajv compilation of every shape, in milliseconds. */
  readonly startUpMs: number;
}

export function runValidationBench(sizes: readonly number[] = [50, 5_000]): ValidationResult {
  const startUps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    new ResourceReader();
    startUps.push(performance.now() - started);
  }
  const reader = new ResourceReader();
  // The same compilation as ResourceReader's, to time Ajv's validate function on its own.
  const ajv = new Ajv({ allErrors: true, strict: false });
  const ajvValidators = new Map<string, ValidateFunction>(
    Object.entries(RESOURCE_SHAPES).map(([type, shape]) => [type, ajv.compile(z.toJSONSchema(shape, { target: 'draft-7', io: 'input', unrepresentable: 'any', reused: 'ref' }))]),
  );
  const rows = sizes.map((size) => {
    const resources: FhirResource[] = [buildTecartusOrder(), ...recordResources(eligibleMantleCellRecord(historyOf(size)))];
    const conformed = resources.map((r) => reader.read(r)!.resource);
    for (const r of conformed) {
      if (RESOURCE_SHAPES[r.resourceType]?.safeParse(r).success === false) throw new Error(`zod refuses ${r.resourceType}/${r.id}: the comparison needs valid resources`);
    }
    const runsPerBatch = Math.max(1, Math.round(20_000 / resources.length));
    const [served, ajvAlone, zodAlone] = timeVariants(
      [
        { name: 'served', run: () => resources.forEach((r) => reader.read(r)) },
        { name: 'ajv', run: () => conformed.forEach((r) => ajvValidators.get(r.resourceType)?.(r)) },
        { name: 'zod', run: () => conformed.forEach((r) => RESOURCE_SHAPES[r.resourceType]?.safeParse(r)) },
      ],
      { runsPerBatch },
    );
    return { record: size === 50 ? 'typical (50 history entries)' : `${size.toLocaleString('en-US')} history entries`, resources: resources.length, servedUs: served!.microseconds, ajvUs: ajvAlone!.microseconds, zodUs: zodAlone!.microseconds };
  });
  return { rows, startUpMs: median(startUps) };
}

export function printValidation(result: ValidationResult): void {
  console.log('\n### Reading resources: Ajv compiled from the zod schemas, or zod alone (issue 11 item 3; in-process, medians of 9 batches)\n');
  console.log('| record | resources | as served: lenient walk + Ajv, µs | Ajv validate alone, µs | zod safeParse alone, µs | zod / Ajv |\n|---|---|---|---|---|---|');
  for (const r of result.rows) console.log(`| ${r.record} | ${r.resources} | ${us(r.servedUs)} | ${us(r.ajvUs)} | ${us(r.zodUs)} | ${(r.zodUs / r.ajvUs).toFixed(1)}× |`);
  console.log(`\nStart-up: building the Ajv validators (z.toJSONSchema, compile) takes ${result.startUpMs.toFixed(0)} ms once per process; zod has nothing to build.`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printValidation(runValidationBench());
