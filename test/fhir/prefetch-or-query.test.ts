import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fillTemplate } from '../../src/fhir/record-sources.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { decisionTableCases, type DecisionCase } from '../support/decision-table.js';
import { PATIENT_ID } from '../support/fhir-factories.js';
import { startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch } from '../support/patient-scenarios.js';
import { createTestApp, postHook, testDiscovery } from '../support/test-app.js';

const ORDER_SIGN_SOURCES = testDiscovery().sources.get(ORDER_SIGN)!;

type Delivery = 'all by prefetch' | 'all by queries' | 'mixed';

const { app } = createTestApp({ FHIR_ALLOW_HTTP: 'true' });
let server: FhirTestServer;
before(async () => {
  server = await startFhirTestServer({ pageSize: 1 });
});
after(() => server.close());

const failedPrefetch = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout', details: { text: 'query timed out' } }] };

/**
 * The prefetch for a delivery: complete; empty; or mixed, where the keys
 * alternate between prefetched, absent, and an OperationOutcome (the
 * client's query failed), so both kinds of gap are filled by queries.
 */
function prefetchFor(c: DecisionCase, delivery: Delivery): Record<string, unknown> {
  const full = asPrefetch(c.record);
  if (delivery === 'all by prefetch') return full;
  if (delivery === 'all by queries') return {};
  const mixed: Record<string, unknown> = {};
  Object.keys(full).forEach((key, i) => {
    if (i % 2 === 0) mixed[key] = full[key];
    else if (i % 4 === 3) mixed[key] = failedPrefetch;
  });
  return mixed;
}

/** Signs the case's order with its data delivered one way; returns what the clinician and the EHR get. */
async function decide(c: DecisionCase, delivery: Delivery) {
  server.reset();
  await server.load(c.record);
  const prefetch = prefetchFor(c, delivery);
  const byPrefetch = delivery === 'all by prefetch';
  const body = buildHookRequest({
    orders: [c.order],
    prefetch,
    ...(c.encounterId ? { encounterId: c.encounterId } : {}),
    // All by prefetch: no fhirServer at all, so nothing could have been queried.
    ...(byPrefetch ? {} : { fhirServer: server.url, accessToken: 'test-token' }),
  });
  const res = await postHook(app, ORDER_SIGN, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const info = coverageInformationFor(res.body, `${c.order.resourceType}/${c.order.id}`);
  assert.ok(info, `coverage information (${delivery})`);
  const context = { patientId: PATIENT_ID, encounterId: c.encounterId };
  const expectedQueries = ORDER_SIGN_SOURCES.filter((s) => !Object.hasOwn(prefetch, s.key) || (prefetch[s.key] as { resourceType?: string } | null)?.resourceType === 'OperationOutcome')
    .filter((s) => s.needs.every((n) => context[n as keyof typeof context] !== undefined))
    .map((s) => fillTemplate(s.template, context));
  return {
    decision: {
      covered: info.covered,
      paNeeded: info.paNeeded,
      reasons: info.reasons,
      assertionId: info.assertionId,
      cards: cardsOf(res.body).map(({ summary, detail, indicator, topic }) => ({ summary, detail, indicator, topic })),
    },
    firstQueries: server.paths().map((p) => p.replace(/&_count=\d+&_offset=\d+$/, '')),
    expectedQueries,
  };
}

describe('The same decision whether the record arrives by prefetch, by queries, or mixed', () => {
  for (const c of decisionTableCases()) {
    it(c.name, async () => {
      const byPrefetch = await decide(c, 'all by prefetch');
      assert.equal(byPrefetch.decision.covered, c.covered);
      assert.deepEqual(byPrefetch.decision.reasons, c.reasons);
      assert.deepEqual(byPrefetch.firstQueries, [], 'nothing is queried when prefetch has it all');

      const byQueries = await decide(c, 'all by queries');
      assert.deepEqual(byQueries.decision, byPrefetch.decision, 'all by queries');
      assert.deepEqual([...new Set(byQueries.firstQueries)].sort(), [...byQueries.expectedQueries].sort(), 'every template is run');

      const mixed = await decide(c, 'mixed');
      assert.deepEqual(mixed.decision, byPrefetch.decision, 'mixed');
      assert.deepEqual([...new Set(mixed.firstQueries)].sort(), [...mixed.expectedQueries].sort(), 'only the keys prefetch lacked are queried');
      assert.ok(mixed.expectedQueries.length > 0 && mixed.expectedQueries.length < byQueries.expectedQueries.length);
    });
  }
});
