import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import request from 'supertest';
import { parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { OutboundClient } from '../../src/net/outbound-client.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { PATIENT_ID } from '../support/fhir-factories.js';
import { forType, redirectTo } from '../support/fhir-faults.js';
import { startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook, type TestApp } from '../support/test-app.js';
import { mappedResolver, startTripwire, type Tripwire } from '../support/test-hosts.js';

/**
 * Issue 14: each EHR client may only send the service to its own FHIR
 * servers. Real sockets on 127.0.0.0/8, real FHIR servers (Medplum):
 * - EHR A's FHIR server on 127.0.0.1, listed by address;
 * - EHR B's on 127.0.0.2, listed by name (`fhir.ehr-b.test`) with that private address;
 * - EHR C lists `fhir.ehr-c.test`, which resolves to the cloud metadata address;
 * - EHR D has no list;
 * - `internal.test` (127.0.0.3) is an internal service of the payer's, in no list: a tripwire.
 */

const TOKEN = 'ehr-access-token-5c2e';
const ORDER = 'MedicationRequest/tecartus-order-1';
const CRD_22 = { 'davinci-crd.requestedVersion': '2.2' };
const HOOK_PATH = `/cds-services/${ORDER_SIGN}`;

let fhirA: FhirTestServer;
let fhirB: FhirTestServer;
let tripwire: Tripwire;
let ehrA: TestSigner;
let ehrB: TestSigner;
let ehrC: TestSigner;
let ehrD: TestSigner;
let clientsFile: { path: string; remove: () => void };
let service: TestApp;
let outbound: OutboundClient;
const resolve = mappedResolver({ 'fhir.ehr-b.test': '127.0.0.2', 'fhir.ehr-c.test': '169.254.169.254', 'internal.test': '127.0.0.3' });

/** EHR B's FHIR server as B names it: by host name. */
const fhirBByName = () => fhirB.url.replace('127.0.0.2', 'fhir.ehr-b.test');
const port = (url: string) => new URL(url).port;

before(async () => {
  fhirA = await startFhirTestServer();
  fhirB = await startFhirTestServer({ host: '127.0.0.2' });
  tripwire = await startTripwire('127.0.0.3');
  [ehrA, ehrB, ehrC, ehrD] = await Promise.all([
    makeSigner('ES384', 'https://ehr-a.example.org'),
    makeSigner('ES384', 'https://ehr-b.example.org'),
    makeSigner('ES384', 'https://ehr-c.example.org'),
    makeSigner('ES384', 'https://ehr-d.example.org'),
  ]);
  clientsFile = writeClientsFile([
    { iss: ehrA.iss, name: 'Hospital A', jwks: jwksOf(ehrA), fhirServers: [fhirA.url] },
    { iss: ehrB.iss, name: 'Hospital B', jwks: jwksOf(ehrB), fhirServers: [{ url: `http://fhir.ehr-b.test:${port(fhirB.url)}/fhir`, privateAddresses: ['127.0.0.2'] }] },
    { iss: ehrC.iss, name: 'Hospital C', jwks: jwksOf(ehrC), fhirServers: ['http://fhir.ehr-c.test/fhir'] },
    { iss: ehrD.iss, name: 'Hospital D', jwks: jwksOf(ehrD) },
  ]);
  outbound = new OutboundClient({ resolve });
  service = createTestApp({ CDS_CLIENTS_FILE: clientsFile.path, PUBLIC_BASE_URL, FHIR_ALLOW_HTTP: 'true', FHIR_QUERY_TIMEOUT_MS: '1000' }, { outbound });
});
after(async () => {
  outbound.close();
  await Promise.all([fhirA.close(), fhirB.close(), tripwire.close()]);
  clientsFile.remove();
});
beforeEach(async () => {
  fhirA.reset();
  fhirB.reset();
  await fhirA.load(eligibleMantleCellRecord());
  await fhirB.load(eligibleMantleCellRecord());
  tripwire.connections = 0;
  tripwire.requests.length = 0;
  resolve.lookups.length = 0;
  service.logs.length = 0;
});

/** An order-sign from `ehr` naming `fhirServer`: Patient and Coverage prefetched, the history left to be queried (CRD found-28). */
async function signAs(ehr: TestSigner, fhirServer: string, prefetch: Record<string, unknown> = historyLeftOut()) {
  const token = await signCdsJwt(ehr, audienceFor(HOOK_PATH));
  const res = await postHook(service.app, ORDER_SIGN, buildHookRequest({ prefetch, fhirServer, accessToken: TOKEN, extension: CRD_22 }), bearer(token));
  assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 400));
  return res;
}

function historyLeftOut(): Record<string, unknown> {
  const { patient, coverage } = asPrefetch(eligibleMantleCellRecord());
  return { patient, coverage };
}

function plain(markdown: string): string {
  return markdown.replace(/\\(.)/g, '$1');
}

function unreadableDetail(body: Record<string, unknown>): string {
  return plain(cardsOf(body).find((c) => c.summary === "Part of the patient's record could not be read: Tecartus criteria not fully checked")?.detail ?? '');
}

