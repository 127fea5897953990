import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createTestApp, postHook } from '../support/test-app.js';

// The README's example call: examples/readme-order-sign.json sent to order-sign-crd, and
// the answer it shows, trimmed, with the whole answer in examples/order-sign-response.json.
// UPDATE_EXAMPLES=1 rewrites that file from the service's own answer.
const root = new URL('../../', import.meta.url);
const requestFile = new URL('examples/readme-order-sign.json', root);
const responseFile = new URL('examples/order-sign-response.json', root);

/** The call made on the order's own date (authoredOn 2026-11-20), at the address the README uses. */
const CALL_TIME = '2026-11-20T16:00:00Z';
const BASE_URL = 'http://localhost:3000';

/** Card uuids are new on every call; everything else in the answer is the same for the same request on the same day. */
function withoutCardUuids(response: { cards: { uuid?: string }[] }): unknown {
  return { ...response, cards: response.cards.map((card) => ({ ...card, uuid: '(a new uuid on each call)' })) };
}

describe('The README example: examples/order-sign-response.json', () => {
  it('is the answer the service gives to examples/readme-order-sign.json (card uuids aside)', async () => {
    const { app } = createTestApp({ PUBLIC_BASE_URL: BASE_URL }, { now: () => new Date(CALL_TIME) });
    const request = JSON.parse(readFileSync(requestFile, 'utf8')) as object;
    const res = await postHook(app, 'order-sign-crd', request);
    assert.equal(res.status, 200);
    if (process.env['UPDATE_EXAMPLES'] === '1') writeFileSync(responseFile, `${JSON.stringify(res.body, null, 2)}\n`);
    const example = JSON.parse(readFileSync(responseFile, 'utf8')) as { cards: { uuid?: string }[] };
    assert.deepEqual(withoutCardUuids(res.body as { cards: { uuid?: string }[] }), withoutCardUuids(example), 'the example answer is stale: rerun this test with UPDATE_EXAMPLES=1 and check the README example against it');
  });

  it('is summed up correctly in the README: its cards, its system action and its reason codes', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const example = JSON.parse(readFileSync(responseFile, 'utf8')) as {
      cards: { summary: string; indicator: string }[];
      systemActions: { type: string; resource: { extension?: { url: string; extension?: { url: string; valueCodeableConcept?: { coding?: { code?: string }[] } }[] }[] } }[];
    };
    for (const card of example.cards) assert.ok(readme.includes(card.summary), `the README shows the card "${card.summary}"`);
    assert.deepEqual(
      example.systemActions.map((a) => a.type),
      ['update'],
    );
    const coverageInformation = example.systemActions[0]!.resource.extension!.find((e) => e.url.endsWith('/ext-coverage-information'))!;
    const reasons = coverageInformation.extension!.filter((e) => e.url === 'reason').map((e) => e.valueCodeableConcept!.coding![0]!.code!);
    for (const reason of reasons) assert.ok(readme.includes(`\`${reason}\``), `the README names the reason ${reason}`);
  });
});
