import {
  CQL_CONTENT_TYPE,
  DTR_EXTENSIONS,
  ELM_CONTENT_TYPE,
  INFORMATION_ORIGINS,
  PACKAGE_OUTPUT_NAMES,
  SDC_EXTENSIONS,
  type DtrVersion,
} from './dtr-canonicals.js';
import { CanonicalIndex, composedCodeCount, isVersionSpecific, parseCanonical, readPackagedLibrary, type PackagedLibrary } from './dtr-package-artifacts.js';
import {
  answersOf,
  checkQuestionnaireResponse,
  extensionReferences,
  linkIdsOf,
  originSourceOf,
  referencedType,
} from './dtr-questionnaire-response-conformance.js';
import { describe, extensionsOf, isObject, objects, text, violationCollector, type Fail, type Json } from './fhir-json.js';
import { checkOperationOutcome, issueSeverities } from './operation-outcome-conformance.js';

export { questionnaireResponseViolations, type QuestionnaireResponseContext } from './dtr-questionnaire-response-conformance.js';
export type { DtrVersion } from './dtr-canonicals.js';

/**
 * Checks a Da Vinci DTR $questionnaire-package answer (a Parameters) against
 * the payer-side rules, returning every breach found as a sentence that
 * starts with the rule's key:
 * - the output Parameters (oper-10): 2.2 names packagebundle/outcome, or the
 *   2.0.1 output profile's PackageBundle/operationOutcome when asked;
 * - each package Bundle (DTR-QPackageBundle): collection, the Questionnaire
 *   first (oper-12), every Library it uses through cqf-library and, recursively,
 *   depends-on and CQL include (oper-12), each with CQL and ELM in
 *   content.data (oper-13, spec-95, spec-99), every ValueSet referenced
 *   (oper-14), expanded when under 40 codes (oper-15), references
 *   version-specific (oper-16), one draft QuestionnaireResponse (oper-18,
 *   spec-65, spec-122);
 * - what the Inferno DTR payer tests (davinci-dtr-test-kit 0.17, DTR 2.0.1)
 *   fail: population expressions not in text/cql, no Library, Library names
 *   repeated across bundles;
 * - with the request: explicitly requested Questionnaires found or warned
 *   about (oper-9), the draft naming the request's patient, coverage and
 *   orders (oper-18).
 * Statement keys are DTR 2.2.0's (dtr-pas-spec.md, dtr-2.2.0-statements.tsv);
 * rules without a key name the profile, invariant or test kit that states them.
 */
export interface DtrPackageContext {
  /** The DTR version the client asked for; 2.2 when not said. */
  readonly requestedVersion?: DtrVersion;
  /** The $questionnaire-package input Parameters the answer is for. */
  readonly request?: unknown;
  /** CRD said documentation is needed for the request's context id: an empty answer must explain (oper-8). */
  readonly documentationNeeded?: boolean;
  /** The payer's FHIR base: the draft QuestionnaireResponse must not point there (spec-139). */
  readonly payerBase?: string;
}

interface PackageSummary {
  readonly path: string;
  readonly questionnaire: Json | undefined;
  readonly libraries: readonly PackagedLibrary[];
  readonly drafts: readonly Json[];
}

