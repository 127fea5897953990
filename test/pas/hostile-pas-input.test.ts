import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { mutated, pathsOf } from '../support/json-damage.js';
import { CLEAN_ANSWERS, completeForm, pasRequestFor, signAndFetchForm } from '../support/pas-flow.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp } from '../support/test-app.js';

const { app } = createTestApp();

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
