import {
  DOC_REASON,
  DTR_EXTENSIONS,
  INFORMATION_ORIGINS,
  NULL_FLAVOR,
  ORDER_TYPES,
  QR_CONTEXT_TYPES_2_2,
  type DtrVersion,
} from './dtr-canonicals.js';
import { codingsOf, extensionsOf, isObject, objects, text, violationCollector, type Fail, type Json } from './fhir-json.js';

/**
 * The DTR QuestionnaireResponse profile (dtr-questionnaireresponse, 2.2.0 and
 * 2.0.1), the information-origin extension and its invariant dtrx-1, and
 * DTR's rules on references in a QuestionnaireResponse (spec-139 to 141).
 * The draft a payer puts in a questionnaire package has further rules
 * (oper-18, spec-65, spec-122): see dtr-conformance.ts.
 */
export interface QuestionnaireResponseContext {
  /** The DTR version the client asked for; 2.2 when not said. */
  readonly requestedVersion?: DtrVersion;
  /** The payer's FHIR base: the QuestionnaireResponse must not point there (spec-139). */
  readonly payerBase?: string;
}

export function questionnaireResponseViolations(qr: unknown, context: QuestionnaireResponseContext = {}): string[] {
  const { violations, fail } = violationCollector();
  checkQuestionnaireResponse(qr, 'QuestionnaireResponse', context.requestedVersion ?? '2.2', fail, context.payerBase);
  return violations;
}

export interface AnswerAt {
  readonly linkId: string;
  readonly path: string;
  readonly answer: Json;
}

/** Every answer of the QuestionnaireResponse, nested items included, with its item's linkId. */
export function answersOf(qr: Json): AnswerAt[] {
  const out: AnswerAt[] = [];
  const visit = (items: unknown, path: string) => {
    objects(items).forEach((item, i) => {
      const at = `${path}.item[${i}]`;
      const linkId = String(item['linkId']);
      objects(item['answer']).forEach((answer, j) => {
        out.push({ linkId, path: `${at}.answer[${j}]`, answer });
        visit(answer['item'], `${at}.answer[${j}]`);
      });
      visit(item['item'], at);
    });
  };
  visit(qr['item'], '');
  return out;
}

/** Every item linkId of the QuestionnaireResponse (or Questionnaire), nested items included. */
export function linkIdsOf(resource: Json): string[] {
  const out: string[] = [];
  const visit = (items: unknown) => {
    for (const item of objects(items)) {
      out.push(String(item['linkId']));
      for (const answer of objects(item['answer'])) visit(answer['item']);
      visit(item['item']);
    }
  };
  visit(resource['item']);
  return out;
}

/** The information-origin source code of an answer, if it has exactly one. */
export function originSourceOf(answer: Json): string | undefined {
  const origins = extensionsOf(answer, DTR_EXTENSIONS.informationOrigin);
  return origins.length === 1 ? text(extensionsOf(origins[0], 'source')[0]?.['valueCode']) : undefined;
}

/** The resource type a literal reference names ("Coverage/1", "https://ehr/fhir/Coverage/1" → Coverage). */
export function referencedType(reference: unknown): string | undefined {
  const value = text(reference);
  return value ? /(?:^|\/)([A-Z][A-Za-z]+)\/[^/]+(?:\/_history\/[^/]+)?$/.exec(value)?.[1] : undefined;
}

export function extensionReferences(resource: Json, url: string): string[] {
  return extensionsOf(resource, url).map((e) => (isObject(e['valueReference']) ? text(e['valueReference']['reference']) : undefined) ?? '(no reference)');
}

export function checkQuestionnaireResponse(qr: unknown, path: string, version: DtrVersion, fail: Fail, payerBase?: string): void {
  const profile = `dtr-questionnaireresponse${version === '2.0.1' ? '|2.0.1' : ''}`;
  if (!isObject(qr) || qr['resourceType'] !== 'QuestionnaireResponse') return fail(profile, `${path} must be a QuestionnaireResponse`);
  if (!text(qr['questionnaire'])) fail(profile, `${path}.questionnaire is required (the canonical of its Questionnaire)`);
  const subject = isObject(qr['subject']) ? qr['subject']['reference'] : undefined;
  if (referencedType(subject) !== 'Patient') fail(profile, `${path}.subject must reference the Patient (1..1)`);
  for (const element of ['basedOn', 'partOf']) if (qr[element] !== undefined) fail(profile, `${path}.${element} is not allowed (0..0)`);

  const coverages = extensionReferences(qr, DTR_EXTENSIONS.qrCoverage);
  const contexts = extensionReferences(qr, DTR_EXTENSIONS.qrContext);
  if (version === '2.2') {
    if (coverages.length === 0) fail(profile, `${path} needs a qr-coverage extension naming the Coverage (1..*)`);
    for (const reference of coverages) if (referencedType(reference) !== 'Coverage') fail(profile, `${path} qr-coverage ${reference} must reference a Coverage`);
    for (const reference of contexts) {
      if (!(QR_CONTEXT_TYPES_2_2 as readonly string[]).includes(referencedType(reference) ?? '')) {
        fail(profile, `${path} qr-context ${reference} must reference a Device/Medication/ServiceRequest, NutritionOrder, Encounter or Appointment`);
      }
    }
  } else {
    // 2.0.1: "at least one context that refers to a Coverage AND at least one to a Request/Encounter", qr-context 2..*.
    const types = contexts.map(referencedType);
    if (!types.includes('Coverage')) fail(profile, `${path} needs a qr-context naming the Coverage (2.0.1 has no qr-coverage)`);
    if (!types.some((t) => (ORDER_TYPES as readonly string[]).includes(t ?? ''))) fail(profile, `${path} needs a qr-context naming the order or encounter`);
    if (objects(qr['item']).length === 0) fail(profile, `${path}.item is required in 2.0.1 (1..*)`);
  }
  checkIntendedUse(qr, path, version, profile, fail);
  for (const at of answersOf(qr)) checkInformationOrigin(at, `${path}${at.path}`, version, fail);
  checkReferences(qr, path, fail, payerBase);
}

