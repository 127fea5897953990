import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import request from 'supertest';
import { OutboundClient } from '../../src/net/outbound-client.js';
import { isOperationOutcome } from '../support/cds-conformance.js';
import { audienceFor, bearer, jwksOf, makeSigner, PUBLIC_BASE_URL, signCdsJwt, writeClientsFile, type TestSigner } from '../support/cds-clients.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildMedication, buildMedicationAdministration, buildOtherOrder, buildProcedure, buildTecartusServiceRequest, cpt, hcpcs } from '../support/fhir-factories.js';
import { startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp, postHook } from '../support/test-app.js';
import { mappedResolver, startTripwire, type Tripwire } from '../support/test-hosts.js';

/**
 * Hostile and malformed input against the real app (open development mode):
 * random JSON, random bytes, and valid order-sign/order-select requests
 * mutated (fields removed, wrong types, huge strings, deep nesting, resources
 * of the wrong type in prefetch and draftOrders). Whatever arrives, the
 * service answers with JSON and never a 5xx: a 200 that meets the CDS Hooks
 * and CRD rules, or an OperationOutcome.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

let server: Server;
let logs: string[];
const answers = new Map<number, number>();

before(async () => {
  let app;
  ({ app, logs } = createTestApp({ LOG_LEVEL: 'error' }));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends a body as is and checks the answer: JSON, no 5xx, conformant 200 or OperationOutcome. */
async function send(serviceId: string, body: string | Buffer, contentType = 'application/json', requestJson?: unknown): Promise<number> {
  const res = await request(server).post(`/cds-services/${serviceId}`).timeout(20000).set('Content-Type', contentType).send(body);
  answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
  assert.ok(res.status < 500, `a ${res.status} for:\n${String(body).slice(0, 600)}\nanswer: ${res.text.slice(0, 300)}\nlog: ${logs.at(-1)?.slice(0, 1500)}`);
  assert.match(res.headers['content-type'] ?? '', /json/, `answer ${res.status} is not JSON`);
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(res.text)), `answer ${res.status} is not valid JSON`);
  if (res.status === 200) assertAnswerConforms({ status: 200, body: parsed }, serviceId, requestJson);
  else assert.ok(isOperationOutcome(parsed), `a ${res.status} answer must be an OperationOutcome: ${res.text.slice(0, 300)}`);
  return res.status;
}

/** Every path in a JSON value (objects and arrays included), up to a depth. */
function pathsOf(value: Json, prefix: Path = [], into: Path[] = []): Path[] {
  into.push(prefix);
  if (prefix.length > 12 || value === null || typeof value !== 'object') return into;
  for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k], into);
  return into;
}

function parentOf(root: Json, path: Path): { parent: Json; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let node: Json = root;
  for (const k of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, Json>)[k as string] as Json;
  }
  if (node === null || typeof node !== 'object') return undefined;
  return { parent: node, key: path[path.length - 1]! };
}

function nested(depth: number, asArray: boolean): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { resourceType: 'Bundle', entry: [{ resource: value }] };
  return value;
}

const RESOURCE_TYPES = ['Patient', 'Bundle', 'OperationOutcome', 'Coverage', 'Medication', 'MedicationRequest', 'ServiceRequest', 'Condition', 'Procedure', 'Encounter', 'DeviceRequest', 'Basic', '', 'patient', '__proto__', 'constructor'];

/** Large and deep values are generated as recipes and built when used, so a failure report stays readable. */
type Recipe = { readonly huge: number; readonly char: string } | { readonly deep: number; readonly asArray: boolean };
type Hostile = { readonly json: Json } | Recipe;

function build(value: Hostile): Json {
  if ('json' in value) return structuredClone(value.json);
  if ('huge' in value) return value.char.repeat(value.huge);
  return nested(value.deep, value.asArray);
}

