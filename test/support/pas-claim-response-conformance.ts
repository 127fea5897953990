import { codingsOf, extensionsOf, hasCoding, isObject, objects, text, type Fail, type Json } from './fhir-json.js';
import { ADJUDICATION_CATEGORIES, PAS_EXTENSIONS, REVIEW_ACTION_CODES, X12 } from './pas-canonicals.js';

/**
 * A PAS ClaimResponse (profile-claimresponse, 2.2.1) and the decision it
 * carries per item: the reviewAction extension on item.adjudication, whose
 * code sub-extension is extension-reviewActionCode (full URL, as the Inferno
 * kit reads it) from X12 306; what each decision must and must not say.
 */
export interface ClaimResponseOptions {
  /** A $inquire answer (profile-claiminquiryresponse): request may be a data-absent-reason (spec-44). */
  readonly inquiry?: boolean;
  /** The submitted Claim's item sequences: each is answered, and nothing else (spec-34). */
  readonly requestSequences?: readonly number[];
}

/** The X12 306 codes of a ClaimResponse's item decisions, by itemSequence. */
export function itemDecisions(claimResponse: Json): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const item of objects(claimResponse['item'])) {
    const codes = objects(item['adjudication'])
      .flatMap((a) => extensionsOf(a, PAS_EXTENSIONS.reviewAction))
      .flatMap((r) => extensionsOf(r, PAS_EXTENSIONS.reviewActionCode))
      .flatMap((c) => codingsOf(c['valueCodeableConcept']))
      .filter((c) => c['system'] === X12.reviewAction)
      .map((c) => String(c['code']));
    out.set(Number(item['itemSequence']), codes);
  }
  return out;
}

export function checkClaimResponse(claimResponse: Json, path: string, fail: Fail, options: ClaimResponseOptions = {}): void {
  const profile = options.inquiry ? 'profile-claiminquiryresponse' : 'profile-claimresponse';
  if (claimResponse['status'] !== 'active') fail(profile, `${path}.status must be active`);
  if (claimResponse['use'] !== 'preauthorization') fail(profile, `${path}.use must be preauthorization`);
  if (!isObject(claimResponse['type'])) fail(profile, `${path}.type is required`);
  if (!text(claimResponse['created'])) fail(profile, `${path}.created is required`);
  for (const element of ['patient', 'insurer']) {
    if (!text(isObject(claimResponse[element]) ? claimResponse[element]['reference'] : undefined)) fail(profile, `${path}.${element} must reference the ${element === 'patient' ? 'Patient' : 'insurer Organization'}`);
  }
  const outcome = claimResponse['outcome'];
  if (outcome === 'queued') fail(profile, `${path}.outcome is queued; PAS 2.2.1 binds complete | error | partial (a pended answer is complete, with A4 on its items)`);
  else if (!['complete', 'error', 'partial'].includes(outcome as string)) fail(profile, `${path}.outcome must be complete, error or partial (1..1)`);
  if (outcome === 'error' && objects(claimResponse['error']).length === 0) fail(profile, `${path}.outcome is error but ClaimResponse.error says nothing`);
  const request = isObject(claimResponse['request']) ? claimResponse['request'] : undefined;
  const dataAbsent = extensionsOf(request, 'http://hl7.org/fhir/StructureDefinition/data-absent-reason').length > 0;
  if (!request || (!text(request['reference']) && !isObject(request['identifier']) && !(options.inquiry && dataAbsent))) {
    fail(options.inquiry ? 'spec-44' : profile, `${path}.request must name the Claim it answers${options.inquiry ? ', or say with a data-absent-reason why it cannot' : ' (1..1)'}`);
  }

  const items = objects(claimResponse['item']);
  const addItems = objects(claimResponse['addItem']);
  items.forEach((item, i) => checkItem(item, `${path}.item[${i}]`, claimResponse, addItems, fail));
  if (options.requestSequences) {
    const answered = items.map((item) => Number(item['itemSequence']));
    for (const sequence of options.requestSequences) {
      if (!answered.includes(sequence)) fail('spec-34', `${path} does not answer the Claim's item ${sequence}: each item echoes its Claim item.sequence`);
    }
    for (const sequence of answered) {
      if (!options.requestSequences.includes(sequence)) fail('spec-34', `${path} answers item ${sequence}, which the Claim does not have`);
    }
  }
}

