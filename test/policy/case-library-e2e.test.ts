import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Bundle, Extension, FhirResource } from 'fhir/r4.js';
import type { Express } from 'express';
import { coverageInformationFor } from '../support/coverage-information.js';
import { ORDER_SIGN } from '../support/hook-requests.js';
import { loadPolicyCases, type PolicyCase } from '../support/policy-cases.js';
import { createTestApp, postHook, testDiscovery, testPolicy } from '../support/test-app.js';

/**
 * The cases of the policy case library marked `e2e: true`, end to end: an
 * order-sign call over HTTP to the real app, the record sent as prefetch (every
 * template discovery advertises, filled from the case's record), the call made
 * on the case's call date. Compares the coverage information's covered and
 * reasons (none when the case expects no Coverage or no Tecartus order) and,
 * where the case says so, the wording of the cards.
 *
 * Run only these: node --import tsx --test test/policy/case-library-e2e.test.ts
 */

type Json = Record<string, unknown>;

const apps = new Map<string, Express>();
/** One app per call date; the call is made at noon in the plan's time zone (16:00 UTC is 11:00 or 12:00 there). */
function appOn(callDate: string): Express {
  let app = apps.get(callDate);
  if (!app) {
    app = createTestApp({}, { now: () => new Date(`${callDate}T16:00:00Z`) }).app;
    apps.set(callDate, app);
  }
  return app;
}

/**
 * The prefetch a client would send: each template of the order-sign service's
 * discovery entry, answered from the case's record. A read (`Type/{{context.x}}`)
 * gives the resource or null; a search (`Type?...`) gives a searchset of every
 * resource of that type (a `status=` filter is applied, as the EHR would).
 */
function prefetchFor(c: PolicyCase, context: Readonly<Record<string, string | undefined>>): Record<string, FhirResource | null> {
  const templates = testDiscovery().services.get(ORDER_SIGN)!.prefetch;
  const prefetch: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(templates)) {
    const read = /^([A-Za-z]+)\/\{\{\s*context\.(\w+)\s*\}\}$/.exec(template);
    if (read) {
      const id = context[read[2]!];
      if (id === undefined) continue; // the client does not prefetch what its context lacks
      prefetch[key] = c.record.find((r) => r.resourceType === read[1] && r.id === id) ?? null;
      continue;
    }
    const search = /^([A-Za-z]+)\?(.*)$/.exec(template);
    assert.ok(search, `discovery prefetch template ${key} is neither a read nor a search: ${template}`);
    const statuses = new URLSearchParams(search[2]).get('status')?.split(',');
    const found = c.record.filter((r) => r.resourceType === search[1] && (!statuses || statuses.includes(String((r as { status?: unknown }).status))));
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: found.length, entry: found.map((resource) => ({ resource })) };
    prefetch[key] = bundle;
  }
  return prefetch;
}

function hookRequest(c: PolicyCase): Json {
  const context: Record<string, unknown> = {
    userId: 'Practitioner/prac-1',
    patientId: c.patientId,
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: c.orders.map((resource) => ({ resource })) },
  };
  if (c.encounterId) context['encounterId'] = c.encounterId;
  return {
    hookInstance: randomUUID(),
    hook: 'order-sign',
    context,
    prefetch: prefetchFor(c, { patientId: c.patientId, encounterId: c.encounterId }),
    // CRD 2.2, so an unreadable record answers `indeterminate` as the case library expects.
    extension: { 'davinci-crd.requestedVersion': '2.2' },
  };
}

/** Our own reason codes on a coverage-information (pa-required is implied and left out). */
function findingReasons(raw: Extension): string[] {
  const system = testPolicy().definition.reasonCodeSystem;
  return (raw.extension ?? [])
    .filter((s) => s.url === 'reason')
    .flatMap((s) => s.valueCodeableConcept?.coding ?? [])
    .filter((coding) => coding.system === system && coding.code !== 'pa-required')
    .map((coding) => coding.code!);
}

/** Every word a clinician reads on the cards: summaries, details and override reasons. */
function cardWords(body: Json): string {
  const cards = (body['cards'] as Json[] | undefined) ?? [];
  return cards
    .flatMap((card) => [card['summary'], card['detail'], ...((card['overrideReasons'] as Json[] | undefined) ?? []).map((o) => (o as { display?: unknown }).display)])
    .filter((t): t is string => typeof t === 'string')
    .join('\n')
    .toLowerCase();
}

const cases = loadPolicyCases().filter((c) => c.e2e);

describe('Policy case library, end to end over HTTP (order-sign)', () => {
  for (const c of cases) {
    it(`${c.topic}: ${c.title}`, async () => {
      const body = hookRequest(c);
      const res = await postHook(appOn(c.callDate), ORDER_SIGN, body);
      assert.equal(res.status, 200, `${c.id}: the call must be answered (issue 10 rule 7: never a 400 for what real clients send), got ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`);
      for (const [ref, expected] of c.expectations) {
        const info = coverageInformationFor(res.body as Json, ref);
        const where = `${c.id} (${ref})`;
        if (expected.covered === 'none' || expected.coverage === 'none') {
          assert.ok(info === undefined, `${where}: expected no coverage information, got covered=${info?.covered} on ${info?.coverage}`);
          continue;
        }
        assert.ok(info, `${where}: expected coverage information (${expected.covered}), the answer had none`);
        assert.deepEqual(
          { covered: info.covered, reasons: findingReasons(info.raw).sort() },
          { covered: expected.covered, reasons: [...expected.reasons].sort() },
          `${where}: coverage information differs from the case`,
        );
        if (expected.coverage !== undefined) assert.equal(info.coverage, expected.coverage, `${where}: the assertion should be about ${expected.coverage}`);
      }
      if ([...c.expectations.values()].every((e) => e.covered === 'none')) {
        assert.deepEqual((res.body as Json)['cards'], [], `${c.id}: no Tecartus order, so no cards`);
      }
      const words = cardWords(res.body as Json);
      for (const phrase of c.cardText?.includes ?? []) assert.ok(words.includes(phrase.toLowerCase()), `${c.id}: a card should say "${phrase}"; the cards said:\n${words}`);
      for (const phrase of c.cardText?.excludes ?? []) assert.ok(!words.includes(phrase.toLowerCase()), `${c.id}: no card may say "${phrase}"; the cards said:\n${words}`);
    });
  }
});
