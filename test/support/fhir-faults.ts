import type { FhirResource } from 'fhir/r4.js';
import { send, type Fault } from './fhir-test-server.js';

/**
 * Ways a FHIR server fails, for FhirTestServer.inject(). Each is a plain
 * node:http answer, as a broken or hostile server would give it.
 */

/** Requests for one resource type (read or search), e.g. `forType('Procedure')`. */
export const forType =
  (resourceType: string) =>
  (path: string): boolean =>
    path === resourceType || path.startsWith(`${resourceType}?`) || path.startsWith(`${resourceType}/`);

export const everything = (): boolean => true;

/** Accepts the request and never answers. */
export const neverAnswers: Fault = () => {};

export const status =
  (code: number): Fault =>
  (_req, res) =>
    send(res, code, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'Patient Alexandra Testpatient: backend down' }] });

/** An HTML error page with status 200, as a misconfigured proxy sends. */
export const htmlPage: Fault = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<html><body>Service temporarily unavailable</body></html>');
};

/** A body that claims to be FHIR JSON and is not. */
export const brokenJson: Fault = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/fhir+json' });
  res.end('{"resourceType": "Bundle", "entry": [');
};

/** A valid resource of the wrong type. */
export const answersWith =
  (resource: FhirResource): Fault =>
  (_req, res) =>
    send(res, 200, resource);

/**
 * A search whose every page links to a further page, forever; each page
 * carries one resource made by `entry(n)`.
 */
export const endlessNext =
  (entry: (page: number) => FhirResource): Fault =>
  (req, res, base) => {
    const url = new URL(req.url ?? '/', base);
    const page = Number(url.searchParams.get('page') ?? 1);
    const type = url.pathname.split('/').at(-1);
    send(res, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: entry(page), search: { mode: 'match' } }],
      link: [{ relation: 'next', url: `${base}/${type}?page=${page + 1}` }],
    });
  };

/** A valid but oversized searchset, sent in chunks with no Content-Length (so only counting while reading can stop it). */
export const oversized =
  (bytes: number): Fault =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.write('{"resourceType":"Bundle","type":"searchset","entry":[');
    const chunk = JSON.stringify({ resource: { resourceType: 'Condition', id: 'x', code: { text: 'x'.repeat(8000) } } });
    let sent = 0;
    const writeMore = (): void => {
      while (sent < bytes) {
        sent += chunk.length + 1;
        if (!res.write(`${chunk},`)) {
          res.once('drain', writeMore);
          return;
        }
      }
      res.end(`${chunk}]}`);
    };
    res.on('error', () => {});
    writeMore();
  };

/** A valid but oversized answer announced by its Content-Length. */
export const oversizedDeclared =
  (bytes: number): Fault =>
  (_req, res) => {
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [], padding: 'x'.repeat(bytes) });
    res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

/** A redirect to another URL (e.g. another origin). */
export const redirectTo =
  (target: (path: string) => string): Fault =>
  (req, res, base) => {
    const path = new URL(req.url ?? '/', base).pathname.replace(/^\/fhir\/?/, '') + new URL(req.url ?? '/', base).search;
    res.writeHead(302, { location: target(path) });
    res.end();
  };
