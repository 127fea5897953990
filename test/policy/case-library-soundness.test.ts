import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { decisionTableCases } from '../support/decision-table.js';
import {
  CaseFileError,
  caseFiles,
  CASES_DIR,
  FINDING_CODES,
  loadPolicyCase,
  loadPolicyCases,
  type Determination,
  type FindingCode,
  type OrderExpectation,
} from '../support/policy-cases.js';

/** The determination each finding code gives (issue 10); combined worst-first. */
const FINDING_DETERMINATION: Record<FindingCode, Determination> = {
  'prior-car-t': 'not-covered',
  'age-under-18': 'not-covered',
  'diagnosis-not-qualifying': 'conditional',
  'rr-status-undocumented': 'conditional',
  'lineage-undocumented': 'conditional',
  'age-unknown': 'conditional',
  'possible-prior-car-t': 'conditional',
  'repeat-dosing': 'conditional',
  'outpatient-attestation': 'conditional',
  eligibility: 'conditional',
  'data-unavailable': 'indeterminate',
};
const RANK: Record<Determination, number> = { covered: 0, conditional: 1, indeterminate: 2, 'not-covered': 3 };

function worstOf(reasons: readonly FindingCode[]): Determination {
  return reasons.map((r) => FINDING_DETERMINATION[r]).reduce<Determination>((worst, d) => (RANK[d] > RANK[worst] ? d : worst), 'covered');
}

describe('The policy case library is sound', () => {
  for (const file of caseFiles()) {
    it(`${relative(CASES_DIR, file)} parses and names its clause and rule`, () => {
      const c = loadPolicyCase(file);
      assert.ok(c.clause.length > 10, 'the clause it tests, quoted from the policy');
      assert.ok(c.rule.length > 10, 'the decision rule it tests');
      if (c.judgment) assert.ok(c.note && c.note.length > 20, 'a judgment call says why in `note`');
    });
  }

  const cases = loadPolicyCases();
  const expectations = cases.flatMap((c) => [...c.expectations.entries()].map(([ref, e]) => ({ c, ref, e })));

  it('holds at least 80 cases', () => {
    assert.ok(cases.length >= 80, `${cases.length} cases`);
  });

  it('has unique case ids and titles', () => {
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
    assert.equal(new Set(cases.map((c) => c.title.toLowerCase())).size, cases.length);
  });

  it('expects every finding code of issue 10 somewhere', () => {
    const seen = new Set(expectations.flatMap(({ e }) => e.reasons));
    assert.deepEqual(
      FINDING_CODES.filter((code) => !seen.has(code)),
      [],
      'finding codes no case expects',
    );
  });

  it('restates every row of the decision table (test/support/decision-table.ts)', () => {
    const named = new Set(cases.flatMap((c) => [c.decisionTableRow, c.title].filter((t): t is string => t !== undefined)));
    const missing = decisionTableCases()
      .map((row) => row.name)
      .filter((name) => !named.has(name));
    assert.deepEqual(missing, [], 'decision-table rows with no case (set decisionTableRow to the row name)');
  });

  it('expects determinations that follow from the reasons (worst first: not-covered, indeterminate, conditional, covered)', () => {
    const wrong = expectations
      .filter(({ e }) => e.covered !== 'none')
      .filter(({ e }) => worstOf(e.reasons as FindingCode[]) !== e.covered)
      .map(({ c, ref, e }: { c: { id: string }; ref: string; e: OrderExpectation }) => `${c.id} ${ref}: ${e.covered} with [${e.reasons.join(', ')}]`);
    assert.deepEqual(wrong, []);
  });

  it('tests each topic in both directions (a case that is covered and one that is not)', () => {
    const topics = new Map<string, Set<string>>();
    for (const { c, e } of expectations) {
      const set = topics.get(c.topic) ?? new Set<string>();
      set.add(e.covered === 'covered' ? 'covered' : 'not covered');
      topics.set(c.topic, set);
    }
    const oneSided = [...topics]
      .filter(([topic]) => cases.filter((c) => c.topic === topic).length >= 5)
      .filter(([, directions]) => directions.size < 2)
      .map(([topic]) => topic);
    assert.deepEqual(oneSided, []);
  });

  it('runs some cases end to end, each topic of the rules that touch the protocol included', () => {
    const e2eTopics = new Set(cases.filter((c) => c.e2e).map((c) => c.topic));
    for (const topic of ['real-client-shapes', 'coverage', 'cards', 'decision-table']) assert.ok(e2eTopics.has(topic), topic);
  });
});

describe('A malformed case file is reported with its path and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-cases-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(join(dir, 'broken'), { recursive: true });
    const file = join(dir, 'broken', `${name}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  const header = 'title: t\nclause: "Limitations: a clause"\nrule: "a rule for the test"\nbase: adult-relapsed-mcl\n';
  const messageOf = (file: string) => {
    try {
      loadPolicyCase(file);
    } catch (error) {
      assert.ok(error instanceof CaseFileError, String(error));
      return error.message;
    }
    assert.fail('the case should have been refused');
  };

  it('names an unknown determination', () => {
    const message = messageOf(write('bad-covered', `${header}expect: { covered: maybe }\n`));
    assert.match(message, /broken\/bad-covered\.yaml: expect\.covered: must be one of covered, conditional, not-covered, indeterminate, none/);
  });

  it('names a misspelt field', () => {
    assert.match(messageOf(write('typo', `${header}expct: { covered: covered }\nexpect: { covered: covered }\n`)), /typo\.yaml: .*expct/);
  });

  it('names a finding code that does not exist, and refuses pa-required', () => {
    assert.match(messageOf(write('bad-reason', `${header}expect: { covered: conditional, reasons: [pa-required] }\n`)), /bad-reason\.yaml: expect\.reasons\.0: must be a finding code/);
  });

  it('names a removal of something the base does not hold', () => {
    assert.match(messageOf(write('bad-remove', `${header}remove: [Condition/nope]\nexpect: { covered: covered }\n`)), /bad-remove\.yaml: remove\.0: Condition\/nope is not in the base record/);
  });

  it('asks for a note on a judgment call', () => {
    assert.match(messageOf(write('no-note', `${header}judgment: true\nexpect: { covered: covered }\n`)), /no-note\.yaml: note: is required when judgment is true/);
  });

  it('refuses a resource without an id', () => {
    assert.match(messageOf(write('no-id', `${header}add: [ { resourceType: Condition } ]\nexpect: { covered: covered }\n`)), /no-id\.yaml: add\.0\.id: every resource needs an id/);
  });
});
