import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp, postHook } from '../support/test-app.js';

type Json = Record<string, unknown>;
const { app } = createTestApp();
/** The CDS Hooks Sandbox's own requests, as captured from the real Sandbox in Chromium (SOURCES.txt). */
const captured = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/reference/cdshooks/${name}`, import.meta.url), 'utf8')) as Json;
const orderOf = (request: Json) => (((request['context'] as Json)['draftOrders'] as Json)['entry'] as Json[])[0]!['resource'] as Json;
/** The Sandbox names a fhirServer on loopback; here the record comes from its prefetch alone. */
const withoutServer = (request: Json) => {
  const { fhirServer: _server, fhirAuthorization: _auth, ...rest } = request;
  return rest;
};

describe('The CDS Hooks Sandbox, the reference client integrators test with (MedicationRequest.category as one object)', () => {
  it("its order-sign request is answered 200 (an ibrutinib order: no Tecartus, no cards)", async () => {
    const res = await postHook(app, ORDER_SIGN, withoutServer(captured('sandbox-order-sign-request.json')));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { cards: [], systemActions: [] });
  });

  it('its order-select request (reasonCode as one object too) is answered 200', async () => {
    const res = await postHook(app, ORDER_SELECT, withoutServer(captured('sandbox-order-select-request.json')));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { cards: [] });
  });

  it('the same request for Tecartus is judged: its category, sent as one object, is read (community: outpatient attestation)', async () => {
    const request = withoutServer(captured('sandbox-order-sign-request.json'));
    Object.assign(orderOf(request), {
      medicationCodeableConcept: { text: 'Tecartus', coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '2387347', display: 'Tecartus' }] },
      dosageInstruction: [{ text: 'Single IV infusion' }],
      dispenseRequest: undefined,
    });
    const res = await postHook(app, ORDER_SIGN, request);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const info = coverageInformationFor(res.body, 'MedicationRequest/request-123');
    assert.ok(info, 'coverage information for the Tecartus order');
    assert.ok(info.reasons.includes('outpatient-attestation'), info.reasons.join(', '));
    assert.ok(cardsOf(res.body).some((c) => /Prior authorization required for Tecartus/.test(c.summary)));
    const sent = (res.body.systemActions as Json[])[0]!['resource'] as Json;
    assert.deepEqual(sent['category'], orderOf(request)['category'], 'the order comes back as the Sandbox sent it (CRD resp-37)');
  });
});