function checkItem(item: Json, path: string, claimResponse: Json, addItems: readonly Json[], fail: Fail): void {
  const sequence = Number(item['itemSequence']);
  const at = `${path} (itemSequence ${String(item['itemSequence'])})`;
  if (!Number.isInteger(sequence) || sequence < 1) fail('profile-claimresponse', `${path}.itemSequence must be a positive integer`);
  const adjudications = objects(item['adjudication']);
  if (adjudications.length === 0) fail('profile-claimresponse', `${at} has no adjudication (1..*)`);
  adjudications.forEach((adjudication, j) => {
    if (!hasCoding(adjudication['category'], ADJUDICATION_CATEGORIES, ['submitted'])) {
      fail('profile-claimresponse', `${at}.adjudication[${j}].category must be ${ADJUDICATION_CATEGORIES}#submitted (fixed)`);
    }
  });
  const reviewActions = adjudications.flatMap((a) => extensionsOf(a, PAS_EXTENSIONS.reviewAction));
  if (reviewActions.length === 0) {
    return fail('extension-reviewAction', `${at} carries no reviewAction (${PAS_EXTENSIONS.reviewAction}) on item.adjudication: the decision for each item lives there`);
  }
  for (const reviewAction of reviewActions) {
    if (extensionsOf(reviewAction, 'code').length > 0) {
      fail('extension-reviewAction', `${at}: the decision code sub-extension is identified by its full URL ${PAS_EXTENSIONS.reviewActionCode}, not "code" (the Inferno kit looks for the full URL)`);
    }
    const codes = extensionsOf(reviewAction, PAS_EXTENSIONS.reviewActionCode).flatMap((c) => codingsOf(c['valueCodeableConcept']));
    const x12 = codes.filter((c) => c['system'] === X12.reviewAction);
    if (x12.length === 0) {
      fail('extension-reviewAction', `${at}: reviewAction needs extension-reviewActionCode with a code from ${X12.reviewAction}`);
      continue;
    }
    for (const reason of extensionsOf(reviewAction, 'reasonCode')) {
      if (!hasCoding(reason['valueCodeableConcept'], X12.decisionReason)) fail('extension-reviewAction', `${at}: reviewAction.reasonCode must be coded in ${X12.decisionReason}`);
    }
    for (const code of x12.map((c) => String(c['code']))) {
      if (!(REVIEW_ACTION_CODES as readonly string[]).includes(code)) fail('extension-reviewAction', `${at}: ${code} is not an X12 306 review action code (${REVIEW_ACTION_CODES.join(', ')})`);
      else checkDecision(code, reviewAction, item, at, claimResponse, addItems, fail);
    }
  }
}

/**
 * What each decision says (the IG's examples, X12 278 HCR, the regulation):
 * A1 certified carries its authorization number (reviewAction.number, HCR02)
 * and the authorized period (itemPreAuthPeriod); A3 not certified gives its
 * reasons (X12 886; CMS-0057-F asks for a specific reason) and was reviewed by
 * a person (42 CFR 422.566(d)); A4 pended claims no decision; A6 modified
 * returns what was authorized in addItem (spec-36, spec-37).
 */
function checkDecision(code: string, reviewAction: Json, item: Json, at: string, claimResponse: Json, addItems: readonly Json[], fail: Fail): void {
  const number = text(extensionsOf(reviewAction, 'number')[0]?.['valueString']);
  const reasons = extensionsOf(reviewAction, 'reasonCode');
  const period = extensionsOf(item, PAS_EXTENSIONS.itemPreAuthPeriod)[0];
  const decisionClaims = [
    ...(number ? ['reviewAction.number (an authorization number)'] : []),
    ...(period ? ['itemPreAuthPeriod'] : []),
    ...(extensionsOf(item, PAS_EXTENSIONS.itemPreAuthIssueDate).length > 0 ? ['itemPreAuthIssueDate'] : []),
    ...(extensionsOf(item, PAS_EXTENSIONS.itemAuthorizedDetail).length > 0 ? ['itemAuthorizedDetail'] : []),
  ];
  switch (code) {
    case 'A1':
      if (!number) fail('A1', `${at} is certified (A1) but carries no reviewAction.number, the authorization number (X12 HCR02)`);
      if (!isObject(period?.['valuePeriod']) || !text(period['valuePeriod']['start'])) fail('A1', `${at} is certified (A1) but carries no itemPreAuthPeriod with a start: the period the authorization covers`);
      break;
    case 'A3': {
      if (reasons.length === 0) fail('A3', `${at} is not certified (A3) but gives no reviewAction.reasonCode (X12 886): a denial states its specific reason (CMS-0057-F)`);
      if (period) fail('A3', `${at} is not certified (A3) but carries an itemPreAuthPeriod, which claims an authorization`);
      const reviewer = extensionsOf(claimResponse, PAS_EXTENSIONS.claimResponseReviewer)[0];
      if (extensionsOf(reviewer, 'wasHumanReviewedFlag')[0]?.['valueBoolean'] !== true) {
        fail('A3', `${at} is not certified (A3) but the ClaimResponse does not say a person reviewed it (extension-claimResponseReviewer wasHumanReviewedFlag true): 42 CFR 422.566(d)`);
      }
      break;
    }
    case 'A4':
      if (decisionClaims.length > 0) fail('A4', `${at} is pended (A4) but carries ${decisionClaims.join(', ')}, which claim a decision`);
      break;
    case 'A6':
      if (!addItems.some((a) => Array.isArray(a['itemSequence']) && a['itemSequence'].includes(item['itemSequence']))) {
        fail('spec-37', `${at} is modified (A6) but no addItem with itemSequence ${String(item['itemSequence'])} says what was authorized`);
      }
      break;
  }
}