export function dtrPackageViolations(parameters: unknown, context: DtrPackageContext = {}): string[] {
  const { violations, fail } = violationCollector();
  const version = context.requestedVersion ?? '2.2';
  const names = PACKAGE_OUTPUT_NAMES[version];
  if (!isObject(parameters) || parameters['resourceType'] !== 'Parameters') {
    fail('oper-10', 'the answer must be a Parameters resource conformant to dtr-qpackage-output-parameters');
    return violations;
  }
  const bundles: { bundle: Json; path: string }[] = [];
  const outcomes: unknown[] = [];
  objects(parameters['parameter']).forEach((parameter, i) => {
    const name = parameter['name'];
    if (name === names.bundle) {
      const resource = parameter['resource'];
      if (isObject(resource) && resource['resourceType'] === 'Bundle') bundles.push({ bundle: resource, path: `${names.bundle}[${bundles.length}]` });
      else fail('oper-10', `parameter[${i}] ${names.bundle} must carry a Bundle in resource`);
    } else if (name === names.outcome) {
      if (version === '2.2' && Object.keys(parameter).some((k) => k.startsWith('value'))) fail('oper-10', `parameter[${i}] outcome carries a value[x]; it carries only the OperationOutcome (value[x] 0..0)`);
      checkOperationOutcome(parameter['resource'], `parameter[${i}] ${names.outcome}.resource`, 'oper-10', fail);
      outcomes.push(parameter['resource']);
    } else {
      fail('oper-10', `parameter[${i}] "${String(name)}" is not a DTR ${version} output parameter (${names.bundle}, ${names.outcome})${nameHint(name, version)}`);
    }
  });
  if (version === '2.2' && outcomes.length > 1) fail('oper-10', `outcome occurs ${outcomes.length} times (0..1)`);
  if (version === '2.0.1' && bundles.length === 0) fail('dtr-qpackage-output-parameters|2.0.1', 'PackageBundle is required (1..*) in the 2.0.1 output profile');

  const packages = bundles.map(({ bundle, path }) => checkPackageBundle(bundle, path, version, fail, context));
  checkAcrossPackages(packages, fail);
  if (context.request !== undefined) checkAgainstRequest(context.request, packages, outcomes, version, fail);
  if (context.documentationNeeded && bundles.length === 0 && !outcomes.some((o) => issueSeverities(o).length > 0)) {
    fail('oper-8', 'documentation is needed but no questionnaire is returned: the outcome must say how else to supply it, or that it is no longer needed');
  }
  return violations;
}

/**
 * An OperationOutcome answering a failed $questionnaire-package (oper-11; a
 * bare OperationOutcome, not a Parameters), with an HTTP status in 4xx when
 * the request's data is the problem (spec-130).
 */
export function dtrErrorOutcomeViolations(outcome: unknown, context: { readonly httpStatus?: number } = {}): string[] {
  const { violations, fail } = violationCollector();
  checkOperationOutcome(outcome, 'OperationOutcome', 'oper-11', fail);
  if (isObject(outcome) && !issueSeverities(outcome).some((s) => s === 'error' || s === 'fatal')) fail('oper-11', 'a failure is answered with at least one error or fatal issue');
  if (context.httpStatus !== undefined && (context.httpStatus < 400 || context.httpStatus > 499)) {
    fail('spec-130', `HTTP ${context.httpStatus}: problems with the request's data (coverage or context id not found …) are answered with a 4xx status`);
  }
  return violations;
}

function nameHint(name: unknown, version: DtrVersion): string {
  const other: DtrVersion = version === '2.2' ? '2.0.1' : '2.2';
  if (name === PACKAGE_OUTPUT_NAMES[other].bundle || name === PACKAGE_OUTPUT_NAMES[other].outcome) return `; "${String(name)}" is the DTR ${other} name`;
  if (name === 'return' && version === '2.0.1') return '; the 2.0.1 OperationDefinition says "return", but its output profile (which Inferno validates) names the slice PackageBundle';
  return '';
}