/** Values of every wrong kind, including the large and the deep. */
const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 4, arbitrary: (fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>).map((json) => ({ json })) },
  { weight: 2, arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 1e308, -0, '', ' ', [], {}, [null], [{}], 'Patient/', '/', '2026-02-30', '99999-12-31T25:61:00Z', 'not a date').map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.record({ huge: fc.integer({ min: 10_000, max: 400_000 }), char: fc.constantFrom('A', '\u00e9', '\ud83d\ude00', '{{', '\\') }) },
  { weight: 1, arbitrary: fc.record({ deep: fc.integer({ min: 50, max: 1000 }), asArray: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom(...RESOURCE_TYPES).map((rt) => ({ json: { resourceType: rt, id: 'x' } as Json })) },
  { weight: 1, arbitrary: fc.constant({ json: JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}') as Json }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<Json>(
        { resourceType: 'Bundle', entry: 'x' },
        { resourceType: 'Bundle', entry: [null, 5, 'x', { resource: null }, { resource: [] }, { resource: { resourceType: 5 } }] },
        { resourceType: 'Bundle', link: 'next' },
        { resourceType: 'Bundle', link: [{ relation: 'next', url: 5 }], entry: [] },
        { resourceType: 'OperationOutcome', issue: 'x' },
        { resourceType: 'OperationOutcome', issue: [null, { details: 5 }] },
      )
      .map((json) => ({ json })),
  },
);

type Mutation = { pathIndex: number; kind: 'delete' } | { pathIndex: number; kind: 'replace'; value: Hostile } | { pathIndex: number; kind: 'resourceType'; value: string } | { pathIndex: number; kind: 'wrap'; asArray: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ pathIndex: fc.nat(), kind: fc.constant('delete' as const) }),
  fc.record({ pathIndex: fc.nat(), kind: fc.constant('replace' as const), value: hostileValue }),
  fc.record({ pathIndex: fc.nat(), kind: fc.constant('resourceType' as const), value: fc.constantFrom(...RESOURCE_TYPES) }),
  fc.record({ pathIndex: fc.nat(), kind: fc.constant('wrap' as const), asArray: fc.boolean() }),
);

function mutate(request: Json, mutations: readonly Mutation[]): Json {
  let root = structuredClone(request);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.pathIndex % paths.length]!;
    const at = parentOf(root, path);
    const current: Json = at ? ((at.parent as Record<string, Json>)[at.key as string] as Json) : root;
    let next: Json | undefined;
    switch (m.kind) {
      case 'delete':
        next = undefined;
        break;
      case 'replace':
        // A fresh copy: generated values are shared between runs and must never end up inside themselves.
        next = build(m.value);
        break;
      case 'resourceType':
        next = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current, resourceType: m.value } : { resourceType: m.value };
        break;
      case 'wrap':
        next = m.asArray ? [current] : { value: current };
        break;
    }
    if (!at) {
      root = next ?? null;
      continue;
    }
    if (next === undefined) {
      if (Array.isArray(at.parent)) at.parent.splice(Number(at.key), 1);
      else delete (at.parent as Record<string, Json>)[at.key as string];
    } else (at.parent as Record<string, Json>)[at.key as string] = next;
  }
  return root;
}

/** Valid requests to start from: order-sign and order-select, Tecartus and other orders, with a Medication in draftOrders. */
const validRequest: fc.Arbitrary<{ serviceId: string; body: Json }> = fc.constantFrom(
  () => ({ serviceId: ORDER_SIGN, body: buildHookRequest() as Json }),
  () => ({ serviceId: ORDER_SIGN, body: buildHookRequest({ orders: [buildTecartusServiceRequest(), buildOtherOrder()], draftExtras: [buildMedication()] }) as Json }),
  () => ({ serviceId: ORDER_SELECT, body: buildHookRequest({ hook: 'order-select' }) as Json }),
  () => ({ serviceId: ORDER_SIGN, body: buildHookRequest({ extension: { 'davinci-crd.requestedVersion': '2.2', 'davinci-crd.configuration': { 'max-cards': 2 } } }) as Json }),
).map((make) => make());

