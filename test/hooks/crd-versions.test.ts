import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Extension } from 'fhir/r4.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { searchset } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN, type HookRequestOptions } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const { app } = createTestApp();
const ORDER = 'MedicationRequest/tecartus-order-1';
const CRD_TEMP = 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp';
const CDS_CARD_TYPE = 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type';
type Json = Record<string, unknown>;

async function sign(options: HookRequestOptions = {}) {
  const res = await postHook(app, ORDER_SIGN, buildHookRequest(options));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const info = coverageInformationFor(res.body, ORDER);
  assert.ok(info, 'coverage information for the order');
  return { body: res.body as Json, info };
}

const requested = (version: string): HookRequestOptions => ({ extension: { 'davinci-crd.requestedVersion': version } });
const topicSystems = (body: Json) => new Set(((body['cards'] as Json[]) ?? []).map((c) => ((c['source'] as Json)['topic'] as Json)['system']));
const sub = (ext: Extension, url: string) => (ext.extension ?? []).filter((e) => e.url === url);

/**
 * A record with a part that could not be read: the procedure history came as
 * a paginated searchset (a `next` link) and the request has no fhirServer to
 * read the other pages with (src/fhir/gather-record.ts).
 */
function unreadableProcedures(options: HookRequestOptions = {}): HookRequestOptions {
  const paged = { ...searchset([]), link: [{ relation: 'next', url: 'https://ehr.example.org/fhir/Procedure?patient=pat-1&page=2' }] };
  return { prefetch: { ...asPrefetch(eligibleMantleCellRecord()), procedures: paged }, ...options };
}

describe('CRD versions: answers in the 2.0.1 shape unless 2.2 is requested', () => {
  describe('default (no davinci-crd.requestedVersion): CRD 2.0.1', () => {
    it('card topics use the CRD temporary CodeSystem', async () => {
      const { body } = await sign();
      assert.deepEqual([...topicSystems(body)], [CRD_TEMP]);
    });

    it('contact is a ContactPoint (the PA fax)', async () => {
      const { info } = await sign();
      const [contact] = sub(info.raw, 'contact');
      assert.deepEqual(contact, { url: 'contact', valueContactPoint: { system: 'fax', value: '617-673-0956', use: 'work' } });
    });

    it('requestedVersion "2.0" gives the same shape', async () => {
      const { body, info } = await sign(requested('2.0'));
      assert.deepEqual([...topicSystems(body)], [CRD_TEMP]);
      assert.equal(sub(info.raw, 'contact')[0]?.valueContactPoint?.value, '617-673-0956');
    });
  });

  describe('requestedVersion "2.2": CRD 2.2', () => {
    it('card topics use http://terminology.hl7.org/CodeSystem/cdshooks-card-type', async () => {
      const { body } = await sign(requested('2.2'));
      assert.deepEqual([...topicSystems(body)], [CDS_CARD_TYPE]);
    });

    it('contact is a ContactDetail with the fax', async () => {
      const { info } = await sign(requested('2.2'));
      const [contact] = sub(info.raw, 'contact');
      assert.equal(contact?.valueContactPoint, undefined);
      assert.deepEqual(contact?.valueContactDetail?.telecom, [{ system: 'fax', value: '617-673-0956', use: 'work' }]);
      assert.ok(contact?.valueContactDetail?.name);
    });

    it('order-select answers in 2.2 too', async () => {
      const res = await postHook(app, ORDER_SELECT, buildHookRequest({ hook: 'order-select', ...requested('2.2') }));
      assert.equal(res.status, 200);
      assert.deepEqual([...topicSystems(res.body)], [CDS_CARD_TYPE]);
      assert.ok(sub(coverageInformationFor(res.body, ORDER)!.raw, 'contact')[0]?.valueContactDetail);
    });

    it('a patch version ("2.2.1") is read as 2.2', async () => {
      const { body } = await sign(requested('2.2.1'));
      assert.deepEqual([...topicSystems(body)], [CDS_CARD_TYPE]);
    });
  });

  it('a version the service does not support gets the 2.0.1 shape, not an error', async () => {
    const { body } = await sign(requested('9.9'));
    assert.deepEqual([...topicSystems(body)], [CRD_TEMP]);
  });

  describe('part of the record could not be read (paginated prefetch, no fhirServer)', () => {
    it('under 2.2: covered = indeterminate with the CRD reason technical (resp-43)', async () => {
      const { info, body } = await sign(unreadableProcedures(requested('2.2')));
      assert.equal(info.covered, 'indeterminate');
      assert.deepEqual(info.infoNeeded, [], 'info-needed goes with conditional only');
      const technical = sub(info.raw, 'reason').find((r) => r.valueCodeableConcept?.coding?.[0]?.code === 'technical');
      assert.ok(technical, 'a technical reason');
      assert.equal(technical.valueCodeableConcept!.coding![0]!.system, CRD_TEMP);
      assert.match(technical.valueCodeableConcept!.text ?? '', /procedure/i, 'the reason text says what could not be read');
      assert.ok(info.reasons.includes('data-unavailable'));
      assert.ok(cardsOf(body).some((c) => /could not be read/.test(c.summary)), 'the clinician is told');
    });

    it('under 2.0.1: covered = conditional with info-needed OTH, and no 2.2-only codes', async () => {
      const { info } = await sign(unreadableProcedures());
      assert.equal(info.covered, 'conditional');
      assert.deepEqual(info.infoNeeded, ['OTH']);
      assert.equal(info.paNeeded, 'auth-needed');
      assert.ok(info.reasons.includes('data-unavailable'));
      assert.ok(!info.reasons.includes('technical'), 'technical is not a CRD 2.0.1 code');
    });

    it('a finding that settles the order wins over the unreadable part (not-covered stays not-covered)', async () => {
      const record = eligibleMantleCellRecord({ patient: { resourceType: 'Patient', id: 'pat-1', birthDate: '2012-01-01' } });
      const paged = { ...searchset([]), link: [{ relation: 'next', url: 'https://ehr.example.org/fhir/Procedure?page=2' }] };
      const { info } = await sign({ prefetch: { ...asPrefetch(record), procedures: paged }, ...requested('2.2') });
      assert.equal(info.covered, 'not-covered');
      assert.equal(info.paNeeded, undefined);
    });
  });
});
