import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { cdsResponseViolations, isOperationOutcome } from '../support/cds-conformance.js';
import { buildCondition, buildTecartusOrder, icd10cm } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp } from '../support/test-app.js';

/**
 * The conformance check (test/support/cds-conformance.ts) guards every answer
 * the suite produces, so it must be able to fail: each hand-made breach below
 * must be reported, and a good answer must yield none.
 */
/** Answers are edited by hand below, so their JSON is loosely typed. */
type Json = Record<string, any>;

const { app } = createTestApp();
const hookRequest = buildHookRequest({
  orders: [buildTecartusOrder(), buildTecartusOrder({ id: 'tecartus-order-2' })],
  // C83.10 without relapse: a finding (warning card with overrideReasons) and covered=conditional.
  record: eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.10') })] }),
});
let good: Json;

const signCheck = (body: unknown, req: Json = hookRequest) => cdsResponseViolations(body, { hook: 'order-sign', request: req });
const selectCheck = (body: unknown, req: Json = hookRequest) => cdsResponseViolations(body, { hook: 'order-select', request: req });

/** A copy of the good answer with one breach made by `edit`. */
function breach(edit: (body: Json) => void): Json {
  const body = structuredClone(good);
  edit(body);
  return body;
}
const infoOf = (body: Json, action = 0) => (body['systemActions'][action]['resource']['extension'] as Json[]).find((e) => /ext-coverage-information$/.test(e['url']))!;
const sub = (info: Json, url: string) => (info['extension'] as Json[]).find((e) => e['url'] === url);
const setCode = (info: Json, url: string, code: string) => {
  const existing = sub(info, url);
  if (existing) existing['valueCode'] = code;
  else (info['extension'] as Json[]).splice(2, 0, { url, valueCode: code });
};
const dropSub = (info: Json, url: string) => {
  info['extension'] = (info['extension'] as Json[]).filter((e) => e['url'] !== url);
};

function assertReported(violations: string[], pattern: RegExp) {
  assert.ok(violations.some((v) => pattern.test(v)), `expected a violation matching ${pattern}, got:\n${violations.join('\n') || '(none)'}`);
}

