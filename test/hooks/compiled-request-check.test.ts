import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { wellFormedAsSent } from '../../src/hooks/compiled-request-check.js';
import { HookRequestSchema } from '../../src/hooks/request-schema.js';
import { buildHookRequest } from '../support/hook-requests.js';
import { mutated, pathsOf } from '../support/json-damage.js';

const ASTRAL = '\ud83d\ude00';

/** Values that test each rule of the schema: wrong types, empty, long, one object for an array, URLs good and bad. */
const probe = fc.constantFrom<unknown>(
  undefined, null, true, 0, 1.5, '', ' ', 'x', 'order-sign', 'order-select', 'Practitioner/1', [], [{}], ['a'], {}, { resourceType: 'Bundle' },
  { resourceType: 'Bundle', entry: { resource: { resourceType: 'MedicationRequest', id: 'm' } } },
  { resourceType: 'Bundle', entry: [] }, { resourceType: 'Patient' }, { access_token: 'abc' }, { access_token: '' }, { access_token: 5 },
  'https://ehr.example.org/fhir', 'http://localhost:8080', 'not a url', 'ftp://x', 'https://', 'urn:x',
  'h'.repeat(256), 'h'.repeat(257), ASTRAL.repeat(128), ASTRAL.repeat(129), ASTRAL.repeat(200),
);

function request(): Record<string, unknown> {
  return buildHookRequest({ prefetch: {}, fhirServer: 'https://ehr.example.org/fhir', accessToken: 'opaque-token', extension: { 'davinci-crd.configuration': { 'coverage-info': true } } });
}

/** Damage limited to what the request schema looks at: everything but the inside of draft orders and prefetch values. */
const SCHEMA_PATHS = pathsOf(request()).filter((p) => !(p[0] === 'context' && p[1] === 'draftOrders' && p.length > 4) && !(p[0] === 'prefetch' && p.length > 2));

describe('The compiled request check (Ajv from the zod schema) never accepts what zod would not return unchanged', () => {
  it('a well-formed request as the factories build it takes the fast path, as sent', () => {
    const body = request();
    assert.equal(wellFormedAsSent(body), body, 'a request sent as CDS Hooks says is used as sent');
  });

  it('for every damaged request it accepts, zod accepts it too and returns it unchanged', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), probe), { minLength: 1, maxLength: 3 }), (damage) => {
        let body: unknown = request();
        for (const [i, value] of damage) {
          const path = SCHEMA_PATHS[i % SCHEMA_PATHS.length]!;
          body = value === undefined ? without(body, path) : damaged(body, path, value);
        }
        if (wellFormedAsSent(body) === undefined) return;
        accepted++;
        const parsed = HookRequestSchema.safeParse(body);
        assert.ok(parsed.success, `zod refuses what the fast path took: ${JSON.stringify(body).slice(0, 400)}`);
        assert.deepEqual(parsed.data, body);
      }),
      { seed: 20261203, numRuns: 4000 },
    );
    assert.ok(accepted > 200, `the property must see accepted requests to mean anything (saw ${accepted})`);
  });

  it('what only zod reads goes to zod (one object for an array, a bad URL, cds-r-1), and string lengths are counted as zod counts them', () => {
    const one = request() as { context: { draftOrders: { entry: unknown } } };
    one.context.draftOrders.entry = (one.context.draftOrders.entry as unknown[])[0];
    assert.equal(wellFormedAsSent(one), undefined, 'one entry object instead of an array is for zod to read leniently');
    assert.ok(HookRequestSchema.safeParse(one).success, 'zod reads the one entry leniently');
    assert.equal(wellFormedAsSent(mutated(request(), ['fhirServer'], 'not a url')), undefined, 'a fhirServer zod refuses');
    assert.equal(wellFormedAsSent(without(request(), ['fhirServer'])), undefined, 'fhirAuthorization without fhirServer (CDS Hooks cds-r-1)');
    for (const [length, within] of [[256, true], [257, false]] as const) {
      const astral = mutated(request(), ['hookInstance'], ASTRAL.repeat(length));
      assert.equal(wellFormedAsSent(astral) !== undefined, within, `${length} characters outside the BMP: zod counts code points, and so must the fast path`);
      assert.equal(HookRequestSchema.safeParse(astral).success, within, `zod on ${length} characters outside the BMP`);
    }
  });
});

/** mutated(), unless an earlier change took away the path's parent. */
function damaged(base: unknown, path: (string | number)[], value: unknown): unknown {
  let parent: unknown = base;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return base;
    parent = (parent as Record<string | number, unknown>)[key];
  }
  return parent !== null && typeof parent === 'object' ? mutated(base, path, value) : base;
}

function without(base: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) {
    parent = parent[key] as Record<string | number, unknown>;
    if (parent === null || typeof parent !== 'object') return copy;
  }
  if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
  else delete parent[path.at(-1)!];
  return copy;
}
