import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Parameters, QuestionnaireResponse } from 'fhir/r4.js';
import { loadDtrArtifacts } from '../../src/dtr/dtr-artifacts.js';
import { packageContents } from '../../src/dtr/package-contents.js';
import { fromRoot } from '../../src/paths.js';
import { PolicyDefinition } from '../../src/policy/policy-definition.js';
import { DOC_REASON, DTR_EXTENSIONS, SDC_EXTENSIONS } from '../support/dtr-canonicals.js';
import { dtrErrorOutcomeViolations, dtrPackageViolations, questionnaireResponseViolations, type DtrPackageContext } from '../support/dtr-conformance.js';
import { buildQuestionnairePackageRequest } from '../support/dtr-requests.js';
import { buildCoverage, buildTecartusOrder, PATIENT_ID } from '../support/fhir-factories.js';

/**
 * The DTR conformance check (test/support/dtr-conformance.ts) will guard every
 * $questionnaire-package answer the suite produces, so it must be able to
 * fail: a good package (the policy's own Questionnaire, Libraries and
 * ValueSets with a draft QuestionnaireResponse) yields no violation, each
 * hand-made breach below is reported under its rule's key, and the IG's own
 * examples are reported for the defects they are known to have.
 */
/** Answers are edited by hand below, so their JSON is loosely typed. */
type Json = Record<string, any>;

const POLICY_DIRECTORY = fromRoot('policies', 'tecartus-carepartners-ct');
const policy = PolicyDefinition.parse(JSON.parse(readFileSync(join(POLICY_DIRECTORY, 'policy.json'), 'utf8')));
const contents = packageContents(policy, loadDtrArtifacts(POLICY_DIRECTORY), '2026-06-15T09:00:00-04:00');
const { questionnaire } = contents;
const QUESTIONNAIRE_CANONICAL = `${questionnaire.url}|${questionnaire.version}`;
const PAYER_BASE = 'https://www.carepartnersct.com/fhir';

const coverage = buildCoverage();
const order = buildTecartusOrder();
const request = buildQuestionnairePackageRequest({ coverage, order, context: 'coverage-assertion-1', questionnaire: QUESTIONNAIRE_CANONICAL });

const origin = (source: string) => ({ url: DTR_EXTENSIONS.informationOrigin, extension: [{ url: 'source', valueCode: source }] });

/** The initial draft a payer returns for the Tecartus order: age pre-populated by the payer. */
function draftQuestionnaireResponse(): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    id: 'tecartus-draft',
    extension: [
      { url: DTR_EXTENSIONS.qrCoverage, valueReference: { reference: `Coverage/${coverage.id}` } },
      { url: DTR_EXTENSIONS.qrContext, valueReference: { reference: `MedicationRequest/${order.id}` } },
      { url: DTR_EXTENSIONS.intendedUse, valueCodeableConcept: { coding: [{ system: DOC_REASON['2.2'].system, code: 'withpa' }] } },
    ],
    questionnaire: QUESTIONNAIRE_CANONICAL,
    status: 'in-progress',
    subject: { reference: `Patient/${PATIENT_ID}` },
    item: [{ linkId: 'member', item: [{ linkId: 'age', answer: [{ valueInteger: 65, extension: [origin('auto-server')] }] }] }],
  };
}

function packageBundle(): Json {
  const resources = [questionnaire, ...contents.libraries, ...contents.valueSets, draftQuestionnaireResponse()];
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource: structuredClone(resource) })) };
}

const good: Json = { resourceType: 'Parameters', parameter: [{ name: 'packagebundle', resource: packageBundle() }] };

/** A copy of the good answer with one breach made by `edit`. */
function breach(edit: (answer: Json) => void, from: Json = good): Json {
  const answer = structuredClone(from);
  edit(answer);
  return answer;
}
const bundleOf = (answer: Json, i = 0): Json => answer['parameter'].filter((p: Json) => /bundle/i.test(p['name']))[i]['resource'];
const resourcesOf = (answer: Json, type: string): Json[] => (bundleOf(answer)['entry'] as Json[]).map((e) => e['resource']).filter((r) => r['resourceType'] === type);
const questionnaireOf = (answer: Json) => resourcesOf(answer, 'Questionnaire')[0]!;
const libraryOf = (answer: Json, name: string) => resourcesOf(answer, 'Library').find((l) => l['name'] === name)!;
const draftOf = (answer: Json) => resourcesOf(answer, 'QuestionnaireResponse')[0]!;
const valueSetsOf = (answer: Json) => resourcesOf(answer, 'ValueSet');
const removeEntries = (answer: Json, keep: (r: Json) => boolean) => {
  bundleOf(answer)['entry'] = (bundleOf(answer)['entry'] as Json[]).filter((e) => keep(e['resource']));
};
const itemOf = (resource: Json, linkId: string): Json => {
  const visit = (items: Json[] = []): Json | undefined => {
    for (const item of items) {
      if (item['linkId'] === linkId) return item;
      const found = visit(item['item']);
      if (found) return found;
    }
    return undefined;
  };
  return visit(resource['item'])!;
};
const ageAnswer = (answer: Json) => itemOf(draftOf(answer), 'age')['answer'][0];
const initialExpression = (answer: Json, linkId: string) => (itemOf(questionnaireOf(answer), linkId)['extension'] as Json[]).find((e) => e['url'] === SDC_EXTENSIONS.initialExpression)!['valueExpression'];
const dropExtension = (resource: Json, url: string) => {
  resource['extension'] = (resource['extension'] as Json[]).filter((e) => e['url'] !== url);
};

