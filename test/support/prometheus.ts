/**
 * Reads one sample from Prometheus text exposition: the value of `name` with
 * exactly the given labels (other labels may be present only when `exact` is
 * false). Undefined when there is no such sample.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}, exact = false): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    const wanted = Object.entries(labels);
    if (wanted.some(([k, v]) => found[k] !== v)) continue;
    if (exact && Object.keys(found).length !== wanted.length) continue;
    return Number(m[3]);
  }
  return undefined;
}

/** Every label of the samples whose metric name starts with `prefix`, as [label, value] pairs. */
export function labelsOf(text: string, prefix = ''): [string, string][] {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && l.startsWith(prefix))
    .flatMap((l) => [...l.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
}
