import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { mutated, pathsOf } from '../support/json-damage.js';
import { buildQuestionnairePackageRequest } from '../support/dtr-requests.js';
import { createTestApp } from '../support/test-app.js';

const { app } = createTestApp();

describe('Hostile input on the FHIR API: never a 5xx, every answer FHIR JSON', () => {
  for (const [name, path, base] of [
    ['$questionnaire-package', '/fhir/Questionnaire/$questionnaire-package', buildQuestionnairePackageRequest({ context: 'x', changedsince: '2026-01-01T00:00:00Z' })],
    ['$log-questionnaire-errors', '/fhir/Questionnaire/$log-questionnaire-errors', { resourceType: 'Parameters', parameter: [{ name: 'questionnaire', valueCanonical: 'x' }, { name: 'operationOutcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', expression: ['a'] }] } }] }],
    ['ValueSet/$expand', '/fhir/ValueSet/$expand', { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'https://www.carepartnersct.com/fhir/ValueSet/x' }] }],
  ] as const) {
    it(`${name}: random damage at every path (300 cases)`, async () => {
      const paths = pathsOf(base);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, [], {}, [null], 'x', 5, true, '__proto__', 'constructor')), async (at, value) => {
          const res = await request(app).post(path).set('content-type', 'application/fhir+json').send(JSON.stringify(mutated(base, at, value)));
          assert.ok(res.status < 500, `${res.status} for ${at.join('.')} = ${JSON.stringify(value)}: ${res.text.slice(0, 300)}`);
          assert.ok(['Parameters', 'OperationOutcome', 'ValueSet'].includes(res.body.resourceType), res.text.slice(0, 200));
        }),
        { seed: 20261202, numRuns: 300 },
      );
    });
  }

  it('bodies that are not JSON objects get a 400 OperationOutcome', async () => {
    for (const body of ['[]', '"x"', '5', 'null', '{"resourceType":5}']) {
      const res = await request(app).post('/fhir/Questionnaire/$questionnaire-package').set('content-type', 'application/fhir+json').send(body);
      assert.equal(res.status, 400, body);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    }
  });
});