function checkIntendedUse(qr: Json, path: string, version: DtrVersion, profile: string, fail: Fail): void {
  const uses = extensionsOf(qr, DTR_EXTENSIONS.intendedUse);
  if (uses.length === 0) return fail(profile, `${path} needs an intendedUse extension (1..*), e.g. withpa`);
  const { system, codes } = DOC_REASON[version];
  for (const use of uses) {
    const valid = codingsOf(use['valueCodeableConcept']).some(
      (c) => (c['system'] === system && codes.includes(c['code'] as string)) || (c['system'] === NULL_FLAVOR && c['code'] === 'OTH'),
    );
    if (!valid) fail(profile, `${path} intendedUse must be a CRD DocReason code (${system}: ${codes.join(', ')}; or v3-NullFlavor OTH)`);
  }
}

function checkInformationOrigin(at: AnswerAt, path: string, version: DtrVersion, fail: Fail): void {
  const origins = extensionsOf(at.answer, DTR_EXTENSIONS.informationOrigin);
  if (origins.length !== 1) {
    return fail('dtr-questionnaireresponse', `${path} (item ${at.linkId}) carries ${origins.length} information-origin extensions; every answer carries exactly one`);
  }
  const origin = origins[0]!;
  const sources = extensionsOf(origin, 'source');
  const source = text(sources[0]?.['valueCode']);
  const { all, automatic } = INFORMATION_ORIGINS[version];
  if (sources.length !== 1 || !source) return fail('information-origin', `${path} (item ${at.linkId}): information-origin needs exactly one source code`);
  if (!all.includes(source)) return fail('information-origin', `${path} (item ${at.linkId}): source ${source} is not a DTR ${version} information origin (${all.join(', ')})`);
  const authors = extensionsOf(origin, 'author');
  // dtrx-1: automatic sources have no author; override and manual name the person who answered.
  if (automatic.includes(source) && authors.length > 0) fail('dtrx-1', `${path} (item ${at.linkId}): a ${source} answer has no author`);
  if (!automatic.includes(source) && authors.length === 0) fail('dtrx-1', `${path} (item ${at.linkId}): an ${source} answer names its author`);
  for (const author of authors) {
    for (const practitioner of extensionsOf(author, 'practitioner')) {
      if (!isObject(practitioner['valueReference'])) fail('information-origin', `${path} (item ${at.linkId}): author.practitioner must be a Reference`);
    }
    for (const role of extensionsOf(author, 'role')) {
      if (!isObject(role['valueCodeableConcept'])) fail('information-origin', `${path} (item ${at.linkId}): author.role must be a CodeableConcept`);
    }
  }
}

/**
 * spec-139: references point to contained resources or to the DTR client's
 * endpoint, never the payer's; spec-140/141: a contained reference ("#id")
 * only in item.answer, and it names a contained resource.
 */
function checkReferences(qr: Json, path: string, fail: Fail, payerBase?: string): void {
  const containedIds = new Set(objects(qr['contained']).map((r) => `#${String(r['id'])}`));
  const visit = (node: unknown, at: string, inAnswer: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${at}[${i}]`, inAnswer));
    if (!isObject(node)) return;
    const reference = text(node['reference']);
    if (reference?.startsWith('#')) {
      if (!inAnswer) fail('spec-141', `${at} is a contained reference (${reference}); those are allowed only in item.answer`);
      else if (!containedIds.has(reference)) fail('spec-140', `${at} names ${reference}, which is not contained in the QuestionnaireResponse`);
    } else if (reference && payerBase && reference.startsWith(payerBase)) {
      fail('spec-139', `${at} points to the payer's server (${reference}); QuestionnaireResponse references point to contained resources or the DTR client's endpoint`);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'contained') continue;
      visit(value, `${at}.${key}`, inAnswer || key === 'answer');
    }
  };
  visit(qr, path, false);
}