/** Mutations aimed at prefetch: each key replaced by something of the wrong kind. */
const prefetchMutation: fc.Arbitrary<{ key: string; value: Hostile }> = fc.record({
  key: fc.constantFrom('patient', 'coverage', 'encounter', 'conditions', 'procedures', 'medicationRequests', 'medicationAdministrations', 'medicationStatements', 'unknownKey'),
  value: hostileValue,
});

describe('Hostile input: no answer is a 5xx, every answer is JSON', () => {
  it('mutated valid requests (2500 cases, 1 to 6 mutations each)', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, fc.array(mutation, { minLength: 1, maxLength: 6 }), async ({ serviceId, body }, mutations) => {
        const mutated = mutate(body, mutations);
        await send(serviceId, JSON.stringify(mutated), 'application/json', mutated);
      }),
      { numRuns: 2500 },
    );
  });

  it('prefetch values of the wrong kind (800 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(validRequest, fc.array(prefetchMutation, { minLength: 1, maxLength: 4 }), async ({ serviceId, body }, changes) => {
        const mutated = structuredClone(body) as { prefetch: Record<string, Json> };
        for (const { key, value } of changes) mutated.prefetch[key] = build(value);
        await send(serviceId, JSON.stringify(mutated), 'application/json', mutated);
      }),
      { numRuns: 800 },
    );
  });

  it('draft orders of the wrong kind (800 cases)', async () => {
    const draftOrder: fc.Arbitrary<() => Json> = fc.oneof(
      hostileValue.map((v) => () => build(v)),
      fc
        .record({ resourceType: fc.constantFrom(...RESOURCE_TYPES), id: fc.oneof(fc.string(), fc.constant('tecartus-order-1')), extension: hostileValue, code: hostileValue, medicationCodeableConcept: hostileValue })
        .map((r) => () => ({ resourceType: r.resourceType, id: r.id, extension: build(r.extension), code: build(r.code), medicationCodeableConcept: build(r.medicationCodeableConcept) })),
    );
    await fc.assert(
      fc.asyncProperty(validRequest, fc.array(draftOrder, { maxLength: 4 }), async ({ serviceId, body }, extra) => {
        const mutated = structuredClone(body) as { context: { draftOrders: { entry: Json[] } } };
        mutated.context.draftOrders.entry.push(...extra.map((make) => ({ resource: make() })));
        await send(serviceId, JSON.stringify(mutated), 'application/json', mutated);
      }),
      { numRuns: 800 },
    );
  });

  it('random JSON documents (600 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(ORDER_SIGN, ORDER_SELECT, 'no-such-service'), fc.jsonValue({ maxDepth: 6 }), async (serviceId, value) => {
        await send(serviceId, JSON.stringify(value), 'application/json', value);
      }),
      { numRuns: 600 },
    );
  });

  it('random bytes under JSON, FHIR JSON and other content types (500 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a))),
        fc.constantFrom('application/json', 'application/fhir+json', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded'),
        async (body, contentType) => {
          await send(ORDER_SIGN, body, contentType);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('afterwards the process still serves a valid request, and nothing polluted Object.prototype', async () => {
    const body = buildHookRequest();
    assert.equal(await send(ORDER_SIGN, JSON.stringify(body), 'application/json', body), 200);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const total = [...answers.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= 5000, `sent ${total} requests`);
    assert.ok((answers.get(200) ?? 0) > 100 && (answers.get(400) ?? 0) > 100, `a mix of answers: ${JSON.stringify(Object.fromEntries(answers))}`);
  });
});

describe('Hostile input: names of Object.prototype members are plain values', () => {
  it('a CAR-T Procedure or administration with status "constructor" or "__proto__" is not read as evidence of prior CAR-T', async () => {
    const { app } = createTestApp();
    for (const status of ['constructor', '__proto__', 'toString']) {
      const record = eligibleMantleCellRecord({
        procedures: [buildProcedure({ code: cpt('38228'), status: status as 'completed' })],
        medicationAdministrations: [buildMedicationAdministration({ medicationCodeableConcept: hcpcs('Q2041'), status: status as 'completed' })],
      });
      const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record }));
      assert.equal(res.status, 200);
      const info = coverageInformationFor(res.body, 'MedicationRequest/tecartus-order-1');
      assert.ok(info);
      assert.ok(!info.reasons.includes('prior-car-t') && !info.reasons.includes('possible-prior-car-t'), `status ${status}: ${info.reasons.join(', ')}`);
    }
  });

  it('an element of the wrong JSON type makes its part unreadable, and the card names its path', async () => {
    const { app } = createTestApp();
    const body = buildHookRequest() as { prefetch: { conditions: { entry: { resource: { code: unknown } }[] } } };
    body.prefetch.conditions.entry[0]!.resource.code = { coding: 42 };
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal(res.status, 200);
    assert.match(JSON.stringify(res.body.cards).replace(/\\/g, ''), /The condition history could not be read \(malformed data from the EHR: Condition\/[\w-]+: code\.coding\[0\] must be a JSON object\)/);
  });

  it('JSON nested deeper than 100 levels is a 400', async () => {
    const { app } = createTestApp();
    const body = buildHookRequest() as Record<string, unknown>;
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = [deep];
    body['extension'] = { deep };
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal(res.status, 400);
    assert.match(res.body.issue[0].details.text, /nested more than 100 levels/);
  });

  it('JSON nested deeper than 100 levels in a draft order or in the prefetched record of a Tecartus call is a 400', async () => {
    const { app } = createTestApp();
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = { extension: [{ url: 'x', value: deep }] };
    const inOrder = buildHookRequest({ orders: [{ ...buildTecartusServiceRequest(), extension: [deep] } as never] });
    const inPrefetch = buildHookRequest({ extraPrefetch: { deep } });
    for (const [where, body] of [['draft order', inOrder], ['prefetch', inPrefetch]] as const) {
      const res = await postHook(app, ORDER_SIGN, body);
      assert.equal(res.status, 400, `too deep in the ${where}`);
      assert.match(res.body.issue[0].details.text, /nested more than 100 levels/);
    }
  });

  it('a call with no Tecartus order does not read its prefetched record, so a prefetch nested too deep is not walked: no cards, nothing recorded', async () => {
    const { app, store } = createTestApp();
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = [deep];
    const body = buildHookRequest({ orders: [buildOtherOrder()], extraPrefetch: { deep } });
    const res = await postHook(app, ORDER_SIGN, body);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { cards: [], systemActions: [] });
    assert.deepEqual(await store.findHookCalls(body['hookInstance'] as string), [], 'a call with no Tecartus order is not recorded');
  });
});