function checkPackageBundle(bundle: Json, path: string, version: DtrVersion, fail: Fail, context: DtrPackageContext): PackageSummary {
  if (bundle['type'] !== 'collection') fail('DTR-QPackageBundle', `${path}.type must be collection`);
  const entries = objects(bundle['entry']);
  entries.forEach((e, i) => {
    if (!isObject(e['resource'])) fail('DTR-QPackageBundle', `${path}.entry[${i}] has no resource`);
  });
  const resources = entries.map((e) => e['resource']).filter(isObject);
  if (resources[0]?.['resourceType'] !== 'Questionnaire') fail('oper-12', `the first entry of ${path} must be a Questionnaire (dtrb-1)`);
  const ofType = (type: string) => resources.filter((r) => r['resourceType'] === type);
  const questionnaires = ofType('Questionnaire');
  const drafts = ofType('QuestionnaireResponse');
  if (version === '2.2') {
    for (const r of resources) {
      if (!['Questionnaire', 'QuestionnaireResponse', 'Library', 'ValueSet'].includes(r['resourceType'] as string)) {
        fail('DTR-QPackageBundle', `${path} holds ${describe(r)}; a package holds only its Questionnaire, QuestionnaireResponse, Libraries and ValueSets (closed slicing)`);
      }
    }
    if (questionnaires.length !== 1) fail('DTR-QPackageBundle', `${path} holds ${questionnaires.length} Questionnaires; exactly one`);
    if (drafts.length !== 1) fail('oper-18', `${path} holds ${drafts.length} QuestionnaireResponses; it holds exactly one initial draft`);
  } else if (drafts.length === 0) {
    fail('oper-18', `${path} holds no QuestionnaireResponse; it holds an initial draft (2.0.1: one or more)`);
  }
  const questionnaire = questionnaires[0];
  const index = new CanonicalIndex(resources);
  const libraryEntries = ofType('Library');
  const libraries = libraryEntries.map((library) => readPackagedLibrary(library, `${path} ${describe(library)}`, fail));
  checkDuplicates(resources, path, fail);

  if (questionnaire) {
    const qPath = `${path} ${describe(questionnaire)}`;
    checkQuestionnaireBasics(questionnaire, qPath, fail);
    const used = checkLibrariesUsed(questionnaire, qPath, libraries, index, path, fail);
    checkValueSets(questionnaire, used, index, path, fail);
    checkExpressions(questionnaire, qPath, used, fail);
    for (const library of libraries) {
      if (!used.includes(library)) fail('spec-87', `${library.path} is neither named by the Questionnaire's cqf-library nor a dependency of a library it names`);
    }
  }
  for (const valueSet of ofType('ValueSet')) checkExpansion(valueSet, `${path} ${describe(valueSet)}`, fail);
  drafts.forEach((draft, i) => checkDraft(draft, `${path} QuestionnaireResponse[${i}]`, questionnaire, version, fail, context.payerBase));
  return { path, questionnaire, libraries, drafts };
}

/** The OperationDefinition notes: each Library and ValueSet appears only once; spec-98: Library names are unique in a package. */
function checkDuplicates(resources: readonly Json[], path: string, fail: Fail): void {
  const seen = new Set<string>();
  const names = new Set<string>();
  for (const r of resources) {
    if (r['resourceType'] !== 'Library' && r['resourceType'] !== 'ValueSet') continue;
    const key = `${String(r['resourceType'])} ${String(r['url'] ?? r['id'])}|${String(r['version'] ?? '')}`;
    if (seen.has(key)) fail('questionnaire-package', `${path} holds ${key} twice; each Library and ValueSet appears only once in the Bundle`);
    seen.add(key);
    if (r['resourceType'] === 'Library' && text(r['name'])) {
      if (names.has(r['name'] as string)) fail('spec-98', `${path} holds two Libraries named ${String(r['name'])}; Library names are unique within a package`);
      names.add(r['name'] as string);
    }
  }
}

/** dtr-base-questionnaire: subjectType Patient, every item has text; oper-16: a url and version to be referenced by. */
function checkQuestionnaireBasics(questionnaire: Json, path: string, fail: Fail): void {
  if (!text(questionnaire['url'])) fail('oper-16', `${path} has no url, so the draft QuestionnaireResponse cannot reference it by canonical`);
  if (!text(questionnaire['version'])) fail('oper-16', `${path} has no version, so nothing can reference it version-specifically`);
  const subjectTypes = Array.isArray(questionnaire['subjectType']) ? questionnaire['subjectType'] : [];
  if (subjectTypes.length !== 1 || subjectTypes[0] !== 'Patient') fail('dtr-base-questionnaire', `${path}.subjectType must be [Patient]`);
  const visit = (items: unknown) => {
    for (const item of objects(items)) {
      if (!text(item['text'])) fail('dtr-base-questionnaire', `${path} item ${String(item['linkId'])} has no text (item.text 1..1)`);
      visit(item['item']);
    }
  };
  visit(questionnaire['item']);
}

