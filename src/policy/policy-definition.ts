import { z } from 'zod';
import { CODE_SYSTEM_KEYS } from '../fhir/codes.js';

/**
 * The schema of a policy's content (policies/<name>/policy.json): codes,
 * criteria expressions, thresholds, wording, contact, version. The yearly
 * policy review edits that file; this schema checks it at start-up.
 */
const CodeSystemKey = z.enum(CODE_SYSTEM_KEYS);
const CodeEntry = z.object({ system: CodeSystemKey, code: z.string().min(1), display: z.string().min(1) });
const CodeSetDefinition = z.object({
  label: z.string().min(1),
  codes: z.array(CodeEntry),
  prefixes: z.array(CodeEntry).default([]),
});
/** Words to look for in free text (src/policy/text-terms.ts says how they match). */
const TermListDefinition = z.object({ description: z.string().min(1), terms: z.array(z.string().min(1)), exactCase: z.array(z.string().min(1)).default([]) });
const OrderCheckDefinition = z.object({ id: z.string().min(1), label: z.string().min(1), expression: z.string().min(1) });
const OverrideReason = z.object({ code: z.string().min(1), display: z.string().min(1) });
const Determination = z.enum(['covered', 'conditional', 'not-covered', 'indeterminate']);
export const CARD_TOPICS = ['coverage-info', 'guideline', 'off-guideline', 'limits', 'appropriate-use'] as const;
const CardTopic = z.enum(CARD_TOPICS);

export const FINDING_CODES = [
  'prior-car-t',
  'age-under-18',
  'diagnosis-not-qualifying',
  'rr-status-undocumented',
  'age-unknown',
  'possible-prior-car-t',
  'repeat-dosing',
  'data-unavailable',
  'outpatient-attestation',
  'lineage-undocumented',
  'eligibility',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];
export const REASON_CODES = ['pa-required', ...FINDING_CODES] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

const FindingDefinition = z.object({
  determination: Determination,
  cardTopic: CardTopic,
  policyClause: z.string().min(1),
  summary: z.string().min(1),
  detail: z.string().min(1),
  overrideReasons: z.array(OverrideReason).min(1),
});

const codeSetNames = [
  'tecartusProduct',
  'mantleCellLymphoma',
  'bCellPrecursorAll',
  'lineageUnspecifiedAll',
  'relapsedOrRefractoryDiagnosis',
  'relapsedOrRefractoryQualifier',
  'carTProduct',
  'carTAdministration',
  'carTHarvestOrPreparation',
  'carTHistory',
  'cellularTherapyHistory',
  'crsOrIcans',
  'bPrecursorMorphology',
  'tPrecursorMorphology',
  'notPrecursorBMorphology',
  'lymphoblasticLymphoma',
  'remission',
  'diseaseStatusObservation',
  'diseaseWorsened',
  'notCarTCellTherapy',
] as const;
export type CodeSetName = (typeof codeSetNames)[number];

export const TERM_LIST_NAMES = [
  'carT',
  'otherCarCells',
  'notTherapyContext',
  'notTherapyPrefix',
  'negationBefore',
  'negationAfter',
  'harvest',
  'crsExplainedBy',
  'mantleCellLymphoma',
  'acuteLymphoblasticLeukemia',
  'lymphoblasticLymphoma',
  'bPrecursorLineage',
  'notPrecursorB',
  'tLineage',
  'relapsedOrRefractory',
  'remission',
  'measurableResidualDiseaseOnly',
  'diagnosisUncertain',
  'outpatientSetting',
  'inpatientSetting',
  'otherIndications',
] as const;
export type TermListName = (typeof TERM_LIST_NAMES)[number];
export type TermListDefinition = z.infer<typeof TermListDefinition>;