describe('The CDS Hooks / CRD conformance check can fail', () => {
  before(async () => {
    const res = await request(app).post(`/cds-services/${ORDER_SIGN}`).send(hookRequest);
    assert.equal(res.status, 200);
    good = res.body as Json;
    assert.equal(good['systemActions'].length, 2);
    assert.ok((good['cards'] as Json[]).some((c) => c['overrideReasons']));
  });

  describe('good answers yield no violation', () => {
    it("the service's own answer", () => {
      assert.deepEqual(signCheck(good), []);
    });

    it('a hand-made answer with a suggestion and links', () => {
      const body = {
        cards: [
          {
            uuid: randomUUID(),
            summary: 'Prior authorization required',
            indicator: 'info',
            source: { label: 'Plan', topic: { system: 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', code: 'coverage-info' } },
            selectionBehavior: 'at-most-one',
            suggestions: [{ label: 'Remove the order', uuid: randomUUID(), actions: [{ type: 'delete', description: 'Remove', resourceId: 'MedicationRequest/x' }] }],
            links: [{ label: 'Policy', url: 'https://plan.example.org/policy', type: 'absolute' }],
          },
        ],
        systemActions: [],
      };
      assert.deepEqual(signCheck(body), []);
    });

    it('an empty order-sign answer, and an empty order-select answer', () => {
      assert.deepEqual(signCheck({ cards: [], systemActions: [] }), []);
      assert.deepEqual(selectCheck({ cards: [] }), []);
    });
  });

  describe('CDS Hooks 2.0 card and action rules', () => {
    it('a summary of 140 characters', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['summary'] = 'x'.repeat(140)))), /summary is 140 characters; it must be under 140/);
    });

    it('a missing summary', () => {
      assertReported(signCheck(breach((b) => delete b['cards'][0]['summary'])), /summary is required/);
    });

    it('a card without uuid', () => {
      assertReported(signCheck(breach((b) => delete b['cards'][1]['uuid'])), /cards\[1\]\.uuid must be a UUID/);
    });

    it('a card with an indicator outside info/warning/critical', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['indicator'] = 'hard-stop'))), /indicator must be info, warning or critical/);
    });

    it('a card without source.label', () => {
      assertReported(signCheck(breach((b) => delete b['cards'][0]['source']['label'])), /source\.label is required/);
    });

    it('suggestions without selectionBehavior', () => {
      assertReported(
        signCheck(breach((b) => (b['cards'][0]['suggestions'] = [{ label: 'Do it', uuid: randomUUID(), actions: [] }]))),
        /selectionBehavior is required with suggestions/,
      );
    });

    it('a suggestion without uuid', () => {
      assertReported(
        signCheck(
          breach((b) => {
            b['cards'][0]['selectionBehavior'] = 'any';
            b['cards'][0]['suggestions'] = [{ label: 'Do it' }];
          }),
        ),
        /suggestions\[0\]\.uuid is required/,
      );
    });

    it('a systemAction without description', () => {
      assertReported(signCheck(breach((b) => delete b['systemActions'][0]['description'])), /systemActions\[0\]\.description is required/);
    });

    it('a relative link', () => {
      assertReported(signCheck(breach((b) => (b['cards'].at(-1)['links'][0]['url'] = '/policies/x'))), /url must be an absolute http\(s\) URL/);
    });

    it('an override reason without display', () => {
      assertReported(
        signCheck(breach((b) => delete (b['cards'] as Json[]).find((c) => c['overrideReasons'])!['overrideReasons'][0]['display'])),
        /overrideReasons\[0\] needs code, system and display/,
      );
    });

    it('a null value', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['detail'] = null))), /cards\[0\]\.detail is null/);
    });

    it('an empty array', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['links'] = []))), /cards\[0\]\.links is an empty array/);
    });

    it('an empty string', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['detail'] = ''))), /cards\[0\]\.detail is an empty string/);
    });
  });

  describe('CRD rules', () => {
    it('order-sign without systemActions (Inferno)', () => {
      assertReported(signCheck({ cards: [] }), /order-sign responses must carry systemActions/);
    });

    it('a card topic outside the CRD card types', () => {
      assertReported(signCheck(breach((b) => (b['cards'][0]['source']['topic']['code'] = 'advertisement'))), /is not a CRD card type/);
    });

    it('a 2.2 topic system in a 2.0.1 answer', () => {
      assertReported(
        signCheck(breach((b) => (b['cards'][0]['source']['topic']['system'] = 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type'))),
        /topic\.system should be http:\/\/hl7\.org\/fhir\/us\/davinci-crd\/CodeSystem\/temp under CRD 2\.0/,
      );
    });

    it('an update that changes another field of the order (resp-37)', () => {
      assertReported(signCheck(breach((b) => (b['systemActions'][0]['resource']['status'] = 'active'))), /changes MedicationRequest\/tecartus-order-1 beyond the coverage-information extension \(CRD resp-37\)/);
    });

    it('an update of an order that is not in draftOrders', () => {
      assertReported(signCheck(breach((b) => (b['systemActions'][0]['resource']['id'] = 'someone-else'))), /updates MedicationRequest\/someone-else, which is not in draftOrders/);
    });

    it('an update without coverage information', () => {
      assertReported(signCheck(breach((b) => delete b['systemActions'][0]['resource']['extension'])), /carries no coverage-information extension/);
    });
  });

  describe('coverage-information invariants', () => {
    it('pa-needed on not-covered (q2)', () => {
      const body = breach((b) => {
        const info = infoOf(b);
        setCode(info, 'covered', 'not-covered');
        dropSub(info, 'info-needed');
        dropSub(info, 'doc-purpose');
        dropSub(info, 'doc-needed');
      });
      assertReported(signCheck(body), /q2 pa-needed must be absent when not-covered/);
    });

    it('no pa-needed on covered (2.0.1 q2)', () => {
      assertReported(signCheck(breach((b) => dropSub(infoOf(b), 'pa-needed'))), /2\.0\.1 q2 pa-needed is required unless not-covered/);
    });

    it('conditional without info-needed (q3)', () => {
      assertReported(signCheck(breach((b) => dropSub(infoOf(b), 'info-needed'))), /q3 conditional needs info-needed/);
    });

    it('info-needed without anything conditional (2.0.1 q3)', () => {
      assertReported(signCheck(breach((b) => setCode(infoOf(b), 'covered', 'covered'))), /2\.0\.1 q3 info-needed only when something is conditional/);
    });

    it('doc-purpose withpa on not-covered (q4)', () => {
      const body = breach((b) => {
        const info = infoOf(b);
        setCode(info, 'covered', 'not-covered');
        dropSub(info, 'info-needed');
        dropSub(info, 'pa-needed');
      });
      assertReported(signCheck(body), /q4 withpa with no PA/);
    });

    it('doc-purpose without a reason (q8)', () => {
      assertReported(signCheck(breach((b) => dropSub(infoOf(b), 'reason'))), /q8 doc-purpose needs a reason/);
    });

    it('a reason of our own without text (q7)', () => {
      assertReported(signCheck(breach((b) => delete sub(infoOf(b), 'reason')!['valueCodeableConcept']['text'])), /q7 a reason outside the CRD value set needs text/);
    });

    it('indeterminate in a 2.0.1 answer', () => {
      assertReported(signCheck(breach((b) => setCode(infoOf(b), 'covered', 'indeterminate'))), /covered indeterminate is not a CRD 2\.0 code/);
    });

    it('a ContactDetail in a 2.0.1 answer', () => {
      const body = breach((b) => {
        const contact = sub(infoOf(b), 'contact')!;
        contact['valueContactDetail'] = { telecom: [contact['valueContactPoint']] };
        delete contact['valueContactPoint'];
      });
      assertReported(signCheck(body), /contact must be a ContactPoint under CRD 2\.0\.1/);
    });

    it('two coverage-assertion-ids on one Coverage (Inferno)', () => {
      assertReported(signCheck(breach((b) => (sub(infoOf(b, 1), 'coverage-assertion-id')!['valueString'] = 'another-id'))), /carries 2 different coverage-assertion-ids/);
    });

    it('a missing coverage-assertion-id', () => {
      assertReported(signCheck(breach((b) => dropSub(infoOf(b), 'coverage-assertion-id'))), /coverage-assertion-id occurs 0 times/);
    });

    it('a date that is not a FHIR date', () => {
      assertReported(signCheck(breach((b) => (sub(infoOf(b), 'date')!['valueDate'] = '14/06/2026'))), /date must be a FHIR date/);
    });

    it('doc-needed on order-select (CRD hook-19)', () => {
      const selectRequest = { ...hookRequest, hook: 'order-select', context: { ...(hookRequest['context'] as Json), selections: ['MedicationRequest/tecartus-order-1', 'MedicationRequest/tecartus-order-2'] } };
      assertReported(selectCheck(good, selectRequest), /order-select must not carry doc-needed or doc-purpose \(CRD hook-19\)/);
    });
  });

  describe('error answers', () => {
    it('an OperationOutcome with a message passes, anything else does not', () => {
      assert.ok(isOperationOutcome({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { text: 'hook is required' } }] }));
      assert.ok(!isOperationOutcome({ error: 'bad request' }));
      assert.ok(!isOperationOutcome({ resourceType: 'OperationOutcome', issue: [] }));
      assert.ok(!isOperationOutcome({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] }));
    });
  });
});