/**
 * oper-12: the Libraries the Questionnaire names in cqf-library and, recursively,
 * every depends-on (and every library its CQL includes, FHIRHelpers among them)
 * are in the Bundle; oper-16: those references are version-specific.
 * Returns the libraries reached.
 */
function checkLibrariesUsed(
  questionnaire: Json,
  qPath: string,
  libraries: readonly PackagedLibrary[],
  index: CanonicalIndex,
  path: string,
  fail: Fail,
): PackagedLibrary[] {
  const reached: PackagedLibrary[] = [];
  const queue: PackagedLibrary[] = [];
  const reach = (library: PackagedLibrary | undefined) => {
    if (library && !reached.includes(library)) {
      reached.push(library);
      queue.push(library);
    }
  };
  const byResource = (resource: Json | undefined) => libraries.find((l) => l.resource === resource);
  for (const extension of extensionsOf(questionnaire, SDC_EXTENSIONS.cqfLibrary)) {
    const canonical = text(extension['valueCanonical']);
    if (!canonical) {
      fail('dtr-base-questionnaire', `${qPath} has a cqf-library without valueCanonical`);
      continue;
    }
    if (!isVersionSpecific(canonical)) fail('oper-16', `${qPath} cqf-library ${canonical} must be version-specific (url|version)`);
    const library = byResource(index.find(canonical, 'Library'));
    if (!library) fail('oper-12', `${path} lacks the Library ${canonical} that the Questionnaire names in cqf-library`);
    reach(library);
  }
  while (queue.length > 0) {
    const library = queue.shift()!;
    for (const artifact of objects(library.resource['relatedArtifact']).filter((a) => a['type'] === 'depends-on')) {
      const canonical = text(artifact['resource']);
      if (!canonical) continue;
      if (!isVersionSpecific(canonical)) fail('oper-16', `${library.path} depends-on ${canonical} must be version-specific (url|version)`);
      const target = index.find(canonical);
      if (target?.['resourceType'] === 'Library') reach(byResource(target));
      else if (!target && canonical.includes('/ValueSet/')) fail('oper-14', `${path} lacks the ValueSet ${canonical} that ${library.path} depends on`);
      else if (!target) fail('oper-12', `${path} lacks ${canonical}, which ${library.path} depends on`);
    }
    for (const include of library.includes) {
      const target = libraries.find((l) => l.identifier === include.name && (include.version === undefined || l.version === include.version));
      if (!target) fail('oper-12', `${path} lacks library ${include.name} version '${include.version ?? '(any)'}', which the CQL of ${library.path} includes`);
      reach(target);
    }
  }
  return reached;
}

/**
 * oper-14: every ValueSet the Questionnaire references (answerValueSet) or its
 * libraries reference (dataRequirement, the ELM's valueset declarations) is in
 * the Bundle; oper-16: by a version-specific canonical.
 */
function checkValueSets(questionnaire: Json, libraries: readonly PackagedLibrary[], index: CanonicalIndex, path: string, fail: Fail): void {
  const referenced: { canonical: string; from: string }[] = [];
  const visit = (items: unknown) => {
    for (const item of objects(items)) {
      const answerValueSet = text(item['answerValueSet']);
      if (answerValueSet && !answerValueSet.startsWith('#')) referenced.push({ canonical: answerValueSet, from: `item ${String(item['linkId'])} answerValueSet` });
      visit(item['item']);
    }
  };
  visit(questionnaire['item']);
  for (const library of libraries) {
    for (const requirement of objects(library.resource['dataRequirement'])) {
      for (const filter of objects(requirement['codeFilter'])) {
        const valueSet = text(filter['valueSet']);
        if (valueSet) referenced.push({ canonical: valueSet, from: `${library.path} dataRequirement` });
      }
    }
    for (const valueSet of library.valueSets) {
      referenced.push({ canonical: valueSet.version ? `${valueSet.name}|${valueSet.version}` : valueSet.name, from: `the CQL of ${library.path}` });
    }
  }
  for (const { canonical, from } of referenced) {
    if (!isVersionSpecific(canonical)) fail('oper-16', `${from} names ValueSet ${canonical}; the reference must be version-specific (url|version)`);
    if (!index.find(canonical, 'ValueSet')) fail('oper-14', `${path} lacks the ValueSet ${canonical} (${from})`);
  }
}

