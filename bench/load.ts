import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

/** A POST prepared for load: where it goes, and a body for each request. */
export interface RequestTemplate {
  readonly path: string;
  readonly contentType: string;
  /** Size of one body in bytes. */
  readonly bytes: number;
  /** The body of one request. */
  body(): string;
  /** Headers for one request (e.g. a fresh JWT); content-type is added. */
  readonly headers?: ((path: string) => Record<string, string>) | undefined;
}

/**
 * A hook request prepared for load: its JSON cut around the hookInstance, so
 * each request gets a fresh one (as EHRs send) without serialising the body
 * again: prefix + uuid + suffix.
 */
export function hookRequestTemplate(path: string, request: Record<string, unknown>, headers?: RequestTemplate['headers']): RequestTemplate {
  const marker = randomUUID();
  const json = JSON.stringify({ ...request, hookInstance: marker });
  const at = json.indexOf(marker);
  if (at < 0 || json.indexOf(marker, at + 1) >= 0) throw new Error('the hookInstance marker must occur once');
  const prefix = json.slice(0, at);
  const suffix = json.slice(at + marker.length);
  return { path, contentType: 'application/json', bytes: Buffer.byteLength(json), body: () => prefix + randomUUID() + suffix, headers };
}

/** A FHIR operation call with the same body every time (e.g. DTR $questionnaire-package with one context). */
export function fhirRequestTemplate(path: string, resource: object): RequestTemplate {
  const json = JSON.stringify(resource);
  return { path, contentType: 'application/fhir+json', bytes: Buffer.byteLength(json), body: () => json };
}

export interface LoadSettings {
  readonly connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  readonly durationSeconds?: number;
  /** Requests to make in all. */
  readonly amount?: number;
}

export interface LoadResult {
  /** Requests answered per second. */
  readonly rps: number;
  /** Latency in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly requests: number;
  /** CPU time the server used per answered request, in milliseconds (undefined when it cannot be read). */
  readonly cpuMsPerRequest?: number | undefined;
}

/**
 * Loads one server with one kind of request (autocannon, from this
 * process). Any answer other than 200, and any connection error, fails the
 * run: the figures are only for correct answers.
 */
export async function loadServer(baseUrl: string, template: RequestTemplate, settings: LoadSettings, cpuSeconds: () => number | undefined = () => undefined): Promise<LoadResult> {
  const cpuBefore = cpuSeconds();
  const result = await autocannon({
    url: baseUrl,
    connections: settings.connections,
    ...(settings.amount !== undefined ? { amount: settings.amount } : { duration: settings.durationSeconds ?? 10 }),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: template.path,
        setupRequest: (request) => ({
          ...request,
          headers: { 'content-type': template.contentType, ...template.headers?.(template.path) },
          body: template.body(),
        }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${baseUrl}${template.path}: ${result.non2xx} answers other than 2xx and ${result.errors} errors (${result.timeouts} timeouts) in ${result.requests.total} requests`);
  }
  const cpuAfter = cpuSeconds();
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mean: result.latency.mean,
    requests: result.requests.total,
    cpuMsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1000) / result.requests.total : undefined,
  };
}