const logLines = () => service.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

describe("Each EHR client may send the service only to its own FHIR servers", () => {
  it('a listed server is queried, with the token, and the decision uses what it answered', async () => {
    const res = await signAs(ehrA, fhirA.url);
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.ok(fhirA.paths().includes(`Procedure?patient=${PATIENT_ID}`));
    assert.ok(fhirA.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });

  it('a server listed by host name is reached at the private address its entry names', async () => {
    const res = await signAs(ehrB, fhirBByName());
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'covered');
    assert.ok(fhirB.paths().includes(`Condition?patient=${PATIENT_ID}`));
    assert.deepEqual(fhirA.requests, []);
  });

  it("a client naming another client's server is answered from prefetch alone: that server receives nothing, the parts become data-unavailable", async () => {
    const res = await signAs(ehrA, fhirBByName());
    assert.deepEqual(fhirB.requests, [], "B's server is never queried for A");
    assert.deepEqual(resolve.lookups, [], 'not even looked up');
    const info = coverageInformationFor(res.body, ORDER)!;
    assert.equal(info.covered, 'indeterminate');
    assert.ok(info.reasons.includes('data-unavailable'));
    assert.match(unreadableDetail(res.body), /The procedure history could not be read \(the request's fhirServer is not one registered for this EHR, so the service sent it no query\)/);

    const refused = logLines().filter((l) => l['event'] === 'fhir-server-refused');
    assert.ok(refused.length > 0, 'the log says which client named which origin');
    assert.equal(refused[0]!['iss'], ehrA.iss);
    assert.equal(refused[0]!['client'], 'Hospital A');
    assert.equal(refused[0]!['fhirServer'], new URL(fhirBByName()).origin);
    const text = service.logs.join('\n');
    assert.doesNotMatch(text, new RegExp(TOKEN), 'no token in the log');
    assert.doesNotMatch(text, new RegExp(`${PATIENT_ID}|${port(fhirB.url)}/fhir`), 'no patient id, no path');
  });

  it('an unlisted host (an internal service) is never contacted, and with nothing prefetched the answer is still a 200, not a 412', async () => {
    const res = await signAs(ehrA, `http://internal.test:${tripwire.port}/fhir`, {});
    assert.equal(tripwire.connections, 0);
    assert.deepEqual(resolve.lookups, []);
    assert.deepEqual(res.body.systemActions, [], 'no Coverage read, so no coverage information');
    assert.match(unreadableDetail(res.body), /The Patient record could not be read \(the request's fhirServer is not one registered for this EHR/);
  });

  it('the same origin under another path, or a longer host name, is not the listed server', async () => {
    const { origin, hostname } = new URL(fhirA.url);
    for (const fhirServer of [`${fhirA.url}2`, `${origin}/other/fhir`, `${origin}/fhir/../admin`, fhirA.url.replace(hostname, `${hostname}.internal.test`)]) {
      await signAs(ehrA, fhirServer);
      assert.deepEqual(fhirA.requests, [], fhirServer);
    }
    await signAs(ehrA, `${fhirA.url}/`);
    assert.ok(fhirA.requests.length > 0, 'a trailing slash is the same base');
  });

  it('a listed host name that resolves to a link-local (cloud metadata) address is refused at connection time', async () => {
    const res = await signAs(ehrC, 'http://fhir.ehr-c.test/fhir');
    assert.ok(resolve.lookups.includes('fhir.ehr-c.test'), 'the name was allowed, so it was resolved');
    assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate');
    assert.match(unreadableDetail(res.body), /The procedure history could not be read \(the EHR's FHIR server is at an address the service does not connect to for this EHR\)/);
    assert.match(service.logs.join('\n'), /"failure":"refused-address","code":"link-local"/);
  });

  it('a redirect to an unlisted host is not followed: the internal service sees no connection and the token stays home', async () => {
    fhirA.inject(forType('Procedure'), redirectTo((path) => `http://internal.test:${tripwire.port}/fhir/${path}`));
    const res = await signAs(ehrA, fhirA.url);
    assert.equal(tripwire.connections, 0);
    assert.match(unreadableDetail(res.body), /The procedure history could not be read \(the EHR's FHIR server redirected to another site/);
  });

  it('a client without a fhirServers list may name servers at public addresses only: a loopback one is refused at connection time', async () => {
    const res = await signAs(ehrD, fhirA.url);
    assert.deepEqual(fhirA.requests, []);
    assert.match(unreadableDetail(res.body), /is at an address the service does not connect to/);
    assert.match(service.logs.join('\n'), /"failure":"refused-address","code":"loopback"/);
  });
});

describe('Key sets are fetched through the same client', () => {
  it('a jwksUrl whose host resolves to the metadata address is never fetched: the call is refused as untrusted', async () => {
    const ehrE = await makeSigner('ES384', 'https://ehr-e.example.org');
    const file = writeClientsFile([{ iss: ehrE.iss, jwksUrl: 'https://keys.ehr-e.test/jwks.json', fhirServers: [] }]);
    const keysResolver = mappedResolver({ 'keys.ehr-e.test': '169.254.169.254' });
    const keysOutbound = new OutboundClient({ resolve: keysResolver });
    try {
      const { app, logs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL }, { outbound: keysOutbound });
      const token = await signCdsJwt(ehrE, audienceFor(HOOK_PATH));
      const res = await request(app).post(HOOK_PATH).set(bearer(token)).send(buildHookRequest());
      assert.equal(res.status, 401);
      assert.deepEqual(keysResolver.lookups, ['keys.ehr-e.test']);
      assert.match(logs.join('\n'), /"check":"jwks-fetch".*link-local/);
    } finally {
      keysOutbound.close();
      file.remove();
    }
  });
});

describe('Open development mode keeps any fhirServer, loopback included, but never link-local', () => {
  it('a loopback server is queried; the metadata address, by name or by number, is not', async () => {
    const devResolve = mappedResolver({ 'metadata.test': '169.254.169.254' });
    const devOutbound = new OutboundClient({ resolve: devResolve });
    try {
      const { app, logs } = createTestApp({ FHIR_ALLOW_HTTP: 'true' }, { outbound: devOutbound });
      const ok = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: historyLeftOut(), fhirServer: fhirA.url, extension: CRD_22 }));
      assert.equal(coverageInformationFor(ok.body, ORDER)!.covered, 'covered');
      for (const fhirServer of ['http://metadata.test/computeMetadata/v1', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:169.254.169.254]/fhir']) {
        const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: historyLeftOut(), fhirServer, extension: CRD_22 }));
        assert.equal(coverageInformationFor(res.body, ORDER)!.covered, 'indeterminate', fhirServer);
      }
      const history = Object.keys(asPrefetch(eligibleMantleCellRecord())).length - Object.keys(historyLeftOut()).length;
      assert.equal(logs.join('\n').match(/"failure":"refused-address","code":"link-local"/g)?.length, 3 * history, 'every history query refused in each call');
    } finally {
      devOutbound.close();
    }
  });
});

describe('The clients file: fhirServers entries', () => {
  const client = (fhirServers: unknown) => [{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks.json', fhirServers }];

  it('takes base URLs, and host names with the private addresses they may resolve to', () => {
    const clients = parseTrustedClients(client(['https://fhir.ehr.example.org/r4/', { url: 'https://fhir.ehr-vpn.example/fhir', privateAddresses: ['10.20.0.0/16', 'fd00:20::/32'] }, 'http://10.1.2.3:8080/fhir']));
    const servers = clients.get('https://ehr.example.org')!.fhirServers!;
    assert.deepEqual(servers.map((s) => s.base), ['https://fhir.ehr.example.org/r4', 'https://fhir.ehr-vpn.example/fhir', 'http://10.1.2.3:8080/fhir']);
    assert.equal(servers[0]!.addressRules.refusal('10.20.0.1')?.kind, 'private', 'a host name alone allows public addresses only');
    assert.equal(servers[1]!.addressRules.refusal('10.20.0.1'), undefined);
    assert.equal(servers[1]!.addressRules.refusal('10.21.0.1')?.kind, 'private');
    assert.equal(servers[2]!.addressRules.refusal('10.1.2.3'), undefined, 'a private address written as the host names itself');
    assert.equal(servers[2]!.addressRules.refusal('10.1.2.4')?.kind, 'private');
  });

  it('an empty list means prefetch only; no list means any public server', () => {
    assert.deepEqual(parseTrustedClients(client([])).get('https://ehr.example.org')!.fhirServers, []);
    assert.equal(parseTrustedClients([{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks.json' }]).get('https://ehr.example.org')!.fhirServers, undefined);
  });

  const mistakes: [string, unknown, RegExp][] = [
    ['a link-local host', ['http://169.254.169.254/latest'], /link-local address; the service never connects there/],
    ['a metadata host written in IPv6', ['http://[::ffff:169.254.169.254]/'], /link-local address/],
    ['a link-local privateAddresses range', [{ url: 'https://fhir.example', privateAddresses: ['169.254.0.0/16'] }], /privateAddresses: "169.254.0.0\/16" is link-local/],
    ['a public privateAddresses range', [{ url: 'https://fhir.example', privateAddresses: ['8.8.8.0/24'] }], /public address/],
    ['a query string', ['https://fhir.example/r4?tenant=1'], /without a query or fragment/],
    ['credentials', ['https://user:pw@fhir.example/r4'], /must not carry credentials/],
    ['another scheme', ['file:///etc/fhir'], /must be an https \(or http\) URL/],
    ['a misspelt field', [{ url: 'https://fhir.example', privateAddress: ['10.0.0.1'] }], /privateAddress/],
  ];
  for (const [name, entries, message] of mistakes) {
    it(`refuses ${name}, naming the mistake`, () => {
      assert.throws(() => parseTrustedClients(client(entries)), message);
    });
  }
});