/** oper-15: a value set under 40 codes is expanded, as of the current date (expansion.timestamp). */
function checkExpansion(valueSet: Json, path: string, fail: Fail): void {
  const expansion = valueSet['expansion'];
  if (isObject(expansion)) {
    if (!text(expansion['timestamp'])) fail('oper-15', `${path}.expansion has no timestamp`);
    return;
  }
  const count = composedCodeCount(valueSet);
  if (count !== undefined && count < 40) fail('oper-15', `${path} lists ${count} codes but carries no expansion; value sets under 40 codes are expanded`);
}

const INFERNO_ITEM_EXPRESSIONS = [SDC_EXTENSIONS.initialExpression, SDC_EXTENSIONS.candidateExpression, SDC_EXTENSIONS.contextExpression];
const INFERNO_ROOT_EXPRESSIONS = [SDC_EXTENSIONS.variable, SDC_EXTENSIONS.itemPopulationContext];
const CQL_EXPRESSION = /^"([^"]+)"\.(?:"([^"]+)"|([A-Za-z_]\w*))$/;
const shortName = (url: string) => url.slice(url.lastIndexOf('/') + 1).replace(/^sdc-questionnaire-/, '');

/**
 * Population expressions, as the Inferno DTR payer tests read them
 * (cql_test.rb): initial/candidate/context expressions on items and
 * variable/itemPopulationContext on the Questionnaire are text/cql, and some
 * exist; spec-86/spec-97: each names a definition of a packaged library as
 * "Library".Definition; spec-96: each carries its ELM (alternativeExpression).
 */
function checkExpressions(questionnaire: Json, qPath: string, libraries: readonly PackagedLibrary[], fail: Fail): void {
  const rootPopulation = [SDC_EXTENSIONS.launchContext, ...INFERNO_ROOT_EXPRESSIONS, SDC_EXTENSIONS.cqfLibrary].some((url) => extensionsOf(questionnaire, url).length > 0);
  if (!rootPopulation) fail('Inferno', `${qPath} has no launchContext, variable, itemPopulationContext or cqf-library: the DTR test kit requires the Questionnaire to demonstrate pre-population`);
  const expressions: { where: string; url: string; expression: Json }[] = [];
  for (const url of INFERNO_ROOT_EXPRESSIONS) {
    for (const e of extensionsOf(questionnaire, url)) if (isObject(e['valueExpression'])) expressions.push({ where: qPath, url, expression: e['valueExpression'] });
  }
  let itemExpressions = 0;
  const visit = (items: unknown) => {
    for (const item of objects(items)) {
      for (const url of INFERNO_ITEM_EXPRESSIONS) {
        for (const e of extensionsOf(item, url)) {
          if (!isObject(e['valueExpression'])) continue;
          itemExpressions++;
          expressions.push({ where: `${qPath} item ${String(item['linkId'])}`, url, expression: e['valueExpression'] });
        }
      }
      visit(item['item']);
    }
  };
  visit(questionnaire['item']);
  if (itemExpressions === 0) fail('Inferno', `${qPath} has no item initialExpression, candidateExpression or contextExpression: the DTR test kit requires pre-population`);

  for (const { where, url, expression } of expressions) {
    const name = shortName(url);
    const language = String(expression['language']);
    const source = String(expression['expression']);
    checkAlternativeExpression(expression, `${where} ${name}`, fail);
    if (language !== CQL_CONTENT_TYPE) {
      fail('Inferno', `${where} ${name} has language ${language}; the DTR test kit accepts only text/cql for population expressions`);
      continue;
    }
    const match = CQL_EXPRESSION.exec(source);
    if (!match) {
      fail('spec-86', `${where} ${name} "${source}" must name a library definition as "Library".Definition (spec-97)`);
      continue;
    }
    const [, libraryName, quoted, bare] = match;
    const definition = quoted ?? bare!;
    const library = libraries.find((l) => l.identifier === libraryName || l.resource['name'] === libraryName);
    if (!library) fail('spec-87', `${where} ${name} names library "${libraryName}", which is not a packaged library the Questionnaire uses`);
    else if (library.definitions && !library.definitions.has(definition)) fail('spec-97', `${where} ${name} names ${definition}, which library ${libraryName} does not define`);
  }
}

/** spec-96: a CQL expression carries its compiled ELM (JSON) in DTR's alternativeExpression. */
function checkAlternativeExpression(expression: Json, where: string, fail: Fail): void {
  const alternatives = extensionsOf(expression, DTR_EXTENSIONS.alternativeExpression);
  const isCql = String(expression['language']).startsWith(CQL_CONTENT_TYPE);
  if (isCql && alternatives.length === 0) fail('spec-96', `${where}: a CQL expression carries its ELM in an alternativeExpression extension`);
  for (const alternative of alternatives) {
    const elm = isObject(alternative['valueExpression']) ? alternative['valueExpression'] : {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(elm['expression']));
    } catch {
      parsed = undefined;
    }
    if (elm['language'] !== ELM_CONTENT_TYPE || !isObject(parsed) || typeof parsed['type'] !== 'string') {
      fail('spec-96', `${where}: the alternativeExpression must be compiled ELM (language ${ELM_CONTENT_TYPE}, an ELM JSON expression)`);
    }
  }
}

