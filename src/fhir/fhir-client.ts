import type { FhirResource } from 'fhir/r4.js';
import type { AddressRules } from '../net/address-rules.js';
import { OutboundRefused, ResponseTooLarge, type OutboundClient } from '../net/outbound-client.js';
import type { Deadline } from './deadline.js';

/** Why a FHIR query failed, as a code for logs and tests. */
export type FhirFailureKind =
  | 'deadline'
  | 'timeout'
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'http-status'
  | 'not-json'
  | 'wrong-type'
  | 'malformed'
  | 'too-large'
  | 'redirect'
  | 'other-origin'
  | 'refused-address'
  | 'too-many-pages'
  | 'too-many-entries';

/**
 * A FHIR query that failed. `reason` is a plain sentence fragment for the
 * clinician's card ("the EHR's FHIR server answered HTTP 503"): it never holds
 * the URL, the token, or anything the server wrote, so it carries no PHI.
 */
export class FhirQueryFailure extends Error {
  constructor(
    readonly kind: FhirFailureKind,
    readonly reason: string,
    readonly status?: number | undefined,
    /** A code for the log only (e.g. ECONNREFUSED). */
    readonly code?: string | undefined,
  ) {
    super(reason);
    this.name = 'FhirQueryFailure';
  }
}

export interface FhirClientOptions {
  /** Sends the requests (src/net/outbound-client.ts): the one way out of the service. */
  readonly outbound: OutboundClient;
  /** Which addresses this fhirServer may resolve to, for the client that named it (src/fhir/fhir-server-access.ts). */
  readonly addressRules: AddressRules;
  readonly accessToken?: string | undefined;
  readonly queryTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly deadline: Deadline;
}

/** What one GET gave: the resource, or nothing when a read found no such resource (404/410). */
export interface FhirGetResult {
  readonly resource?: FhirResource | undefined;
  readonly status: number;
}

const SERVER = "the EHR's FHIR server";
const MAX_REDIRECTS = 3;

/**
 * Why a fhirServer URL cannot be queried, or undefined when it can.
 * CDS Hooks: fhirServer must be https when production data is exchanged;
 * plain http only when the service is configured to allow it (local testing).
 * Which servers a client may name, and at which addresses, is decided per
 * client (src/fhir/fhir-server-access.ts) and at connection time (src/net).
 */
export function fhirServerProblem(fhirServer: string, allowHttp: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(fhirServer);
  } catch {
    return 'the request\'s fhirServer is not a valid URL';
  }
  if (url.protocol === 'http:' && !allowHttp) return 'the request\'s fhirServer uses plain http; this service queries FHIR servers over https only';
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the request\'s fhirServer is not an https URL';
  if (url.username !== '' || url.password !== '') return 'the request\'s fhirServer carries credentials in its URL';
  if (url.search !== '' || url.hash !== '') return 'the request\'s fhirServer has a query or fragment; it must be the server\'s base URL';
  return undefined;
}

/**
 * A read-only FHIR client for one hook call's fhirServer. The FHIR rules of
 * the outbound side are enforced here; requests go out through the
 * OutboundClient, which checks each address connected to:
 * - GET only; `Authorization: Bearer <fhirAuthorization.access_token>` only
 *   to the fhirServer's origin (no token when the client sent none);
 * - redirects are followed only within that origin (CRD sec-9: the token
 *   stays with the EHR);
 * - a timeout per request and the call's one deadline;
 * - a bound on the response size, counted while reading;
 * - the answer must be FHIR JSON of the expected resource type.
 */
export class FhirClient {
  readonly base: URL;
  readonly #options: FhirClientOptions;

  constructor(fhirServer: string, options: FhirClientOptions) {
    this.base = new URL(fhirServer.endsWith('/') ? fhirServer : `${fhirServer}/`);
    this.#options = options;
  }

  /** The absolute URL of a path relative to the base (`Condition?patient=1`). */
  resolve(relative: string): URL {
    return new URL(relative.replace(/^\/+/, ''), this.base);
  }

