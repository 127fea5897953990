import type { FindingCode } from './policy-definition.js';

/**
 * What the policy concludes for one order. `indeterminate` means the record
 * could not be read in full; the protocol layer decides how to say that in
 * the CRD version the client asked for.
 */
export type Determination = 'covered' | 'conditional' | 'not-covered' | 'indeterminate';

/** A record entry a conclusion rests on, as a clinician should read it. */
export interface Evidence {
  /** Relative reference, e.g. `Procedure/abc`. */
  readonly reference: string;
  /** E.g. "Procedure 38228, CAR-T administration, 2025-03-02". */
  readonly description: string;
  readonly code?: { readonly system?: string | undefined; readonly code: string; readonly display?: string | undefined } | undefined;
  readonly date?: string | undefined;
}

/** Something in the record that will stop or delay approval. */
export interface Finding {
  readonly code: FindingCode;
  readonly determination: Determination;
  readonly evidence: readonly Evidence[];
  /** Plain sentences that explain the finding where no record entry can (e.g. "no birth date"). */
  readonly notes: readonly string[];
  /** Values for the placeholders in the finding's wording, e.g. { age: '16' }. */
  readonly facts: Readonly<Record<string, string>>;
}

export type CriterionId = 'diagnosis' | 'relapsed-or-refractory' | 'age' | 'no-prior-car-t' | 'one-infusion' | 'setting' | 'eligibility';

/** How each criterion of the policy came out, with what it rests on (kept for audit). */
export interface CriterionResult {
  readonly criterion: CriterionId;
  /** `unknown`: the record does not settle it (needs review, or could not be read). */
  readonly status: 'met' | 'not-met' | 'unknown';
  readonly finding?: FindingCode | undefined;
  readonly evidence: readonly Evidence[];
}

/** A record entry a documented fact rests on: its reference, code and date (never the words it quotes). */
export interface EvidenceRef {
  readonly reference: string;
  readonly code?: Evidence['code'];
  readonly date?: string | undefined;
}

/**
 * What the decision established, in the terms the documentation form asks
 * for (DTR pre-fill, issue 12): each fact with the record entry it rests on.
 * A fact the record did not establish is absent, and left to the clinician.
 */
export interface DocumentedFacts {
  readonly diagnosis?: { readonly kind: 'mcl' | 'all'; readonly evidence: EvidenceRef } | undefined;
  /** How B-cell precursor lineage is shown: a coded diagnosis, an ICD-O-3 morphology, or stated in words. */
  readonly bCellPrecursorLineage?: { readonly shownBy: 'coded-diagnosis' | 'morphology' | 'stated'; readonly evidence: EvidenceRef } | undefined;
  readonly relapsedOrRefractory?:
    | {
        readonly type: 'relapsed' | 'refractory';
        readonly evidence: EvidenceRef;
        /** The last regimen stopped for progression or lack of response, when that is the evidence. */
        readonly lastRegimen?: { readonly name: string; readonly response: 'progression' | 'no-response' } | undefined;
      }
    | undefined;
  /** Age in whole years on the date of service, when the birth date settles it. */
  readonly ageYears?: number | undefined;
  /** `none`: the record shows no earlier CAR-T; `possible`: signs that need review; `proven`: coded proof; `unknown`: part of the record could not be read. */
  readonly priorCarT: 'none' | 'possible' | 'proven' | 'unknown';
  readonly setting?: { readonly where: 'inpatient' | 'outpatient'; readonly evidence: EvidenceRef } | undefined;
}

export interface OrderDecision {
  readonly policy: { readonly id: string; readonly version: string };
  readonly order: { readonly reference: string; readonly resourceType: string; readonly id: string };
  /** The order's date (YYYY-MM-DD): its authoredOn, else the day of the call. */
  readonly orderDate: string;
  readonly orderDateSource: 'authoredOn' | 'call-date';
  /** The day of service age and eligibility are judged on: the planned infusion date when the order gives one, else the order date. */
  readonly serviceDate: string;
  readonly serviceDateSource: 'planned' | 'authoredOn' | 'call-date';
  /** How the order was recognised as the policy's: by a standard code, or only by its words or a local code. */
  readonly identifiedBy: OrderIdentification;
  readonly coverage?: CoverageChoice | undefined;
  readonly determination: Determination;
  /** Most serious first. */
  readonly findings: readonly Finding[];
  readonly criteria: readonly CriterionResult[];
  /** The facts the decision established, for the documentation form. */
  readonly documented: DocumentedFacts;
}

/** Which of the patient's Coverages the assessment used. */
export function evidenceRef(e: Evidence): EvidenceRef {
  return { reference: e.reference, ...(e.code ? { code: e.code } : {}), ...(e.date ? { date: e.date } : {}) };
}

export interface CoverageChoice {
  readonly reference: string;
  /** How cards name it: the plan and the member id. */
  readonly display: string;
  /** `several`: more than one active Coverage was sent and this one was chosen. */
  readonly choice: 'single' | 'several';
}

export type OrderIdentification = 'standard-code' | 'text-or-local-code';

const RANK: Record<Determination, number> = { 'not-covered': 3, indeterminate: 2, conditional: 1, covered: 0 };

/** Precedence when findings combine: not-covered over indeterminate over conditional over covered. */
export function combineDeterminations(values: readonly Determination[]): Determination {
  return values.reduce<Determination>((worst, d) => (RANK[d] > RANK[worst] ? d : worst), 'covered');
}

export function byDeterminationRank(a: Finding, b: Finding): number {
  return RANK[b.determination] - RANK[a.determination];
}