/**
 * The initial draft QuestionnaireResponse of a package: the DTR profile, plus
 * oper-18 (in-progress, references the packaged Questionnaire, names the
 * order), spec-122 and oper-16 (the same canonical as the Questionnaire,
 * version-specific), spec-65 (what the payer pre-populates is auto-server).
 */
function checkDraft(draft: Json, path: string, questionnaire: Json | undefined, version: DtrVersion, fail: Fail, payerBase?: string): void {
  checkQuestionnaireResponse(draft, path, version, fail, payerBase);
  if (draft['status'] !== 'in-progress') fail('oper-18', `${path}.status is ${String(draft['status'])}; the initial draft is in-progress`);
  if (version === '2.2' && extensionReferences(draft, DTR_EXTENSIONS.qrContext).length === 0) {
    fail('oper-18', `${path} names no order or encounter in qr-context; the draft identifies what it is completed for`);
  }
  const payer = INFORMATION_ORIGINS[version].payer;
  const others = answersOf(draft).filter((a) => originSourceOf(a.answer) !== undefined && originSourceOf(a.answer) !== payer);
  if (others.length > 0) {
    fail('spec-65', `${path}: answers the payer pre-populates are ${payer}, but items ${others.map((a) => `${a.linkId} (${String(originSourceOf(a.answer))})`).join(', ')} say otherwise`);
  }
  if (!questionnaire) return;
  const canonical = parseCanonical(text(draft['questionnaire']) ?? '');
  if (canonical.url !== questionnaire['url']) {
    return fail('spec-122', `${path}.questionnaire ${String(draft['questionnaire'])} is not the packaged Questionnaire ${String(questionnaire['url'])}`);
  }
  if (canonical.version === undefined) fail('oper-16', `${path}.questionnaire must be version-specific (url|version)`);
  else if (canonical.version !== questionnaire['version']) fail('spec-122', `${path}.questionnaire names version ${canonical.version}; the packaged Questionnaire is ${String(questionnaire['version'])}`);
  const known = new Set(linkIdsOf(questionnaire));
  for (const linkId of linkIdsOf(draft)) if (!known.has(linkId)) fail('oper-18', `${path} answers item ${linkId}, which the packaged Questionnaire does not have`);
}

/** Inferno: at least one Library, and no Library name repeated across the bundles of one answer. */
function checkAcrossPackages(packages: readonly PackageSummary[], fail: Fail): void {
  if (packages.length === 0) return;
  if (packages.every((p) => p.libraries.length === 0)) fail('Inferno', 'no package Bundle holds a Library: the DTR test kit fails an answer without CQL libraries');
  const firstSeen = new Map<string, string>();
  for (const p of packages) {
    for (const library of p.libraries) {
      const name = text(library.resource['name']);
      if (!name) continue;
      const where = firstSeen.get(name);
      if (where !== undefined && where !== p.path) fail('Inferno', `Library ${name} is in ${where} and again in ${p.path}: the DTR test kit fails Library names repeated across bundles`);
      else firstSeen.set(name, p.path);
    }
  }
}

