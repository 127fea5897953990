import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeCase, type JudgedOrder } from '../support/judge-case.js';
import { loadPolicyCases } from '../support/policy-cases.js';

/**
 * The policy case library (policies/tecartus-carepartners-ct/cases/), run on
 * the pure engine: one test per case, named `<topic>: <title>`. The cases are
 * written from the policy, not from the engine; a failure is a disagreement
 * between the two, to be settled by the UM team and the engine's authors.
 *
 * The adapter that judges a case is test/support/judge-case.ts (shared with
 * test/dtr/cql-agrees-with-case-library.test.ts).
 *
 * Run only the library: node --import tsx --test test/policy/case-library.test.ts
 */

const cases = loadPolicyCases();

describe('Policy case library (pure engine)', () => {
  for (const c of cases) {
    it(`${c.topic}: ${c.title}`, () => {
      let judged: ReturnType<typeof judgeCase>;
      try {
        judged = judgeCase(c);
      } catch (error) {
        assert.fail(`${c.id}: the engine threw on this record: ${(error as Error).stack ?? String(error)}`);
      }
      for (const [ref, expected] of c.expectations) {
        const got = judged.perOrder.get(ref);
        const where = `${c.id} (${ref})`;
        if (expected.covered === 'none') {
          assert.equal(got, undefined, `${where}: expected the order not to be judged as Tecartus, but the engine said ${said(got)}`);
          continue;
        }
        assert.ok(got, `${where}: expected ${expected.covered} [${expected.reasons.join(', ')}], but the order was not judged as Tecartus`);
        assert.deepEqual(
          { covered: got.covered, reasons: [...got.reasons].sort() },
          { covered: expected.covered, reasons: [...expected.reasons].sort() },
          `${where}: expected ${expected.covered} [${expected.reasons.join(', ')}], the engine said ${said(got)}`,
        );
        if (expected.coverage !== undefined) {
          assert.equal(got.coverage ?? 'none', expected.coverage, `${where}: the assertion should use ${expected.coverage}, the engine used ${got.coverage ?? 'no Coverage'}`);
        }
        for (const ref of expected.evidence ?? []) {
          assert.ok(got.evidenceRefs.includes(ref), `${where}: ${ref} should be among the findings' evidence; the evidence was [${got.evidenceRefs.join(', ')}]`);
        }
      }
    });
  }
});

function said(j: JudgedOrder | undefined): string {
  return j ? `${j.covered} [${j.reasons.join(', ')}]` : 'nothing (not judged)';
}