describe('Hostile input: random and forged bearer tokens never get past authentication, and never cause a 5xx', () => {
  let guarded: Server;
  let file: { path: string; remove: () => void };
  let signer: TestSigner;
  const path = `/cds-services/${ORDER_SIGN}`;
  const body = JSON.stringify(buildHookRequest());

  before(async () => {
    signer = await makeSigner('ES384', 'https://ehr.example.org', 'k1');
    file = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer), jku: ['http://127.0.0.1:9/jwks.json'] }]);
    const { app } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, LOG_LEVEL: 'silent' });
    guarded = createServer(app);
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => guarded.close(() => resolve()));
    file.remove();
  });

  async function refused(authorization: string): Promise<void> {
    const res = await request(guarded).post(path).timeout(20000).set('Content-Type', 'application/json').set('Authorization', authorization).send(body);
    assert.equal(res.status, 401, `${res.status} for Authorization: ${authorization.slice(0, 300)}\n${res.text.slice(0, 300)}`);
    assert.ok(isOperationOutcome(JSON.parse(res.text)));
  }

  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.+/= {}"\':,'.split('')), maxLength: 300 });

  it('random Authorization headers (400 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(printable, printable.map((s) => `Bearer ${s}`), fc.tuple(printable, printable, printable).map((p) => `Bearer ${p.join('.')}`)), async (header) => {
        await refused(header);
      }),
      { numRuns: 400 },
    );
  });

  it('tokens with random headers and claims, unsigned or signed with a trusted key (500 cases)', async () => {
    const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(signer.iss, audienceFor(path), 1e308, -1, Math.floor(Date.now() / 1000), ''));
    const headerValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('ES384', 'none', 'HS256', 'JWT', 'k1', 'http://127.0.0.1:9/jwks.json', 'http://127.0.0.1:9/x'));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('iss', 'aud', 'exp', 'iat', 'jti', 'tenant', 'nbf', 'sub'), claimValue),
        fc.dictionary(fc.constantFrom('kid', 'typ', 'jku', 'crit', 'b64', 'x5u', 'jwk'), headerValue),
        fc.boolean(),
        async (claims, header, sign) => {
          if (sign) {
            // A real signature by a trusted key over hostile content: every claim check must still hold.
            const token = await new SignJWT(claims as Record<string, unknown>).setProtectedHeader({ ...(header as Record<string, unknown>), alg: 'ES384' }).sign(signer.privateKey).catch(() => undefined);
            if (token === undefined) return;
            const ok = claims['iss'] === signer.iss && claims['aud'] === audienceFor(path) && typeof claims['jti'] === 'string' && claims['jti'] !== '' && header['kid'] === 'k1' && header['typ'] === 'JWT';
            if (ok) return; // could be a genuinely valid token; the property is about the others
            await refused(`Bearer ${token}`);
          } else {
            await refused(`Bearer ${b64({ alg: 'ES384', ...(header as object) })}.${b64(claims)}.${b64('not a signature')}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('Hostile fhirServer values: never a 5xx, and never a request outside the caller\'s fhirServers list (issue 14)', () => {
  let fhir: FhirTestServer;
  let tripwire: Tripwire;
  let signer: TestSigner;
  let file: { path: string; remove: () => void };
  let guarded: Server;
  let outbound: OutboundClient;
  let guardedLogs: string[];
  const resolve = mappedResolver({ 'internal.test': '127.0.0.3', 'metadata.test': '169.254.169.254', 'localhost': '127.0.0.1' });

  before(async () => {
    fhir = await startFhirTestServer();
    await fhir.load(eligibleMantleCellRecord());
    tripwire = await startTripwire('127.0.0.3');
    signer = await makeSigner('ES384', 'https://ehr.example.org', 'k1');
    // The one server this client may name is its own, by address.
    file = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer), fhirServers: [fhir.url] }]);
    outbound = new OutboundClient({ resolve });
    let app;
    ({ app, logs: guardedLogs } = createTestApp({ CDS_CLIENTS_FILE: file.path, PUBLIC_BASE_URL, FHIR_ALLOW_HTTP: 'true', LOG_LEVEL: 'warn', FHIR_QUERY_TIMEOUT_MS: '1000' }, { outbound }));
    guarded = createServer(app);
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => guarded.close(() => resolve()));
    outbound.close();
    await Promise.all([fhir.close(), tripwire.close()]);
    file.remove();
  });

  /** fhirServer URLs built from parts an attacker would try: internal hosts in every spelling, the listed server's neighbours, odd schemes. */
  const craftedUrl = (): fc.Arbitrary<string> => {
    const listed = new URL(fhir.url);
    const hosts = [
      '127.0.0.1', '127.0.0.3', 'internal.test', 'metadata.test', 'localhost', '169.254.169.254', '[::ffff:169.254.169.254]', '[::ffff:a9fe:a9fe]',
      '2852039166', '0xa9fea9fe', '[fe80::1]', '[::1]', '[::ffff:127.0.0.3]', '2130706435', '0x7f.0.0.3', '127.3', '0', '0.0.0.0', '[::]',
      '127.0.0.1.internal.test', 'fhir.example.org', '%31%32%37.0.0.3', 'xn--nxasmq6b', '',
    ];
    const ports = ['', `:${listed.port}`, `:${tripwire.port}`, ':80', ':0', ':65535'];
    const paths = ['', '/', '/fhir', '/fhir/', '/fhir2', '/fhir/..', '/fhir/%2e%2e/admin', '/%2e%2e/fhir', '/fhir/Patient', '/fhir?x=1', '/fhir#frag', '/latest/meta-data/', '//fhir'];
    return fc
      .record({
        scheme: fc.constantFrom('http://', 'https://', 'HTTP://', 'http:/', 'http:\\\\', 'file://', 'gopher://', 'ftp://', 'ws://', 'javascript:', 'data:', ''),
        userinfo: fc.constantFrom('', '', '', 'user:pw@', '@', `127.0.0.1:${listed.port}@`),
        host: fc.constantFrom(...hosts),
        port: fc.constantFrom(...ports),
        path: fc.constantFrom(...paths),
      })
      .map(({ scheme, userinfo, host, port, path }) => `${scheme}${userinfo}${host}${port}${path}`);
  };

  it('crafted, random and wrong-typed fhirServer values (400 cases)', async () => {
    const value = fc.oneof(
      { weight: 6, arbitrary: craftedUrl().map((url) => ({ json: url as Json })) },
      { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }).map((url) => ({ json: url as Json })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ json: text as Json })) },
      { weight: 1, arbitrary: hostileValue },
    );
    const prefetch = fc.constantFrom<() => Record<string, unknown>>(
      () => ({}),
      () => {
        const { patient, coverage } = asPrefetch(eligibleMantleCellRecord());
        return { patient, coverage };
      },
      () => asPrefetch(eligibleMantleCellRecord()),
    );
    await fc.assert(
      fc.asyncProperty(value, prefetch, fc.boolean(), async (fhirServer, makePrefetch, withToken) => {
        const body = buildHookRequest({ prefetch: makePrefetch(), accessToken: withToken ? 'hostile-case-token' : undefined, fhirServer: 'https://placeholder.example' }) as Record<string, Json>;
        body['fhirServer'] = build(fhirServer);
        const token = await signCdsJwt(signer, audienceFor(`/cds-services/${ORDER_SIGN}`));
        const res = await request(guarded).post(`/cds-services/${ORDER_SIGN}`).timeout(20000).set(bearer(token)).set('Content-Type', 'application/json').send(JSON.stringify(body));
        assert.ok(res.status < 500, `a ${res.status} for fhirServer ${JSON.stringify(body['fhirServer']).slice(0, 200)}: ${res.text.slice(0, 300)}\nlog: ${guardedLogs.at(-1)?.slice(0, 800)}`);
        if (res.status === 200) assertAnswerConforms({ status: 200, body: JSON.parse(res.text) }, ORDER_SIGN, body);
        else assert.ok(isOperationOutcome(JSON.parse(res.text)), `a ${res.status} answer must be an OperationOutcome: ${res.text.slice(0, 300)}`);
        assert.equal(tripwire.connections, 0, `the internal host was reached for fhirServer ${JSON.stringify(body['fhirServer'])}`);
        assert.deepEqual(resolve.lookups, [], `a host outside the list was looked up for fhirServer ${JSON.stringify(body['fhirServer'])}`);
      }),
      { numRuns: 400 },
    );
    // The list still lets through what it names: the listed server itself is queried.
    const before = fhir.requests.length;
    const listedCall = buildHookRequest({ prefetch: {}, fhirServer: fhir.url }) as Record<string, Json>;
    const listedRes = await request(guarded).post(`/cds-services/${ORDER_SIGN}`).set(bearer(await signCdsJwt(signer, audienceFor(`/cds-services/${ORDER_SIGN}`)))).send(listedCall);
    assert.equal(listedRes.status, 200);
    assert.ok(fhir.requests.length > before, 'the listed server is queried');
    assert.ok(guardedLogs.some((l) => l.includes('"event":"fhir-server-refused"')), 'some cases were refused by the list');
  });
});
