import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { CLEAN_ANSWERS, completeForm, pasRequestFor, signAndFetchForm } from '../support/pas-flow.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp } from '../support/test-app.js';

const { app } = createTestApp();

/** Random damage to a valid input at one path. */
function mutated(base: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
  return copy;
}

function pathsOf(value: unknown, path: (string | number)[] = [], into: (string | number)[][] = []): (string | number)[][] {
  if (path.length > 0) into.push(path);
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, Array.isArray(value) ? Number(k) : k], into);
  return into;
}

describe('Hostile input on PAS: never a 5xx; a PAS response, an inquiry answer or one OperationOutcome', () => {
  for (const operation of ['$submit', '$inquire'] as const) {
    it(`Claim/${operation}: random damage at every path of a real request with its form (300 cases)`, async () => {
      const signed = await signAndFetchForm(app, eligibleMantleCellRecord());
      const base = pasRequestFor(signed, completeForm(signed.draft, CLEAN_ANSWERS));
      const paths = pathsOf(base);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], {}, [null], 'x', 5, true, '__proto__', 'constructor')), async (at, value) => {
          const res = await request(app).post(`/fhir/Claim/${operation}`).set('content-type', 'application/fhir+json').send(JSON.stringify(mutated(base, at, value)));
          assert.ok(res.status < 500, `${res.status} for ${at.join('.')} = ${JSON.stringify(value)}: ${res.text.slice(0, 300)}`);
          assert.ok(['Bundle', 'Parameters', 'OperationOutcome'].includes(res.body.resourceType), res.text.slice(0, 200));
        }),
        { seed: 20261213, numRuns: 300 },
      );
    });
  }

  it('bodies that are not a Bundle get a 400 OperationOutcome', async () => {
    for (const body of ['[]', '"x"', '5', 'null', '{"resourceType":5}', '{"resourceType":"Bundle","entry":[null]}', '{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Claim"}}]}']) {
      for (const operation of ['$submit', '$inquire']) {
        const res = await request(app).post(`/fhir/Claim/${operation}`).set('content-type', 'application/fhir+json').send(body);
        assert.equal(res.status, 400, `${operation} ${body}: ${res.text.slice(0, 200)}`);
        assert.equal(res.body.resourceType, 'OperationOutcome');
      }
    }
  });
});
