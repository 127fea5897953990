/**
 * In-process timing for the bench's micro-measurements (validation, memo
 * caches): variants run in alternating batches after a warm-up, so a noisy
 * machine slows each about equally; the median batch is reported.
 */
export interface Variant {
  readonly name: string;
  /** One unit of work (e.g. reading one record). */
  run(): unknown;
}

export interface VariantTiming {
  readonly name: string;
  /** Median over the batches of the mean time of one run, in microseconds. */
  readonly microseconds: number;
}

export function timeVariants(variants: readonly Variant[], options: { batches?: number; runsPerBatch: number; warmUpRuns?: number }): VariantTiming[] {
  const batches = options.batches ?? 9;
  const warmUp = options.warmUpRuns ?? options.runsPerBatch;
  for (const v of variants) for (let i = 0; i < warmUp; i++) v.run();
  const perBatch = variants.map(() => [] as number[]);
  for (let b = 0; b < batches; b++) {
    variants.forEach((v, i) => {
      const started = performance.now();
      for (let r = 0; r < options.runsPerBatch; r++) v.run();
      perBatch[i]!.push(((performance.now() - started) * 1000) / options.runsPerBatch);
    });
  }
  return variants.map((v, i) => ({ name: v.name, microseconds: median(perBatch[i]!) }));
}

/** Median time of `runs` calls of an async unit of work, one at a time, in microseconds. */
export async function timeAsync(work: () => Promise<unknown>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push((performance.now() - started) * 1000);
  }
  return median(times);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function us(value: number): string {
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}