const check = (answer: unknown, context: DtrPackageContext = {}) => dtrPackageViolations(answer, context);
function assertReported(violations: string[], pattern: RegExp) {
  assert.ok(violations.some((v) => pattern.test(v)), `expected a violation matching ${pattern}, got:\n${violations.join('\n') || '(none)'}`);
}
/** The same package in DTR 2.0.1 form: 2.0.1 output names, the Coverage in qr-context, origin code `auto`. */
function as201(answer: Json): Json {
  return breach((a) => {
    for (const p of a['parameter'] as Json[]) p['name'] = p['name'] === 'packagebundle' ? 'PackageBundle' : p['name'] === 'outcome' ? 'operationOutcome' : p['name'];
    const draft = draftOf(a);
    dropExtension(draft, DTR_EXTENSIONS.qrCoverage);
    draft['extension'].push({ url: DTR_EXTENSIONS.qrContext, valueReference: { reference: `Coverage/${coverage.id}` } });
    draft['extension'].find((e: Json) => e['url'] === DTR_EXTENSIONS.intendedUse)['valueCodeableConcept']['coding'][0]['system'] = DOC_REASON['2.0.1'].system;
    ageAnswer(a)['extension'][0]['extension'][0]['valueCode'] = 'auto';
  }, answer);
}
const reference = (file: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/reference/dtr/${file}`, import.meta.url), 'utf8')) as Json;
const keysOf = (violations: string[]) => violations.map((v) => v.slice(0, v.indexOf(':')));

describe('The DTR questionnaire package check can fail', () => {
  describe('good answers yield no violation', () => {
    it("the policy's package with a draft QuestionnaireResponse, alone and against its request", () => {
      assert.deepEqual(check(good), []);
      assert.deepEqual(check(good, { request, payerBase: PAYER_BASE }), []);
    });

    it('the same package in DTR 2.0.1 form, when the client asks for 2.0.1', () => {
      assert.deepEqual(check(as201(good), { requestedVersion: '2.0.1', request }), []);
    });

    it('a requested Questionnaire that is not found, with a warning in outcome (oper-9)', () => {
      const missing = buildQuestionnairePackageRequest({ coverage, order, questionnaire: [QUESTIONNAIRE_CANONICAL, `${PAYER_BASE}/Questionnaire/retired|1`] });
      const answer = breach((a) => a['parameter'].push({ name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'not-found', details: { text: 'Questionnaire retired|1 is not known' } }] } }));
      assert.deepEqual(check(answer, { request: missing }), []);
    });

    it('no package, with an outcome saying why, when documentation was needed (oper-8)', () => {
      const answer = { resourceType: 'Parameters', parameter: [{ name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text: 'Fax the documentation to 617-673-0956' } }] } }] };
      assert.deepEqual(check(answer, { documentationNeeded: true }), []);
    });
  });

  describe('the output Parameters (oper-10)', () => {
    const cases: [string, unknown, RegExp, DtrPackageContext?][] = [
      ['a bare Bundle (Inferno accepts one; the IG does not)', bundleOf(good), /^oper-10: the answer must be a Parameters/],
      ['2.0.1 names in a 2.2 answer', as201(good), /^oper-10: parameter\[0\] "PackageBundle" is not a DTR 2\.2 output parameter .*is the DTR 2\.0\.1 name/],
      ['2.2 names in a 2.0.1 answer', good, /^oper-10: parameter\[0\] "packagebundle" is not a DTR 2\.0\.1 output parameter .*is the DTR 2\.2 name/, { requestedVersion: '2.0.1' }],
      ['no PackageBundle in a 2.0.1 answer (1..*)', good, /^dtr-qpackage-output-parameters\|2\.0\.1: PackageBundle is required/, { requestedVersion: '2.0.1' }],
      ['"return", the 2.0.1 OperationDefinition name', breach((a) => (a['parameter'][0]['name'] = 'return')), /"return" is not a DTR 2\.0\.1 output parameter.*output profile \(which Inferno validates\)/, { requestedVersion: '2.0.1' }],
      ['a packagebundle that carries no Bundle', breach((a) => (a['parameter'][0]['resource'] = questionnaire)), /^oper-10: parameter\[0\] packagebundle must carry a Bundle/],
      ['two outcomes', breach((a) => a['parameter'].push(...[1, 2].map(() => ({ name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing', details: { text: 'x' } }] } })))), /^oper-10: outcome occurs 2 times/],
      ['an outcome with a value', breach((a) => a['parameter'].push({ name: 'outcome', valueString: 'fine', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing', details: { text: 'x' } }] } })), /^oper-10: parameter\[1\] outcome carries a value\[x\]/],
      ['an outcome issue without text', breach((a) => a['parameter'].push({ name: 'outcome', resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'processing' }] } })), /^oper-10: .*issue\[0\]\.details\.text must say what went wrong/],
    ];
    for (const [name, answer, pattern, context] of cases) it(name, () => assertReported(check(answer, context), pattern));
  });

  describe('the package Bundle (DTR-QPackageBundle, oper-12, oper-18)', () => {
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['a searchset', (a) => (bundleOf(a)['type'] = 'searchset'), /^DTR-QPackageBundle: packagebundle\[0\]\.type must be collection/],
      ['a Library before the Questionnaire', (a) => bundleOf(a)['entry'].reverse(), /^oper-12: the first entry of packagebundle\[0\] must be a Questionnaire/],
      ['a Patient in the package', (a) => bundleOf(a)['entry'].push({ resource: { resourceType: 'Patient', id: PATIENT_ID } }), /^DTR-QPackageBundle: packagebundle\[0\] holds Patient\/pat-1; a package holds only/],
      ['two Questionnaires', (a) => bundleOf(a)['entry'].push({ resource: questionnaireOf(a) }), /^DTR-QPackageBundle: packagebundle\[0\] holds 2 Questionnaires; exactly one/],
      ['no draft QuestionnaireResponse', (a) => removeEntries(a, (r) => r['resourceType'] !== 'QuestionnaireResponse'), /^oper-18: packagebundle\[0\] holds 0 QuestionnaireResponses; it holds exactly one initial draft/],
      ['two drafts', (a) => bundleOf(a)['entry'].push({ resource: draftOf(a) }), /^oper-18: packagebundle\[0\] holds 2 QuestionnaireResponses/],
      ['an entry without resource', (a) => bundleOf(a)['entry'].push({ fullUrl: 'urn:uuid:0b4c7a7e-8a41-4b8e-9d1f-6f2a3c4d5e6f' }), /^DTR-QPackageBundle: packagebundle\[0\]\.entry\[\d+\] has no resource/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));

    it('a 2.0.1 package without a draft', () => {
      assertReported(check(breach((a) => removeEntries(a, (r) => r['resourceType'] !== 'QuestionnaireResponse'), as201(good)), { requestedVersion: '2.0.1' }), /^oper-18: PackageBundle\[0\] holds no QuestionnaireResponse/);
    });
  });

  describe('Libraries (oper-12, oper-13, oper-16, spec-87, spec-95, spec-98, spec-99)', () => {
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['FHIRHelpers left out', (a) => removeEntries(a, (r) => r['name'] !== 'FHIRHelpers'), /^oper-12: packagebundle\[0\] lacks https:\/\/www\.carepartnersct\.com\/fhir\/Library\/FHIRHelpers\|4\.0\.1, which packagebundle\[0\] Library\/TecartusPriorAuth depends on/],
      ['FHIRHelpers left out and not declared as depends-on: its CQL include still names it', (a) => {
        removeEntries(a, (r) => r['name'] !== 'FHIRHelpers');
        libraryOf(a, 'TecartusPriorAuth')['relatedArtifact'] = libraryOf(a, 'TecartusPriorAuth')['relatedArtifact'].filter((r: Json) => !/FHIRHelpers/.test(r['resource']));
      }, /^oper-12: packagebundle\[0\] lacks library FHIRHelpers version '4\.0\.1', which the CQL of packagebundle\[0\] Library\/TecartusPriorAuth includes/],
      ['the library the Questionnaire names left out', (a) => removeEntries(a, (r) => r['name'] !== 'TecartusPriorAuth'), /^oper-12: packagebundle\[0\] lacks the Library https:\/\/www\.carepartnersct\.com\/fhir\/Library\/TecartusPriorAuth\|2025-09-01 that the Questionnaire names in cqf-library/],
      ['cqf-library without version', (a) => (questionnaireOf(a)['extension'].find((e: Json) => e['url'] === SDC_EXTENSIONS.cqfLibrary)['valueCanonical'] = `${PAYER_BASE}/Library/TecartusPriorAuth`), /^oper-16: .*cqf-library https:\/\/www\.carepartnersct\.com\/fhir\/Library\/TecartusPriorAuth must be version-specific/],
      ['depends-on without version', (a) => (libraryOf(a, 'TecartusPriorAuth')['relatedArtifact'][0]['resource'] = `${PAYER_BASE}/Library/FHIRHelpers`), /^oper-16: packagebundle\[0\] Library\/TecartusPriorAuth depends-on https:\/\/www\.carepartnersct\.com\/fhir\/Library\/FHIRHelpers must be version-specific/],
      ['no ELM', (a) => (libraryOf(a, 'FHIRHelpers')['content'] = libraryOf(a, 'FHIRHelpers')['content'].slice(0, 1)), /^oper-13: packagebundle\[0\] Library\/FHIRHelpers has no application\/elm\+json content/],
      ['no CQL', (a) => (libraryOf(a, 'TecartusPriorAuth')['content'] = libraryOf(a, 'TecartusPriorAuth')['content'].slice(1)), /^oper-13: packagebundle\[0\] Library\/TecartusPriorAuth has no text\/cql content/],
      ['the ELM sent by url', (a) => (libraryOf(a, 'TecartusPriorAuth')['content'][1] = { contentType: 'application/elm+json', url: `${PAYER_BASE}/elm/TecartusPriorAuth.json` }), /^spec-99: packagebundle\[0\] Library\/TecartusPriorAuth: the application\/elm\+json content must be sent in content\.data/],
      ['CQL data that is not base64', (a) => (libraryOf(a, 'TecartusPriorAuth')['content'][0]['data'] = "library TecartusPriorAuth version '2025-09-01'"), /^spec-99: .*the text\/cql content\.data is not base64/],
      ['ELM content that is not ELM', (a) => (libraryOf(a, 'FHIRHelpers')['content'][1]['data'] = Buffer.from('<library/>').toString('base64')), /^oper-13: packagebundle\[0\] Library\/FHIRHelpers: the application\/elm\+json content is not ELM JSON/],
      ['a Library without url', (a) => delete libraryOf(a, 'FHIRHelpers')['url'], /^sdc-library: packagebundle\[0\] Library\/FHIRHelpers has no url/],
      ['a Library without version', (a) => delete libraryOf(a, 'FHIRHelpers')['version'], /^oper-16: packagebundle\[0\] Library\/FHIRHelpers has no version/],
      ['a Library nothing uses', (a) => bundleOf(a)['entry'].push({ resource: { ...structuredClone(libraryOf(a, 'FHIRHelpers')), id: 'Unused', name: 'Unused', url: `${PAYER_BASE}/Library/Unused` } }), /^spec-87: packagebundle\[0\] Library\/Unused is neither named by the Questionnaire's cqf-library nor a dependency/],
      ['the same Library twice', (a) => bundleOf(a)['entry'].push({ resource: libraryOf(a, 'FHIRHelpers') }), /^questionnaire-package: packagebundle\[0\] holds Library https:\/\/www\.carepartnersct\.com\/fhir\/Library\/FHIRHelpers\|4\.0\.1 twice/],
      ['two Libraries with one name', (a) => bundleOf(a)['entry'].push({ resource: { ...structuredClone(libraryOf(a, 'FHIRHelpers')), url: `${PAYER_BASE}/Library/Other` } }), /^spec-98: packagebundle\[0\] holds two Libraries named FHIRHelpers/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));
  });

  describe('ValueSets (oper-14, oper-15, oper-16)', () => {
    const mantleCell = (a: Json) => valueSetsOf(a).find((v) => /mantle-cell-lymphoma$/.test(v['id']))!;
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['a ValueSet the CQL reads left out', (a) => removeEntries(a, (r) => !/mantle-cell-lymphoma$/.test(r['id'] ?? '')), /^oper-14: packagebundle\[0\] lacks the ValueSet https:\/\/www\.carepartnersct\.com\/fhir\/ValueSet\/carepartners-ct-tecartus-mantle-cell-lymphoma\|2025-09-01 that packagebundle\[0\] Library\/TecartusPriorAuth depends on/],
      ['an answerValueSet that is not in the package', (a) => (itemOf(questionnaireOf(a), 'last-regimen-response')['answerValueSet'] = `${PAYER_BASE}/ValueSet/regimen-response|1`), /^oper-14: packagebundle\[0\] lacks the ValueSet https:\/\/www\.carepartnersct\.com\/fhir\/ValueSet\/regimen-response\|1 \(item last-regimen-response answerValueSet\)/],
      ['an answerValueSet without version', (a) => (itemOf(questionnaireOf(a), 'last-regimen-response')['answerValueSet'] = mantleCell(a)['url']), /^oper-16: item last-regimen-response answerValueSet names ValueSet .*must be version-specific/],
      ['a library dataRequirement naming a ValueSet not in the package', (a) => (libraryOf(a, 'TecartusPriorAuth')['dataRequirement'][1]['codeFilter'] = [{ path: 'code', valueSet: `${PAYER_BASE}/ValueSet/other|1` }]), /^oper-14: packagebundle\[0\] lacks the ValueSet https:\/\/www\.carepartnersct\.com\/fhir\/ValueSet\/other\|1 \(packagebundle\[0\] Library\/TecartusPriorAuth dataRequirement\)/],
      ['a small ValueSet not expanded', (a) => delete mantleCell(a)['expansion'], /^oper-15: .*carepartners-ct-tecartus-mantle-cell-lymphoma lists \d+ codes but carries no expansion/],
      ['an expansion without timestamp', (a) => delete mantleCell(a)['expansion']['timestamp'], /^oper-15: .*mantle-cell-lymphoma\.expansion has no timestamp/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));

    it('a large ValueSet (40 codes or more) may stay unexpanded', () => {
      const answer = breach((a) => {
        const valueSet = mantleCell(a);
        delete valueSet['expansion'];
        valueSet['compose']['include'][0]['concept'] = Array.from({ length: 40 }, (_, i) => ({ code: `C83.${i}` }));
      });
      assert.deepEqual(check(answer), []);
    });
  });

  describe('population expressions (Inferno, spec-86, spec-87, spec-96, spec-97)', () => {
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['text/cql-identifier (the 2.2 SHOULD, which the Inferno kit fails)', (a) => (initialExpression(a, 'age')['language'] = 'text/cql-identifier'), /^Inferno: .*item age initialExpression has language text\/cql-identifier; the DTR test kit accepts only text\/cql/],
      ['FHIRPath', (a) => Object.assign(initialExpression(a, 'age'), { language: 'text/fhirpath', expression: '%patient.birthDate' }), /^Inferno: .*item age initialExpression has language text\/fhirpath/],
      ['inline CQL instead of "Library".Definition', (a) => (initialExpression(a, 'age')['expression'] = 'AgeInYears()'), /^spec-86: .*item age initialExpression "AgeInYears\(\)" must name a library definition as "Library"\.Definition/],
      ['a definition the library does not have', (a) => (initialExpression(a, 'age')['expression'] = '"TecartusPriorAuth"."Age in months"'), /^spec-97: .*item age initialExpression names Age in months, which library TecartusPriorAuth does not define/],
      ['a library the package does not use', (a) => (initialExpression(a, 'age')['expression'] = '"OtherLibrary"."Age"'), /^spec-87: .*item age initialExpression names library "OtherLibrary", which is not a packaged library/],
      ['a CQL expression without its ELM', (a) => delete initialExpression(a, 'age')['extension'], /^spec-96: .*item age initialExpression: a CQL expression carries its ELM in an alternativeExpression extension/],
      ['an alternativeExpression that is not ELM', (a) => (initialExpression(a, 'age')['extension'][0]['valueExpression']['expression'] = 'corresponding elm data'), /^spec-96: .*item age initialExpression: the alternativeExpression must be compiled ELM/],
      ['no item expression at all', (a) => {
        const strip = (items: Json[] = []) => items.forEach((i) => {
          if (i['extension']) dropExtension(i, SDC_EXTENSIONS.initialExpression);
          strip(i['item']);
        });
        strip(questionnaireOf(a)['item']);
      }, /^Inferno: .*has no item initialExpression, candidateExpression or contextExpression/],
      ['no cqf-library nor launchContext', (a) => (questionnaireOf(a)['extension'] = []), /^Inferno: .*has no launchContext, variable, itemPopulationContext or cqf-library/],
      ['a variable in FHIRPath', (a) => questionnaireOf(a)['extension'].push({ url: SDC_EXTENSIONS.variable, valueExpression: { name: 'age', language: 'text/fhirpath', expression: '%patient.birthDate' } }), /^Inferno: .*Questionnaire\/carepartners-ct-tecartus-prior-authorization variable has language text\/fhirpath/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));
  });

  describe('the Questionnaire (dtr-base-questionnaire, oper-16)', () => {
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['no version', (a) => delete questionnaireOf(a)['version'], /^oper-16: .*Questionnaire\/carepartners-ct-tecartus-prior-authorization has no version/],
      ['an item without text', (a) => delete itemOf(questionnaireOf(a), 'tocilizumab-available')['text'], /^dtr-base-questionnaire: .*item tocilizumab-available has no text/],
      ['a subjectType other than Patient', (a) => (questionnaireOf(a)['subjectType'] = ['Practitioner']), /^dtr-base-questionnaire: .*subjectType must be \[Patient\]/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));
  });

  describe('the draft QuestionnaireResponse (oper-18, spec-65, spec-122, dtr-questionnaireresponse, dtrx-1, spec-139 to 141)', () => {
    const cases: [string, (a: Json) => void, RegExp][] = [
      ['completed, not in-progress', (a) => (draftOf(a)['status'] = 'completed'), /^oper-18: packagebundle\[0\] QuestionnaireResponse\[0\]\.status is completed; the initial draft is in-progress/],
      ['a Questionnaire canonical without version', (a) => (draftOf(a)['questionnaire'] = questionnaire.url), /^oper-16: packagebundle\[0\] QuestionnaireResponse\[0\]\.questionnaire must be version-specific/],
      ['another Questionnaire', (a) => (draftOf(a)['questionnaire'] = `${PAYER_BASE}/Questionnaire/referred-questionnaire|1`), /^spec-122: .*questionnaire https:\/\/www\.carepartnersct\.com\/fhir\/Questionnaire\/referred-questionnaire\|1 is not the packaged Questionnaire/],
      ['another version of the Questionnaire', (a) => (draftOf(a)['questionnaire'] = `${questionnaire.url}|2024-01-01`), /^spec-122: .*names version 2024-01-01; the packaged Questionnaire is 2025-09-01/],
      ['an answer the payer marks as the clinician\'s', (a) => (ageAnswer(a)['extension'][0]['extension'][0]['valueCode'] = 'manual'), /^spec-65: .*answers the payer pre-populates are auto-server, but items age \(manual\) say otherwise/],
      ['an answer without information-origin', (a) => delete ageAnswer(a)['extension'], /^dtr-questionnaireresponse: packagebundle\[0\] QuestionnaireResponse\[0\]\.item\[0\]\.item\[0\]\.answer\[0\] \(item age\) carries 0 information-origin extensions/],
      ['an auto-server answer with an author', (a) => ageAnswer(a)['extension'][0]['extension'].push({ url: 'author', extension: [{ url: 'practitioner', valueReference: { reference: 'Practitioner/prac-1' } }] }), /^dtrx-1: .*\(item age\): a auto-server answer has no author/],
      ['the 2.0.1 code auto in a 2.2 answer', (a) => (ageAnswer(a)['extension'][0]['extension'][0]['valueCode'] = 'auto'), /^information-origin: .*\(item age\): source auto is not a DTR 2\.2 information origin/],
      ['an item the Questionnaire does not have', (a) => draftOf(a)['item'].push({ linkId: 'weight', answer: [{ valueInteger: 70, extension: [origin('auto-server')] }] }), /^oper-18: .*answers item weight, which the packaged Questionnaire does not have/],
      ['no qr-context', (a) => dropExtension(draftOf(a), DTR_EXTENSIONS.qrContext), /^oper-18: packagebundle\[0\] QuestionnaireResponse\[0\] names no order or encounter in qr-context/],
      ['a qr-context naming a Coverage (the 2.0.1 way) in a 2.2 draft', (a) => draftOf(a)['extension'].push({ url: DTR_EXTENSIONS.qrContext, valueReference: { reference: `Coverage/${coverage.id}` } }), /^dtr-questionnaireresponse: .*qr-context Coverage\/cov-1 must reference a Device\/Medication\/ServiceRequest/],
      ['no qr-coverage', (a) => dropExtension(draftOf(a), DTR_EXTENSIONS.qrCoverage), /^dtr-questionnaireresponse: .*needs a qr-coverage extension naming the Coverage/],
      ['no intendedUse', (a) => dropExtension(draftOf(a), DTR_EXTENSIONS.intendedUse), /^dtr-questionnaireresponse: .*needs an intendedUse extension/],
      ['an intendedUse outside DocReason', (a) => (draftOf(a)['extension'][2]['valueCodeableConcept']['coding'][0]['code'] = 'auth-needed'), /^dtr-questionnaireresponse: .*intendedUse must be a CRD DocReason code/],
      ['a subject that is not a Patient', (a) => (draftOf(a)['subject'] = { reference: 'Group/g1' }), /^dtr-questionnaireresponse: .*\.subject must reference the Patient/],
      ['basedOn', (a) => (draftOf(a)['basedOn'] = [{ reference: `MedicationRequest/${order.id}` }]), /^dtr-questionnaireresponse: .*\.basedOn is not allowed/],
      ['a contained reference outside item.answer', (a) => (draftOf(a)['author'] = { reference: '#payer' }), /^spec-141: .*\.author is a contained reference \(#payer\)/],
      ['an answer naming a contained resource that is not there', (a) => (itemOf(draftOf(a), 'member')['item'].push({ linkId: 'diagnosis', answer: [{ valueReference: { reference: '#dx' }, extension: [origin('auto-server')] }] })), /^spec-140: .*names #dx, which is not contained/],
    ];
    for (const [name, edit, pattern] of cases) it(name, () => assertReported(check(breach(edit)), pattern));

    it("an answer pointing to the payer's server (spec-139)", () => {
      const answer = breach((a) => itemOf(draftOf(a), 'member')['item'].push({ linkId: 'diagnosis', answer: [{ valueReference: { reference: `${PAYER_BASE}/Condition/c1` }, extension: [origin('auto-server')] }] }));
      assertReported(check(answer, { payerBase: PAYER_BASE }), /^spec-139: .*points to the payer's server \(https:\/\/www\.carepartnersct\.com\/fhir\/Condition\/c1\)/);
    });

    it('a 2.0.1 draft without the Coverage in qr-context', () => {
      const answer = breach((a) => (draftOf(a)['extension'] = draftOf(a)['extension'].filter((e: Json) => !/Coverage/.test(e['valueReference']?.['reference'] ?? ''))), as201(good));
      assertReported(check(answer, { requestedVersion: '2.0.1' }), /^dtr-questionnaireresponse\|2\.0\.1: .*needs a qr-context naming the Coverage/);
    });

    it('a 2.2 code in a 2.0.1 draft', () => {
      const answer = breach((a) => (ageAnswer(a)['extension'][0]['extension'][0]['valueCode'] = 'auto-server'), as201(good));
      assertReported(check(answer, { requestedVersion: '2.0.1' }), /^information-origin: .*source auto-server is not a DTR 2\.0\.1 information origin \(auto, override, manual\)/);
    });
  });

  describe('against the request (oper-8, oper-9, oper-18, Data Expectations)', () => {
    const cases: [string, Json, RegExp, Parameters?][] = [
      ['a draft for another patient', breach((a) => (draftOf(a)['subject'] = { reference: 'Patient/someone-else' })), /^oper-18: .*\.subject Patient\/someone-else is not the request's patient \(Patient\/pat-1\)/],
      ['a draft for another coverage', breach((a) => (draftOf(a)['extension'][0]['valueReference']['reference'] = 'Coverage/cov-9')), /^oper-18: .*names coverage Coverage\/cov-9, which is not the request's \(Coverage\/cov-1\)/],
      ['a draft for another order', breach((a) => (draftOf(a)['extension'][1]['valueReference']['reference'] = 'MedicationRequest/other')), /^oper-18: .*names MedicationRequest\/other in qr-context, which is not an order of the request/],
      ['an order no draft names', good, /^oper-18: no draft QuestionnaireResponse names the request's order MedicationRequest\/tecartus-order-2/, buildQuestionnairePackageRequest({ coverage, order: [order, buildTecartusOrder({ id: 'tecartus-order-2' })] })],
      ['a requested Questionnaire neither returned nor warned about', good, /^oper-9: the request asks for Questionnaire https:\/\/www\.carepartnersct\.com\/fhir\/Questionnaire\/retired\|1, which is not returned, and outcome carries no warning/, buildQuestionnairePackageRequest({ coverage, order, questionnaire: [QUESTIONNAIRE_CANONICAL, `${PAYER_BASE}/Questionnaire/retired|1`] })],
      ['a Questionnaire the request did not ask for', good, /^data-expectations: Questionnaire\/carepartners-ct-tecartus-prior-authorization is returned although the request's questionnaire canonicals/, buildQuestionnairePackageRequest({ coverage, order, questionnaire: `${PAYER_BASE}/Questionnaire/other|1` })],
    ];
    for (const [name, answer, pattern, req] of cases) it(name, () => assertReported(check(answer, { request: req ?? request }), pattern));

    it('no package and no outcome although documentation is needed (oper-8)', () => {
      assertReported(check({ resourceType: 'Parameters', parameter: [] }, { documentationNeeded: true }), /^oper-8: documentation is needed but no questionnaire is returned/);
    });
  });

  describe('across the bundles of one answer (Inferno)', () => {
    it('the same Library names in two package bundles', () => {
      const answer = breach((a) => a['parameter'].push({ name: 'packagebundle', resource: packageBundle() }));
      assertReported(check(answer), /^Inferno: Library TecartusPriorAuth is in packagebundle\[0\] and again in packagebundle\[1\]/);
    });

    it('no Library anywhere', () => {
      assertReported(check(breach((a) => removeEntries(a, (r) => r['resourceType'] !== 'Library'))), /^Inferno: no package Bundle holds a Library/);
    });
  });

  describe('error answers (oper-11, spec-130)', () => {
    const notFound = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', details: { text: 'Coverage cov-1 is not a CarePartners of Connecticut coverage' } }] };

    it('an OperationOutcome with an error issue and a 4xx status passes', () => {
      assert.deepEqual(dtrErrorOutcomeViolations(notFound, { httpStatus: 404 }), []);
    });

    it('a Parameters instead of a bare OperationOutcome', () => {
      assertReported(dtrErrorOutcomeViolations({ resourceType: 'Parameters', parameter: [{ name: 'outcome', resource: notFound }] }), /^oper-11: OperationOutcome must be an OperationOutcome/);
    });

    it('only warnings', () => {
      assertReported(dtrErrorOutcomeViolations({ ...notFound, issue: [{ ...notFound.issue[0], severity: 'warning' }] }), /^oper-11: a failure is answered with at least one error or fatal issue/);
    });

    it('an issue without text, or with a code outside IssueType', () => {
      assertReported(dtrErrorOutcomeViolations({ ...notFound, issue: [{ severity: 'error', code: 'not-found' }] }), /^oper-11: OperationOutcome\.issue\[0\]\.details\.text must say what went wrong/);
      assertReported(dtrErrorOutcomeViolations({ ...notFound, issue: [{ ...notFound.issue[0], code: 'coverage-unknown' }] }), /^oper-11: OperationOutcome\.issue\[0\]\.code coverage-unknown is not an R4 issue type/);
    });

    it('a 500 for a coverage that cannot be found', () => {
      assertReported(dtrErrorOutcomeViolations(notFound, { httpStatus: 500 }), /^spec-130: HTTP 500: problems with the request's data/);
    });
  });
});

describe("The DTR check reads the IG's own examples as the notes describe them (dtr-pas-spec.md §5)", () => {
  it('the IG 2.2.0 output Parameters: no Library, FHIRPath with placeholder ELM, a completed QuestionnaireResponse for another Questionnaire, item 2.6 without origin', () => {
    const violations = check(reference('dtr-qpackage-output-parameters.ig-2.2.0.json'));
    assert.deepEqual(keysOf(violations).sort(), [
      // Not in the notes' list, but the spec's: the Questionnaire has no version, so oper-16 cannot be met.
      'oper-16',
      // "no Library": the Inferno kit wants one, and a root-level pre-population extension.
      'Inferno',
      'Inferno',
      // "the expression is FHIRPath with placeholder ELM".
      'Inferno',
      'spec-96',
      // "item 2.6 has no information-origin".
      'dtr-questionnaireresponse',
      // "the QR is completed and points to referred-questionnaire": a completed QR is no draft, its answers are not the payer's, and spec-122.
      'oper-18',
      'spec-65',
      'spec-122',
    ].sort(), violations.join('\n'));
    assertReported(violations, /^Inferno: no package Bundle holds a Library/);
    assertReported(violations, /^spec-96: .*item 2\.1 initialExpression: the alternativeExpression must be compiled ELM/);
    assertReported(violations, /^spec-122: .*referred-questionnaire is not the packaged Questionnaire/);
    assertReported(violations, /\(item 2\.6\) carries 0 information-origin extensions/);
  });

  it('the IG 2.2.0 QuestionnaireResponse example: only item 2.6 without information-origin', () => {
    const violations = questionnaireResponseViolations(reference('dtr-questionnaireresponse.home-o2-questionnaireresponse.ig-2.2.0.json'));
    assert.deepEqual(violations, ['dtr-questionnaireresponse: QuestionnaireResponse.item[1].item[4].answer[0] (item 2.6) carries 0 information-origin extensions; every answer carries exactly one']);
  });

  it("the package composed from the Inferno fixture: unversioned canonicals and a FHIRHelpers Library without url, as chosen to pass Inferno; no ELM on the expressions", () => {
    const violations = check(reference('dtr-qpackage-output-parameters.composed-from-inferno-fixture.json'));
    assert.deepEqual(keysOf(violations).sort(), [
      // "The cqf-library canonical is deliberately unversioned to pass Inferno (against oper-16)".
      'oper-16',
      // §1.5: FHIRHelpers "has no url and is referenced as "resource": "Library/FHIRHelpers-4.0.0", not as a canonical".
      'oper-16',
      'sdc-library',
      // Not in the notes: the Inferno fixture's six CQL initialExpressions carry no alternativeExpression (spec-96).
      ...Array<string>(6).fill('spec-96'),
    ].sort(), violations.join('\n'));
    assertReported(violations, /^oper-16: .*cqf-library http:\/\/hl7\.org\/fhir\/us\/davinci-dtr\/Library\/BasicPatientInfo-prepopulation must be version-specific/);
    assertReported(violations, /^oper-16: .*depends-on Library\/FHIRHelpers-4\.0\.0 must be version-specific/);
  });
});

describe('buildQuestionnairePackageRequest', () => {
  it('sends the coverage, the order, the context id and the version-specific canonical under the input profile names', () => {
    assert.deepEqual(
      request.parameter?.map((p) => [p.name, p.resource?.resourceType ?? p.valueCanonical ?? p.valueString]),
      [
        ['coverage', 'Coverage'],
        ['order', 'MedicationRequest'],
        ['questionnaire', QUESTIONNAIRE_CANONICAL],
        ['context', 'coverage-assertion-1'],
      ],
    );
  });

  it('2.2 takes one coverage and no "referenced"; 2.0.1 takes several and "referenced"', () => {
    assert.throws(() => buildQuestionnairePackageRequest({ coverage: [coverage, { ...coverage, id: 'cov-2' }] }), /exactly one coverage/);
    assert.throws(() => buildQuestionnairePackageRequest({ referenced: [order] }), /no "referenced"/);
    const twoCoverages = buildQuestionnairePackageRequest({ names: '2.0.1', coverage: [coverage, { ...coverage, id: 'cov-2' }], referenced: [order] });
    assert.deepEqual(twoCoverages.parameter?.map((p) => p.name), ['coverage', 'coverage', 'order', 'referenced']);
  });

  it('refuses a request with none of order, questionnaire and context (dtr-1), and sends changedsince as an instant', () => {
    assert.throws(() => buildQuestionnairePackageRequest({ order: [] }), /dtr-1/);
    const resumed = buildQuestionnairePackageRequest({ order: [], context: 'coverage-assertion-1', changedsince: '2026-06-15T09:30:00-04:00' });
    assert.deepEqual(resumed.parameter?.at(-1), { name: 'changedsince', valueInstant: '2026-06-15T09:30:00-04:00' });
  });
});