/**
 * With the request: oper-9 (an explicitly requested Questionnaire that is not
 * returned is warned about in outcome); Data Expectations (canonicals limit
 * what is returned); oper-18 (the draft's subject, qr-coverage and context are
 * the request's patient, coverage and orders).
 */
function checkAgainstRequest(request: unknown, packages: readonly PackageSummary[], outcomes: readonly unknown[], version: DtrVersion, fail: Fail): void {
  const parameters = objects(isObject(request) ? request['parameter'] : undefined);
  const requested = parameters.filter((p) => p['name'] === 'questionnaire').map((p) => text(p['valueCanonical']) ?? text(p['valueUri']) ?? '');
  const returned = packages.map((p) => p.questionnaire).filter(isObject);
  const matches = (canonical: string, q: Json) => {
    const { url, version: v } = parseCanonical(canonical);
    return q['url'] === url && (v === undefined || q['version'] === v);
  };
  const warned = outcomes.some((o) => issueSeverities(o).some((s) => s === 'warning' || s === 'error'));
  for (const canonical of requested) {
    if (!returned.some((q) => matches(canonical, q)) && !warned) fail('oper-9', `the request asks for Questionnaire ${canonical}, which is not returned, and outcome carries no warning`);
  }
  if (requested.length > 0) {
    for (const q of returned) {
      if (!requested.some((c) => matches(c, q))) fail('data-expectations', `${describe(q)} is returned although the request's questionnaire canonicals (which limit the answer) do not name it`);
    }
  }

  const resources = (name: string) => parameters.filter((p) => p['name'] === name).map((p) => p['resource']).filter(isObject);
  const coverages = resources('coverage').map((c) => `Coverage/${String(c['id'])}`);
  const orders = resources('order').map((o) => `${String(o['resourceType'])}/${String(o['id'])}`);
  const patients = new Set(
    [...resources('coverage').map((c) => (isObject(c['beneficiary']) ? c['beneficiary']['reference'] : undefined)), ...resources('order').map((o) => (isObject(o['subject']) ? o['subject']['reference'] : isObject(o['patient']) ? o['patient']['reference'] : undefined))]
      .map(text)
      .filter((r): r is string => r !== undefined),
  );
  const sameResource = (reference: string, literal: string) => reference === literal || reference.endsWith(`/${literal}`);
  const named = new Set<string>();
  for (const p of packages) {
    p.drafts.forEach((draft, i) => {
      const path = `${p.path} QuestionnaireResponse[${i}]`;
      const subject = text(isObject(draft['subject']) ? draft['subject']['reference'] : undefined);
      if (patients.size > 0 && (!subject || ![...patients].some((patient) => sameResource(subject, patient)))) {
        fail('oper-18', `${path}.subject ${String(subject)} is not the request's patient (${[...patients].join(', ')})`);
      }
      const contexts = extensionReferences(draft, DTR_EXTENSIONS.qrContext);
      const draftCoverages = version === '2.2' ? extensionReferences(draft, DTR_EXTENSIONS.qrCoverage) : contexts.filter((c) => referencedType(c) === 'Coverage');
      for (const coverage of draftCoverages) {
        if (coverages.length > 0 && !coverages.some((c) => sameResource(coverage, c))) fail('oper-18', `${path} names coverage ${coverage}, which is not the request's (${coverages.join(', ')})`);
      }
      for (const reference of contexts.filter((c) => referencedType(c) !== 'Coverage')) {
        const order = orders.find((o) => sameResource(reference, o));
        if (orders.length > 0 && !order) fail('oper-18', `${path} names ${reference} in qr-context, which is not an order of the request (${orders.join(', ')})`);
        if (order) named.add(order);
      }
    });
  }
  if (packages.length > 0) {
    for (const order of orders) if (!named.has(order)) fail('oper-18', `no draft QuestionnaireResponse names the request's order ${order} in qr-context`);
  }
}
