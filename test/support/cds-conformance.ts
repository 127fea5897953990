import { isDeepStrictEqual } from 'node:util';

/**
 * Checks a CDS Hooks 2.0 response (and the Da Vinci CRD coverage information in
 * it) against the rules the service must meet, returning every breach found:
 * - CDS Hooks 2.0: required fields, summary under 140 characters, indicator,
 *   source, uuids, selectionBehavior with suggestions, link types, override
 *   reasons with display, no null or empty values;
 * - CRD: source.topic from the card-type CodeSystem, associated-resource,
 *   systemActions with a description (Inferno), order-sign always with
 *   systemActions, updates that change nothing but the extension (resp-37);
 * - ext-coverage-information: cardinalities, code values per version,
 *   invariants q1-q9 (2.2) and 2.0.1's q2/q3, one assertion id per Coverage.
 */
export interface ConformanceContext {
  readonly hook: 'order-sign' | 'order-select';
  /** The request the response answers (draftOrders are compared with the updates). */
  readonly request: Record<string, unknown>;
}

const EXT_URL = 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information';
const TOPIC_SYSTEMS = new Set(['http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp', 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type']);
const CARD_TYPES = new Set([
  'coverage-info',
  'claim',
  'insurance',
  'limits',
  'network',
  'appropriate-use',
  'cost',
  'therapy-alternatives-opt',
  'therapy-alternatives-req',
  'clinical-reminder',
  'duplicate-therapy',
  'contraindication',
  'guideline',
  'off-guideline',
]);
const CODES = {
  '2.0': {
    covered: ['covered', 'not-covered', 'conditional'],
    'pa-needed': ['no-auth', 'auth-needed', 'satisfied', 'performpa', 'conditional'],
    'doc-needed': ['clinical', 'admin', 'both', 'conditional'],
    'doc-purpose': ['withpa', 'withclaim', 'withorder', 'retain-doc', 'OTH'],
    'info-needed': ['performer', 'location', 'timeframe', 'OTH'],
  },
  '2.2': {
    covered: ['covered', 'not-covered', 'conditional', 'indeterminate'],
    'pa-needed': ['no-auth', 'auth-needed', 'satisfied', 'performpa', 'conditional', 'indeterminate'],
    'doc-needed': ['clinical', 'admin', 'patient', 'conditional', 'indeterminate'],
    'doc-purpose': ['withpa', 'withclaim', 'withorder', 'retain-doc', 'OTH'],
    'info-needed': ['performer', 'location', 'timeframe', 'contract-window', 'detail-code', 'OTH'],
  },
} as const;
const CRD_REASON_CODES = new Set(['gold-card', 'no-member-found', 'no-active-coverage', 'coverage-not-found', 'auth-out-network', 'technical']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Record<string, unknown>;

export function cdsResponseViolations(body: unknown, context: ConformanceContext): string[] {
  const v: string[] = [];
  const fail = (msg: string) => v.push(msg);
  if (!isObject(body)) return ['response is not a JSON object'];
  findNullsAndEmpties(body, '', fail);
  // CRD asks for major.minor ("2.2"); a patch ("2.2.1") names the same version.
  const requested = (context.request['extension'] as Json | undefined)?.['davinci-crd.requestedVersion'];
  const version = typeof requested === 'string' && /^2\.2(\.\d+)?$/.test(requested.trim()) ? '2.2' : '2.0';

  if (!Array.isArray(body['cards'])) fail('cards must be an array');
  if (context.hook === 'order-sign' && !Array.isArray(body['systemActions'])) fail('order-sign responses must carry systemActions (Inferno)');
  for (const [i, card] of ((body['cards'] as unknown[]) ?? []).entries()) checkCard(card, `cards[${i}]`, version, fail);

  const drafts = new Map<string, Json>();
  const sentEntries = ((context.request['context'] as Json)?.['draftOrders'] as Json)?.['entry'];
  // One entry sent as an object is read as a one-item array; entries with no resource are passed over.
  const entries = (Array.isArray(sentEntries) ? sentEntries : sentEntries ? [sentEntries] : []) as (Json | null)[];
  for (const e of entries) {
    if (!isObject(e) || !isObject(e['resource'])) continue;
    // As the service received it: JSON drops members a test factory left undefined.
    const r = JSON.parse(JSON.stringify(e['resource'])) as Json;
    drafts.set(`${String(r['resourceType'])}/${String(r['id'])}`, r);
  }
  const idsByCoverage = new Map<string, Set<string>>();
  for (const [i, action] of ((body['systemActions'] as unknown[]) ?? []).entries()) {
    const path = `systemActions[${i}]`;
    if (!isObject(action)) {
      fail(`${path} is not an object`);
      continue;
    }
    checkAction(action, path, fail);
    const resource = action['resource'];
    if (action['type'] !== 'update' || !isObject(resource)) continue;
    const key = `${String(resource['resourceType'])}/${String(resource['id'])}`;
    const draft = drafts.get(key);
    if (!draft) {
      fail(`${path} updates ${key}, which is not in draftOrders`);
      continue;
    }
    const strip = (r: Json) => {
      const { extension, ...rest } = r;
      // One extension sent as an object is read as a one-item array; anything else an EHR sends there is not an extension.
      const list = Array.isArray(extension) ? extension : isObject(extension) ? [extension] : [];
      return { ...rest, extension: (list as unknown[]).filter((e) => isObject(e) && e['url'] !== EXT_URL) };
    };
    if (!isDeepStrictEqual(strip(resource), strip(draft))) fail(`${path} changes ${key} beyond the coverage-information extension (CRD resp-37)`);
    const infos = ((resource['extension'] as Json[] | undefined) ?? []).filter((e) => e['url'] === EXT_URL);
    if (infos.length === 0) fail(`${path} carries no coverage-information extension`);
    for (const [j, info] of infos.entries()) {
      const { coverage, assertionId } = checkCoverageInformation(info, `${path}.resource.extension[coverage-information ${j}]`, version, context.hook, fail);
      if (coverage && assertionId) idsByCoverage.set(coverage, new Set([...(idsByCoverage.get(coverage) ?? []), assertionId]));
    }
  }
  for (const [coverage, ids] of idsByCoverage) if (ids.size > 1) fail(`coverage-information for ${coverage} carries ${ids.size} different coverage-assertion-ids (Inferno: one per coverage)`);
  const allIds = [...idsByCoverage.values()].flatMap((s) => [...s]);
  if (new Set(allIds).size !== allIds.length) fail('different coverages share a coverage-assertion-id (CRD resp-32)');
  return v;
}

function checkCard(card: unknown, path: string, version: '2.0' | '2.2', fail: (m: string) => void): void {
  if (!isObject(card)) return fail(`${path} is not an object`);
  if (typeof card['uuid'] !== 'string' || !UUID.test(card['uuid'])) fail(`${path}.uuid must be a UUID (CRD resp-3, feedback)`);
  const summary = card['summary'];
  if (typeof summary !== 'string' || summary.length === 0) fail(`${path}.summary is required`);
  else if (summary.length >= 140) fail(`${path}.summary is ${summary.length} characters; it must be under 140`);
  if (card['detail'] !== undefined && typeof card['detail'] !== 'string') fail(`${path}.detail must be markdown text`);
  if (!['info', 'warning', 'critical'].includes(card['indicator'] as string)) fail(`${path}.indicator must be info, warning or critical`);
  const source = card['source'];
  if (!isObject(source) || typeof source['label'] !== 'string') fail(`${path}.source.label is required`);
  else {
    const topic = source['topic'];
    if (!isObject(topic) || typeof topic['system'] !== 'string' || typeof topic['code'] !== 'string') fail(`${path}.source.topic needs system and code (CRD resp-5)`);
    else {
      if (!TOPIC_SYSTEMS.has(topic['system'])) fail(`${path}.source.topic.system ${topic['system']} is not a CRD card-type system`);
      if (!CARD_TYPES.has(topic['code'])) fail(`${path}.source.topic.code ${topic['code']} is not a CRD card type`);
      const expected = version === '2.2' ? 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type' : 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp';
      if (topic['system'] !== expected) fail(`${path}.source.topic.system should be ${expected} under CRD ${version}`);
    }
  }
  const suggestions = card['suggestions'];
  if (suggestions !== undefined) {
    if (!['at-most-one', 'any'].includes(card['selectionBehavior'] as string)) fail(`${path}.selectionBehavior is required with suggestions`);
    for (const [i, s] of (suggestions as unknown[]).entries()) {
      if (!isObject(s) || typeof s['label'] !== 'string') fail(`${path}.suggestions[${i}].label is required`);
      else {
        if (typeof s['uuid'] !== 'string') fail(`${path}.suggestions[${i}].uuid is required (CRD resp-3)`);
        for (const [j, a] of ((s['actions'] as unknown[]) ?? []).entries()) if (isObject(a)) checkAction(a, `${path}.suggestions[${i}].actions[${j}]`, fail);
      }
    }
  }
  for (const [i, link] of ((card['links'] as unknown[]) ?? []).entries()) {
    if (!isObject(link)) {
      fail(`${path}.links[${i}] is not an object`);
      continue;
    }
    if (typeof link['label'] !== 'string') fail(`${path}.links[${i}].label is required`);
    if (typeof link['url'] !== 'string' || !/^https?:\/\/[^/]/.test(link['url'])) fail(`${path}.links[${i}].url must be an absolute http(s) URL`);
    if (!['absolute', 'smart'].includes(link['type'] as string)) fail(`${path}.links[${i}].type must be absolute or smart`);
    if (link['appContext'] !== undefined && link['type'] !== 'smart') fail(`${path}.links[${i}].appContext is only for smart links`);
  }
  for (const [i, r] of ((card['overrideReasons'] as unknown[]) ?? []).entries()) {
    if (!isObject(r) || typeof r['code'] !== 'string' || typeof r['system'] !== 'string' || typeof r['display'] !== 'string') {
      fail(`${path}.overrideReasons[${i}] needs code, system and display`);
    }
  }
  const ext = card['extension'];
  if (ext !== undefined) {
    const assoc = (ext as Json)['davinci-crd.associated-resource'];
    if (assoc !== undefined && (!Array.isArray(assoc) || assoc.some((a) => !isObject(a) || typeof a['reference'] !== 'string'))) {
      fail(`${path}.extension.davinci-crd.associated-resource must be an array of references`);
    }
  }
}

function checkAction(action: Json, path: string, fail: (m: string) => void): void {
  if (!['create', 'update', 'delete'].includes(action['type'] as string)) fail(`${path}.type must be create, update or delete`);
  if (typeof action['description'] !== 'string' || action['description'] === '') fail(`${path}.description is required (CDS Hooks 2.0, Inferno)`);
  if ((action['type'] === 'create' || action['type'] === 'update') && !isObject(action['resource'])) fail(`${path}.resource is required for ${String(action['type'])}`);
  if (action['type'] === 'delete' && typeof action['resourceId'] !== 'string') fail(`${path}.resourceId is required for delete`);
}

function checkCoverageInformation(
  info: Json,
  path: string,
  version: '2.0' | '2.2',
  hook: 'order-sign' | 'order-select',
  fail: (m: string) => void,
): { coverage?: string; assertionId?: string } {
  const subs = (info['extension'] as Json[] | undefined) ?? [];
  const all = (url: string) => subs.filter((s) => s['url'] === url);
  const codes = (url: string) => all(url).map((s) => s['valueCode'] as string);
  const count = (url: string, min: number, max: number) => {
    const n = all(url).length;
    if (n < min || n > max) fail(`${path}: ${url} occurs ${n} times (allowed ${min}..${max === Infinity ? '*' : max})`);
  };
  const known = new Set([
    'coverage',
    'covered',
    'pa-needed',
    'doc-needed',
    'doc-purpose',
    'info-needed',
    'billingCode',
    'reason',
    'detail',
    'dependency',
    'questionnaire',
    'date',
    'coverage-assertion-id',
    'satisfied-pa-id',
    'contact',
    'expiry-date',
  ]);
  for (const s of subs) if (!known.has(s['url'] as string)) fail(`${path}: unknown sub-extension ${String(s['url'])}`);
  count('coverage', 1, 1);
  count('covered', 1, 1);
  count('pa-needed', 0, 1);
  count('date', 1, 1);
  count('coverage-assertion-id', 1, 1);
  count('satisfied-pa-id', 0, 1);
  if (version === '2.0') {
    for (const url of ['detail', 'expiry-date']) if (all(url).length > 0) fail(`${path}: ${url} does not exist in CRD 2.0.1`);
  }
  const allowed = CODES[version];
  for (const url of Object.keys(allowed) as (keyof typeof allowed)[]) {
    for (const code of codes(url)) if (!(allowed[url] as readonly string[]).includes(code)) fail(`${path}: ${url} ${code} is not a CRD ${version} code`);
  }
  const coverage = all('coverage')[0]?.['valueReference'] as Json | undefined;
  if (typeof coverage?.['reference'] !== 'string') fail(`${path}: coverage must be a reference`);
  if (typeof all('date')[0]?.['valueDate'] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(all('date')[0]?.['valueDate'] as string)) fail(`${path}: date must be a FHIR date`);
  const assertionId = all('coverage-assertion-id')[0]?.['valueString'];
  if (typeof assertionId !== 'string' || assertionId === '') fail(`${path}: coverage-assertion-id must be a string`);
  for (const b of all('billingCode')) if (!isObject(b['valueCoding'])) fail(`${path}: billingCode must be a Coding`);
  for (const c of all('contact')) {
    if (version === '2.0' && !isObject(c['valueContactPoint'])) fail(`${path}: contact must be a ContactPoint under CRD 2.0.1`);
    if (version === '2.2' && !isObject(c['valueContactDetail'])) fail(`${path}: contact must be a ContactDetail under CRD 2.2`);
  }

  const covered = codes('covered')[0];
  const pa = codes('pa-needed');
  const doc = codes('doc-needed');
  const purposes = codes('doc-purpose');
  const infoNeeded = codes('info-needed');
  const reasons = all('reason');
  const anyConditional = covered === 'conditional' || pa.includes('conditional') || doc.includes('conditional');
  const anyIndeterminate = covered === 'indeterminate' || pa.includes('indeterminate') || doc.includes('indeterminate');
  // q1
  if (all('questionnaire').length > 0 && doc.length === 0) fail(`${path}: q1 questionnaire needs doc-needed`);
  // q2 (2.2): not-covered => no pa-needed; 2.0.1 q2: otherwise pa-needed is required
  if (covered === 'not-covered' && pa.length > 0) fail(`${path}: q2 pa-needed must be absent when not-covered`);
  if (covered !== 'not-covered' && pa.length === 0) fail(`${path}: 2.0.1 q2 pa-needed is required unless not-covered`);
  // q3 both directions: 2.2 conditional => info-needed; 2.0.1 info-needed => conditional
  if (anyConditional && infoNeeded.length === 0) fail(`${path}: q3 conditional needs info-needed`);
  if (!anyConditional && infoNeeded.length > 0) fail(`${path}: 2.0.1 q3 info-needed only when something is conditional`);
  // q4
  if ((pa.some((p) => ['satisfied', 'no-auth'].includes(p)) || covered === 'not-covered') && purposes.includes('withpa')) fail(`${path}: q4 withpa with no PA`);
  // q5
  if ((all('satisfied-pa-id').length > 0) !== pa.includes('satisfied')) fail(`${path}: q5 satisfied-pa-id iff pa-needed satisfied`);
  // q6, q8, q9
  if (infoNeeded.includes('OTH') && reasons.length === 0) fail(`${path}: q6 info-needed OTH needs a reason`);
  if (purposes.length > 0 && reasons.length === 0) fail(`${path}: q8 doc-purpose needs a reason`);
  if (anyIndeterminate && reasons.length === 0) fail(`${path}: q9 indeterminate needs a reason`);
  // q7: reasons outside the CRD value set carry text
  for (const r of reasons) {
    const cc = r['valueCodeableConcept'] as Json | undefined;
    const codings = ((cc?.['coding'] as Json[] | undefined) ?? []);
    const inValueSet = codings.some((c) => CRD_REASON_CODES.has(c['code'] as string) && c['system'] === 'http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp');
    if (!inValueSet && typeof cc?.['text'] !== 'string') fail(`${path}: q7 a reason outside the CRD value set needs text`);
  }
  // CRD hook-19: secondary hooks say nothing of documentation
  if (hook === 'order-select' && (doc.length > 0 || purposes.length > 0)) fail(`${path}: order-select must not carry doc-needed or doc-purpose (CRD hook-19)`);
  if (purposes.length > 0 && doc.length === 0) fail(`${path}: doc-purpose without doc-needed`);
  return { coverage: coverage?.['reference'] as string | undefined, assertionId: assertionId as string | undefined };
}

/** CDS Hooks JSON rule: no null and no empty string, array or object, except the documented empty cards/systemActions. */
function findNullsAndEmpties(value: unknown, path: string, fail: (m: string) => void): void {
  if (value === null) return fail(`${path || 'response'} is null`);
  if (typeof value === 'string' && value === '') return fail(`${path} is an empty string`);
  if (Array.isArray(value)) {
    if (value.length === 0 && path !== 'cards' && path !== 'systemActions') fail(`${path} is an empty array`);
    value.forEach((x, i) => findNullsAndEmpties(x, `${path}[${i}]`, fail));
    return;
  }
  if (isObject(value)) {
    if (Object.keys(value).length === 0) fail(`${path} is an empty object`);
    for (const [k, x] of Object.entries(value)) {
      // Resources inside actions are the EHR's own; their content is not ours to judge here.
      if (k === 'resource') continue;
      findNullsAndEmpties(x, path ? `${path}.${k}` : k, fail);
    }
  }
}

function isObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** True when a body is an OperationOutcome with at least one issue that has a message. */
export function isOperationOutcome(body: unknown): boolean {
  if (!isObject(body) || body['resourceType'] !== 'OperationOutcome' || !Array.isArray(body['issue']) || body['issue'].length === 0) return false;
  return (body['issue'] as Json[]).every((i) => typeof i['severity'] === 'string' && typeof i['code'] === 'string' && typeof (i['details'] as Json | undefined)?.['text'] === 'string');
}