/** A condition on one answer of the documentation form: a given value (a boolean, or a coding's code) or any answer. */
const AnswerCondition = z.union([
  z.object({ linkId: z.string().min(1), equals: z.union([z.boolean(), z.string().min(1)]) }).strict(),
  z.object({ linkId: z.string().min(1), answered: z.literal(true) }).strict(),
]);
/** Alternatives, each a list of conditions that must all hold. */
const AnswerRule = z.object({ says: z.string().min(1), anyOf: z.array(z.array(AnswerCondition).min(1)).min(1) });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export const PolicyDefinition = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  version: z.string().min(1),
  title: z.string().min(1),
  documentTitle: z.string().min(1),
  effectiveDate: isoDate,
  lastReview: z.string(),
  payer: z.object({
    name: z.string().min(1),
    plans: z.array(z.string().min(1)).min(1),
    /** The plan's payer identifiers (CMS contract numbers), matched on the value whatever the system. */
    identifiers: z.array(z.string().min(1)),
    identifierNote: z.string().optional(),
    /** Names a Coverage's payor may carry, matched as whole words. */
    names: z.array(z.string().min(1)).min(1),
  }),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone'),
  priorAuthorization: z.object({ contactName: z.string().min(1), fax: z.string().min(7) }),
  billingCode: z.object({ system: z.url(), code: z.string().min(1), display: z.string().min(1) }),
  thresholds: z.object({ minimumAgeYears: z.number().int().positive(), harvestBelongsToCourseDays: z.number().int().positive() }),
  documents: z.object({
    policyPage: z.object({ label: z.string().min(1), file: z.string().min(1) }),
    references: z.array(z.object({ label: z.string().min(1), url: z.url() })),
  }),
  codeSystems: z.record(CodeSystemKey, z.array(z.string().min(1))),
  codeSets: z.object(Object.fromEntries(codeSetNames.map((n) => [n, CodeSetDefinition])) as Record<CodeSetName, typeof CodeSetDefinition>),
  textTerms: z.object({
    _how: z.string().optional(),
    ...(Object.fromEntries(TERM_LIST_NAMES.map((n) => [n, TermListDefinition])) as Record<TermListName, typeof TermListDefinition>),
    carTProducts: z.array(TermListDefinition.extend({ product: z.string().min(1) })).min(1),
  }),
  orderIdentification: z.object({ standardCodeNote: z.string().min(1) }),
  setting: z.object({
    orderCategorySystem: z.url(),
    outpatientCategories: z.array(z.string().min(1)),
    inpatientCategories: z.array(z.string().min(1)),
    encounterClassSystem: z.url(),
    outpatientClasses: z.array(z.string().min(1)),
    inpatientClasses: z.array(z.string().min(1)),
    silentClasses: z.array(z.string().min(1)),
    note: z.string().optional(),
  }),
  relapseNotes: z.array(CodeEntry),
  orderChecks: z.object({
    repeatDosing: z.array(OrderCheckDefinition),
  }),
  reasonCodeSystem: z.url(),
  overrideReasonSystem: z.url(),
  reasons: z.object(Object.fromEntries(REASON_CODES.map((c) => [c, z.object({ display: z.string().min(1), text: z.string().min(1) })])) as Record<
    ReasonCode,
    z.ZodObject<{ display: z.ZodString; text: z.ZodString }>
  >),
  findings: z.object(Object.fromEntries(FINDING_CODES.map((c) => [c, FindingDefinition])) as Record<FindingCode, typeof FindingDefinition>),
  cards: z.object({
    instructions: z.object({
      summary: z.string().min(1),
      detail: z.string().min(1),
      coverageNotes: z.object({ single: z.string(), several: z.string(), none: z.string(), noneUsable: z.string(), unavailable: z.string() }),
    }),
    /** The Instructions card once the plan has approved the PA (PAS): {authNumber}, {start}, {end}, {payer}. */
    approved: z.object({ summary: z.string().min(1), detail: z.string().min(1), orderLine: z.string().min(1) }),
    externalReference: z.object({ summary: z.string().min(1), detail: z.string().min(1) }),
  }),
  evidenceText: z.object({
    none: z.string(),
    ageOnDate: z.string(),
    birthDateMissing: z.string(),
    birthDatePartial: z.string(),
    patientMissing: z.string(),
    noQualifyingCondition: z.string(),
    unavailablePart: z.string(),
    remissionSupersedes: z.string(),
    remissionUnordered: z.string(),
  }),
  /** How cards name a diagnosis the policy does not cover. */
  diagnosisNames: z.object({ tCellAll: z.string().min(1), notPrecursorB: z.string().min(1), lymphoblasticLymphoma: z.string().min(1), foundSentence: z.string().min(1) }),
  /** Relapse examples that fit the diagnosis (no ALL code on an MCL card). */
  relapseExamples: z.object({ mcl: z.string().min(1), all: z.string().min(1) }),
  /** How a PAS request is adjudicated (src/pas): what the form's answers may prove, and what a reviewer may deny for. */
  priorAuthorizationRequest: z.object({
    description: z.string().min(1),
    authorizationNumberPrefix: z.string().regex(/^[A-Z0-9]{2,8}$/),
    authorizationPeriodDays: z.number().int().positive(),
    reviewDeadlineHours: z.object({ standard: z.number().positive(), expedited: z.number().positive() }),
    criteriaNames: z.object({
      diagnosis: z.string().min(1),
      'relapsed-or-refractory': z.string().min(1),
      age: z.string().min(1),
      'no-prior-car-t': z.string().min(1),
      'one-infusion': z.string().min(1),
      setting: z.string().min(1),
      eligibility: z.string().min(1),
      form: z.string().min(1),
    }),
    diagnosisAnswer: z.object({ linkId: z.string().min(1), mcl: z.string().min(1), all: z.string().min(1) }),
    /** A criterion the record left open (its finding, or `unsettled` without one) that the clinician's answers may close. */
    attestations: z.array(AnswerRule.extend({ criterion: z.enum(['diagnosis', 'relapsed-or-refractory', 'age', 'no-prior-car-t', 'one-infusion', 'setting', 'eligibility']), closes: z.array(z.string().min(1)).min(1) })),
    /** Answers every certified request needs, whatever the record shows. */
    requiredAnswers: z.array(AnswerRule),
    denialReasons: z.array(z.object({ code: z.string().regex(/^[a-z0-9-]+$/), display: z.string().min(1), x12Code: z.string().min(1).optional() })).min(1),
    denialReasonSystem: z.url(),
  }),
});

export type PolicyDefinition = z.infer<typeof PolicyDefinition>;
export type OrderCheckDefinition = z.infer<typeof OrderCheckDefinition>;
export type AnswerCondition = z.infer<typeof AnswerCondition>;
export type AnswerRule = z.infer<typeof AnswerRule>;
export type PriorAuthorizationRules = PolicyDefinition['priorAuthorizationRequest'];
