import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Encounter, FhirResource, Medication } from 'fhir/r4.js';
import { assembleRecord } from '../../src/fhir/assemble-record.js';
import { parseDay } from '../../src/fhir/dates.js';
import type { RecordPart } from '../../src/fhir/patient-record.js';
import { evaluateTecartusOrder } from '../../src/policy/evaluate-order.js';
import { matchPolicyOrder, ORDER_RESOURCE_TYPES } from '../../src/policy/find-policy-orders.js';
import { loadPolicyCases, type PolicyCase } from '../support/policy-cases.js';
import { testPolicy } from '../support/test-app.js';

/**
 * The policy case library (policies/tecartus-carepartners-ct/cases/), run on
 * the pure engine: one test per case, named `<topic>: <title>`. The cases are
 * written from the policy, not from the engine; a failure is a disagreement
 * between the two, to be settled by the UM team and the engine's authors.
 *
 * Run only the library: node --import tsx --test test/policy/case-library.test.ts
 */

/** What the engine said about one judged order. */
interface Judged {
  readonly covered: string;
  readonly reasons: readonly string[];
  readonly coverage?: string | undefined;
  readonly evidenceRefs: readonly string[];
}

/** Where each resource type of a case's record goes in the engine's record (current engine: these parts only). */
const PART_OF_TYPE: Readonly<Record<string, RecordPart>> = {
  Patient: 'patient',
  Coverage: 'coverage',
  Condition: 'conditions',
  Procedure: 'procedures',
  MedicationRequest: 'medicationRequests',
  MedicationAdministration: 'medicationAdministrations',
  MedicationStatement: 'medicationStatements',
  Medication: 'medications',
};

/**
 * THE ADAPTER: the one place the library calls the engine. It builds the
 * engine's record from the case's resources, finds the Tecartus orders among
 * the call's drafts and judges each. Re-point it here when the engine's API
 * changes; nothing else in the library knows the engine.
 */
function judgeCase(c: PolicyCase): { perOrder: Map<string, Judged> } {
  const policy = testPolicy();
  const parts = new Map<RecordPart, FhirResource[]>();
  for (const r of c.record) {
    // The encounter of the call is context.encounterId; other Encounters are history the current engine does not read.
    if (r.resourceType === 'Encounter') {
      if (r.id === c.encounterId) parts.set('encounter', [r as Encounter]);
      continue;
    }
    const part = PART_OF_TYPE[r.resourceType];
    if (part) parts.set(part, [...(parts.get(part) ?? []), r]);
  }
  const unavailable = c.unreadable.flatMap((type) => {
    const part = type === 'Encounter' ? 'encounter' : PART_OF_TYPE[type];
    return part ? [{ part, reason: 'the EHR\'s query failed (case library)' }] : [];
  });
  const draftMedications = c.orders.filter((r): r is Medication => r.resourceType === 'Medication');
  const record = assembleRecord(parts, draftMedications, unavailable);
  const drafts = c.orders.filter((r) => ORDER_RESOURCE_TYPES.has(r.resourceType));
  const draftOrderRefs = new Set(drafts.map((o) => `${o.resourceType}/${o.id}`));
  const callDay = parseDay(c.callDate)!;
  const perOrder = new Map<string, Judged>();
  for (const order of drafts) {
    if (matchPolicyOrder(order, policy, [...draftMedications, ...record.medications]).kind !== 'match') continue;
    const decision = evaluateTecartusOrder({ policy, order, record, draftOrderRefs, callDay });
    perOrder.set(`${order.resourceType}/${order.id}`, {
      covered: decision.determination,
      reasons: [...new Set(decision.findings.map((f) => f.code))],
      coverage: decision.coverage?.reference,
      evidenceRefs: decision.findings.flatMap((f) => f.evidence.map((e) => e.reference)),
    });
  }
  return { perOrder };
}

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

function said(j: Judged | undefined): string {
  return j ? `${j.covered} [${j.reasons.join(', ')}]` : 'nothing (not judged)';
}