  /** True when a URL is on the fhirServer's origin: the only place the token may go. */
  isOnServer(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  /**
   * GETs a URL on the fhirServer's origin and checks the answer is a
   * `expected` resource. A read (`allowNotFound`) that finds nothing
   * (404/410) gives no resource, as a client's null prefetch would.
   */
  async get(url: URL, expected: string, allowNotFound = false): Promise<FhirGetResult> {
    const { deadline } = this.#options;
    let current = url;
    for (let hop = 0; ; hop++) {
      if (!this.isOnServer(current)) throw new FhirQueryFailure('other-origin', `a link led away from ${SERVER}, and the service sends no request elsewhere`);
      if (deadline.expired) throw this.#timeoutFailure(true);
      const queryTimeout = AbortSignal.timeout(this.#options.queryTimeoutMs);
      const signal = AbortSignal.any([deadline.signal, queryTimeout]);
      try {
        const { outbound, addressRules, maxResponseBytes } = this.#options;
        const response = await outbound.get(current, { addressRules, headers: this.#headers(current), signal, maxResponseBytes });
        if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
          await response.body?.cancel();
          const target = new URL(response.headers.get('location')!, current);
          if (!this.isOnServer(target)) {
            throw new FhirQueryFailure('redirect', `${SERVER} redirected to another site; the service follows no redirect away from it`, response.status);
          }
          if (hop >= MAX_REDIRECTS) throw new FhirQueryFailure('redirect', `${SERVER} redirected more than ${MAX_REDIRECTS} times`, response.status);
          current = target;
          continue;
        }
        return await this.#readAnswer(response, expected, allowNotFound);
      } catch (error) {
        if (error instanceof FhirQueryFailure) throw error;
        if (error instanceof OutboundRefused) {
          throw new FhirQueryFailure('refused-address', `${SERVER} is at an address the service does not connect to for this EHR`, undefined, error.kind);
        }
        if (signal.aborted) throw this.#timeoutFailure(deadline.signal.aborted);
        throw networkFailure(error);
      }
    }
  }

  #headers(url: URL): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/fhir+json, application/json;q=0.9' };
    // CDS Hooks: the access token is for the fhirServer; never send it to another origin.
    if (this.#options.accessToken && this.isOnServer(url)) headers['authorization'] = `Bearer ${this.#options.accessToken}`;
    return headers;
  }

  async #readAnswer(response: Response, expected: string, allowNotFound: boolean): Promise<FhirGetResult> {
    const { status } = response;
    if (!response.ok) {
      await response.body?.cancel();
      if (allowNotFound && (status === 404 || status === 410)) return { status };
      if (status === 401 || status === 403) {
        const token = this.#options.accessToken ? 'with the access token the EHR sent' : 'and the EHR sent no access token';
        throw new FhirQueryFailure('unauthorized', `${SERVER} refused access: HTTP ${status}, ${token}`, status);
      }
      throw new FhirQueryFailure('http-status', `${SERVER} answered HTTP ${status}`, status);
    }
    const contentType = response.headers.get('content-type');
    if (contentType !== null && !/json/i.test(contentType)) {
      await response.body?.cancel();
      throw new FhirQueryFailure('not-json', `${SERVER} answered with something other than FHIR JSON`, status);
    }
    const text = await this.#readText(response);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new FhirQueryFailure('not-json', `${SERVER} answered with something other than FHIR JSON`, status);
    }
    const resourceType = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { resourceType?: unknown }).resourceType : undefined;
    if (typeof resourceType !== 'string') throw new FhirQueryFailure('not-json', `${SERVER} answered with JSON that is not a FHIR resource`, status);
    if (resourceType !== expected) {
      throw new FhirQueryFailure('wrong-type', `${SERVER} answered with a${/^[AEIOU]/.test(resourceType) ? 'n' : ''} ${resourceType} where a ${expected} was expected`, status);
    }
    // Element shapes are read leniently later, with prefetch (src/fhir/read-resource.ts): here only what makes an answer a resource.
    return { resource: body as FhirResource, status };
  }

  /** The body as text; the OutboundClient bounds it, counting as it arrives (a lying or absent Content-Length cannot get past). */
  async #readText(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      if (error instanceof ResponseTooLarge) {
        throw new FhirQueryFailure('too-large', `${SERVER}'s answer was larger than the ${bytes(this.#options.maxResponseBytes)} the service accepts`, response.status);
      }
      throw error;
    }
  }

  #timeoutFailure(deadlinePassed: boolean): FhirQueryFailure {
    return deadlinePassed
      ? new FhirQueryFailure('deadline', `${SERVER} did not answer in time: the service waits at most ${seconds(this.#options.deadline.budgetMs)} for the record`)
      : new FhirQueryFailure('timeout', `${SERVER} did not answer within ${seconds(this.#options.queryTimeoutMs)}`);
  }
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

function networkFailure(error: unknown): FhirQueryFailure {
  const code = [error, (error as { cause?: unknown } | undefined)?.cause]
    .map((e) => (e as { code?: unknown } | undefined)?.code)
    .find((c): c is string => typeof c === 'string');
  if (code && TLS_CODES.test(code)) return new FhirQueryFailure('tls', `${SERVER}'s TLS certificate is not trusted by the service`, undefined, code);
  return new FhirQueryFailure('unreachable', `${SERVER} could not be reached`, undefined, code ?? (error instanceof Error ? error.name : undefined));
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} second${s === 1 ? '' : 's'}`;
}

function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round((n / (1024 * 1024)) * 10) / 10} MB` : `${Math.round(n / 1024)} kB`;
}
