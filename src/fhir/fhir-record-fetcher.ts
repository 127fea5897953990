import type { Bundle, FhirResource, Medication, Organization } from 'fhir/r4.js';
import type { TrustedClients } from '../auth/trusted-clients.js';
import type { FhirQueryConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { AddressRules } from '../net/address-rules.js';
import type { OutboundClient } from '../net/outbound-client.js';
import { Deadline } from './deadline.js';
import { FhirClient, FhirQueryFailure, fhirServerProblem, type FhirFailureKind } from './fhir-client.js';
import { fhirServerPermission } from './fhir-server-access.js';
import type { FetchedMedications, FetchedParts, RecordFetcher, RecordRequest } from './gather-record.js';
import type { RecordPart, UnavailablePart } from './patient-record.js';
import type { PrefetchValue } from './prefetch.js';
import { fillTemplate, type RecordSource } from './record-sources.js';
import { parseReference } from './references.js';

/**
 * Medication reads: at most this many per fetch, this many at a time. An
 * oncology history can reference dozens of distinct Medications; the bound
 * and the deadline keep a long one from swamping the EHR's server.
 */
const MAX_MEDICATION_READS = 100;
const MEDICATION_READS_AT_ONCE = 10;

/** What one record source gave: its resources (possibly partial) and, if it failed, why. */
interface SourceResult {
  readonly part: RecordPart;
  readonly resources: readonly FhirResource[];
  readonly medications: readonly Medication[];
  readonly organizations?: readonly Organization[];
  readonly failure?: FhirQueryFailure | undefined;
}

type Interaction = 'read' | 'search' | 'page' | 'medication-read';

/**
 * Told of every FHIR query (the service's metrics listen here; src/fhir knows
 * nothing of how they are counted). Resource types come from the record
 * sources, never from the server or the patient's data.
 */
export interface FhirQueryObserver {
  /** One GET ended: an answer (404/410 included) or a failure, after `seconds`. */
  queried(resourceType: string, outcome: 'answered' | 'failed', seconds: number): void;
  /** One failed query or search cut short, as logged (`fhir-query-failed`). */
  failed(resourceType: string, kind: FhirFailureKind): void;
}

export interface FhirRecordFetcherOptions {
  readonly settings: FhirQueryConfig;
  readonly logger: Logger;
  /** The one way out of the service (src/net/outbound-client.ts). */
  readonly outbound: OutboundClient;
  /** The clients file: which FHIR servers each client may name. Undefined in open development mode. */
  readonly trustedClients?: TrustedClients | undefined;
  readonly observer?: FhirQueryObserver | undefined;
}

/**
 * The real RecordFetcher: queries the EHR's FHIR server (fhirServer, with the
 * fhirAuthorization token when the client sent one) for what prefetch lacked,
 * with the same templates discovery.json advertises. Queries run in parallel
 * under the call's one deadline; searches follow `next` links within bounds.
 * A failing server never fails the hook: each failure becomes an
 * UnavailablePart the policy reports as `data-unavailable`.
 * A fhirServer the calling client may not name (issue 14) is never queried:
 * the call is answered from prefetch alone, every part it would have queried
 * unavailable, and the log says which client named which origin.
 */
export function createFhirRecordFetcher(options: FhirRecordFetcherOptions): RecordFetcher {
  const { settings, logger, trustedClients } = options;

  /** The address rules for this call's fhirServer, or the reason it may not be queried (logged). */
  const permitted = (request: RecordRequest, purpose: 'record' | 'medications'): AddressRules | string => {
    const permission = fhirServerPermission(trustedClients, request.client, request.fhirServer!);
    if (permission.allowed) return permission.addressRules;
    const client = request.client === undefined ? undefined : trustedClients?.get(request.client);
    // Which client named which origin: never the path (it may hold ids), the token or the record.
    logger.warn(
      { event: 'fhir-server-refused', hookInstance: request.hookInstance, iss: request.client, client: client?.name, fhirServer: new URL(request.fhirServer!).origin, purpose },
      'fhirServer not registered for this client: not queried, answered from prefetch alone',
    );
    return permission.reason;
  };

  return {
    refusal(request) {
      if (!request.fhirServer) return 'the request has no fhirServer to query for it';
      return fhirServerProblem(request.fhirServer, settings.allowHttp);
    },

    async fetchMissing(request, missing, pages): Promise<FetchedParts> {
      const rules = permitted(request, 'record');
      if (typeof rules === 'string') {
        const unavailable = [...missing, ...pages.map((p) => p.source)].map((source) => ({ part: source.part, reason: rules }));
        return { resources: new Map(), medications: [], unavailable };
      }
      const session = new QuerySession(request, rules, options);
      const results = await Promise.all([
        ...missing.map((source) => session.readSource(source)),
        ...pages.map(({ source, next }) => session.continuePages(source, next, request.prefetch.values.get(source.key))),
      ]);
      const resources = new Map<RecordPart, FhirResource[]>();
      const unavailable: UnavailablePart[] = [];
      for (const r of results) {
        resources.set(r.part, [...(resources.get(r.part) ?? []), ...r.resources]);
        if (r.failure) unavailable.push({ part: r.part, reason: r.failure.reason });
      }
      session.logSummary('record', unavailable);
      return { resources, medications: results.flatMap((r) => r.medications), organizations: results.flatMap((r) => r.organizations ?? []), unavailable };
    },

    async fetchMedications(request, references): Promise<FetchedMedications> {
      const rules = permitted(request, 'medications');
      if (typeof rules === 'string') return { medications: [], unavailable: [{ part: 'medications', reason: rules }] };
      const session = new QuerySession(request, rules, options);
      const ids = [...new Set(references.map((r) => session.medicationId(r)).filter((id): id is string => id !== undefined))];
      const results = await mapAtMost(MEDICATION_READS_AT_ONCE, ids.slice(0, MAX_MEDICATION_READS), (id) => session.readMedication(id));
      const medications = results.flatMap((r) => r.resources as Medication[]);
      const failure = results.find((r) => r.failure)?.failure;
      const unavailable: UnavailablePart[] = [];
      if (failure) unavailable.push({ part: 'medications', reason: failure.reason });
      else if (ids.length > MAX_MEDICATION_READS) unavailable.push({ part: 'medications', reason: `the record references more than ${MAX_MEDICATION_READS} Medications` });
      session.logSummary('medications', unavailable);
      return { medications, unavailable };
    },
  };
}

/** The FHIR queries of one fetch: one client, the call's deadline, counters for the summary log line. */
class QuerySession {
  readonly #client: FhirClient;
  readonly #settings: FhirQueryConfig;
  readonly #log: Logger;
  readonly #context: Readonly<Record<string, unknown>>;
  readonly #observer: FhirQueryObserver | undefined;
  readonly #started = performance.now();
  #requests = 0;
  #failed = 0;

  constructor(request: RecordRequest, addressRules: AddressRules, { settings, logger, outbound, observer }: FhirRecordFetcherOptions) {
    this.#settings = settings;
    this.#observer = observer;
    this.#context = request.context;
    // Logs carry the hook instance and the server's origin; never the token, the query string or the patient id.
    this.#log = logger.child({ hookInstance: request.hookInstance, fhirServer: new URL(request.fhirServer!).origin });
    this.#client = new FhirClient(request.fhirServer!, {
      outbound,
      addressRules,
      accessToken: request.accessToken,
      queryTimeoutMs: settings.queryTimeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      deadline: Deadline.after(request.startedAt, settings.deadlineMs),
    });
  }

  /** Runs a source's template: a read, or a search with its further pages. */
  async readSource(source: RecordSource): Promise<SourceResult> {
    const url = this.#client.resolve(fillTemplate(source.template, this.#context));
    if (source.kind === 'read') {
      try {
        const { resource } = await this.#get(url, source.resourceType, 'read', source.resourceType, true);
        return { part: source.part, resources: resource ? [resource] : [], medications: [] };
      } catch (error) {
        return { part: source.part, resources: [], medications: [], failure: asFailure(error) };
      }
    }
    return this.#search(source, url, { pages: 0, entries: 0 });
  }

  /** Follows the `next` link of a paginated prefetch Bundle (CDS Hooks 2.0: prefetch may be paginated). */
  async continuePages(source: RecordSource, next: string, prefetched: PrefetchValue | undefined): Promise<SourceResult> {
    let url: URL;
    try {
      url = new URL(next, this.#client.base);
    } catch {
      return { part: source.part, resources: [], medications: [], failure: new FhirQueryFailure('other-origin', 'the prefetch\'s next-page link is not a valid URL') };
    }
    return this.#search(source, url, { pages: 1, entries: prefetched?.state === 'data' ? prefetched.resources.length : 0 });
  }

  async readMedication(id: string): Promise<SourceResult> {
    try {
      const { resource } = await this.#get(this.#client.resolve(`Medication/${encodeURIComponent(id)}`), 'Medication', 'medication-read', 'Medication', true);
      return { part: 'medications', resources: resource ? [resource] : [], medications: [] };
    } catch (error) {
      return { part: 'medications', resources: [], medications: [], failure: asFailure(error) };
    }
  }

  /** The id to read for a Medication reference; undefined for references to another server (the token goes nowhere else). */
  medicationId(reference: string): string | undefined {
    const parsed = parseReference(reference);
    if (!parsed || parsed.resourceType !== 'Medication') return undefined;
    if (/^[a-z][a-z0-9+.-]*:/i.test(reference) && !reference.startsWith(this.#client.base.href)) return undefined;
    return parsed.id;
  }

  /**
   * Reads a searchset and its `next` pages, up to the page and entry bounds
   * (an endless `next` chain ends there). What was read before a failure or a
   * bound is kept: the decision uses it, and the part is reported unavailable.
   */
  async #search(source: RecordSource, first: URL, count: { pages: number; entries: number }): Promise<SourceResult> {
    const { maxPages, maxEntries } = this.#settings;
    const resources: FhirResource[] = [];
    const medications: Medication[] = [];
    const organizations: Organization[] = [];
    const seen = new Set<string>();
    let entries = count.entries;
    let pages = count.pages;
    let url: URL | undefined = first;
    const result = (failure?: FhirQueryFailure): SourceResult => ({ part: source.part, resources, medications, organizations, failure });
    try {
      while (url) {
        if (pages >= maxPages || seen.has(url.href)) {
          const failure = new FhirQueryFailure('too-many-pages', `the EHR's FHIR server had more than ${maxPages} pages of results; only the first were read`);
          return result(this.#logged(failure, source.resourceType, 'page'));
        }
        seen.add(url.href);
        const { resource } = await this.#get(url, 'Bundle', pages === 0 ? 'search' : 'page', source.resourceType);
        pages += 1;
        const bundle = resource as Bundle<FhirResource>;
        // Not yet shape-checked (read-resource.ts reads the resources later): only well-formed entries are taken.
        for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
          const r = entry?.resource;
          if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') continue;
          if (r.resourceType === source.resourceType) {
            if (entries >= maxEntries) {
              const failure = new FhirQueryFailure('too-many-entries', `the EHR's FHIR server returned more than ${maxEntries} results; only the first were read`);
              return result(this.#logged(failure, source.resourceType, pages === 1 ? 'search' : 'page'));
            }
            entries += 1;
            resources.push(r);
          } else if (r.resourceType === 'Medication') {
            medications.push(r as Medication);
          } else if (r.resourceType === 'Organization') {
            organizations.push(r as Organization);
          } else if (r.resourceType !== 'OperationOutcome' && entry.search?.mode !== 'include' && entry.search?.mode !== 'outcome') {
            const failure = new FhirQueryFailure('wrong-type', `the EHR's FHIR server answered a ${source.resourceType} search with ${r.resourceType} resources`);
            throw this.#logged(failure, source.resourceType, pages === 1 ? 'search' : 'page');
          }
        }
        const next = (Array.isArray(bundle.link) ? bundle.link : []).find((l) => l?.relation === 'next')?.url;
        if (next !== undefined && typeof next !== 'string') break;
        url = next ? new URL(next, url) : undefined;
      }
      return result();
    } catch (error) {
      return result(asFailure(error));
    }
  }

  /** One GET, counted and, on failure, logged by resource type and status (never the URL: it holds the patient id). */
  async #get(url: URL, expected: string, interaction: Interaction, resourceType: string, allowNotFound = false) {
    const started = performance.now();
    this.#requests += 1;
    try {
      const answer = await this.#client.get(url, expected, allowNotFound);
      this.#observer?.queried(resourceType, 'answered', (performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      this.#observer?.queried(resourceType, 'failed', (performance.now() - started) / 1000);
      throw this.#logged(asFailure(error), resourceType, interaction, started);
    }
  }

  /** One log line per failed query (or search cut short): what, how, never the URL, the token or the server's words. */
  #logged(failure: FhirQueryFailure, resourceType: string, interaction: Interaction, started?: number): FhirQueryFailure {
    this.#failed += 1;
    this.#observer?.failed(resourceType, failure.kind);
    this.#log.warn(
      {
        event: 'fhir-query-failed',
        resourceType,
        interaction,
        failure: failure.kind,
        status: failure.status,
        code: failure.code,
        durationMs: started === undefined ? undefined : elapsed(started),
      },
      'FHIR query failed',
    );
    return failure;
  }

  logSummary(purpose: 'record' | 'medications', unavailable: readonly UnavailablePart[]): void {
    this.#log.info(
      {
        event: 'fhir-queries',
        purpose,
        requests: this.#requests,
        failed: this.#failed,
        unavailable: unavailable.map((u) => u.part),
        durationMs: elapsed(this.#started),
      },
      'FHIR queries done',
    );
  }
}

/** Maps with at most `limit` calls in flight; results keep the input order. */
async function mapAtMost<T, R>(limit: number, items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function asFailure(error: unknown): FhirQueryFailure {
  if (error instanceof FhirQueryFailure) return error;
  return new FhirQueryFailure('unreachable', "the EHR's FHIR server could not be queried", undefined, error instanceof Error ? error.name : undefined);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
