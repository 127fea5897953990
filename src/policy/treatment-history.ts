import type { Annotation, CodeableConcept, FhirResource, Medication, Reference, Resource } from 'fhir/r4.js';
import {
  administrationDate,
  conditionDate,
  encounterDate,
  observationDate,
  procedureDate,
  requestDate,
  serviceRequestDate,
  statementDate,
} from '../fhir/clinical-dates.js';
import { codingsOf, textsOf } from '../fhir/codes.js';
import type { PartialDate } from '../fhir/dates.js';
import type { PatientRecord } from '../fhir/patient-record.js';
import { resolveMedication } from '../fhir/references.js';
import type { CompiledPolicy } from './compiled-policy.js';

/**
 * One entry of the patient's history, read the same way whatever kind of
 * record holds it, for finding earlier therapy:
 * - `given`: the record says it happened (a completed procedure or
 *   administration, a medication taken, a history Condition, a final Observation);
 * - `uncertain`: started, stopped, on hold or unknown;
 * - `ordered`: an order still open.
 */
export interface HistoryEntry {
  readonly resource: FhirResource;
  readonly kind: 'action' | 'order' | 'condition' | 'observation' | 'encounter';
  readonly happened: 'given' | 'uncertain' | 'ordered';
  readonly status?: string | undefined;
  readonly date: PartialDate | undefined;
  /** The end of the period where one is given (a harvest may reach into the current course). */
  readonly latestDate: PartialDate | undefined;
  /** What the entry is: the procedure, the drug, the condition, the observation and its value, the encounter's reason. */
  readonly concepts: readonly CodeableConcept[];
  /** The words that say what the entry is, then its notes; notes are left out for a record of another drug. */
  readonly texts: readonly string[];
}

const PROCEDURE: Readonly<Record<string, HistoryEntry['happened']>> = { completed: 'given', 'in-progress': 'uncertain', stopped: 'uncertain', 'on-hold': 'uncertain', unknown: 'uncertain' };
const ADMINISTRATION = PROCEDURE;
/** A statement that the patient took (or stopped taking) a drug says it was given; not-taken and intended do not. */
const STATEMENT: Readonly<Record<string, HistoryEntry['happened']>> = { active: 'given', completed: 'given', stopped: 'given', 'on-hold': 'uncertain', unknown: 'uncertain' };
const REQUEST: Readonly<Record<string, HistoryEntry['happened']>> = { completed: 'given', active: 'ordered', 'on-hold': 'ordered' };
const OBSERVATION: Readonly<Record<string, HistoryEntry['happened']>> = { final: 'given', amended: 'given', corrected: 'given', preliminary: 'uncertain', registered: 'uncertain' };
const NOT_EVIDENCE_VERIFICATION = new Set(['entered-in-error', 'refuted']);

/** The table's own entries only: a status such as "constructor" must not find Object.prototype's. */
function lookUp(table: Readonly<Record<string, HistoryEntry['happened']>>, status: unknown): HistoryEntry['happened'] | undefined {
  return typeof status === 'string' && Object.hasOwn(table, status) ? table[status] : undefined;
}

/** Every entry of the record that can show earlier therapy, except the encounter of the call. */
export function treatmentHistory(policy: CompiledPolicy, record: PatientRecord): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  const notes = (r: { note?: Annotation[] }) => (Array.isArray(r.note) ? r.note.map((n) => n.text).filter((t): t is string => typeof t === 'string') : []);

  for (const p of record.procedures) {
    const happened = lookUp(PROCEDURE, p.status);
    if (!happened) continue;
    out.push({ resource: p, kind: 'action', happened, status: p.status, date: procedureDate(p), latestDate: procedureDate(p, 'latest'), concepts: [p.code ?? {}], texts: [...textsOf(p.code), ...notes(p)] });
  }
  const medicationEntry = (
    resource: FhirResource & { note?: Annotation[]; contained?: Resource[] },
    kind: HistoryEntry['kind'],
    happened: HistoryEntry['happened'],
    status: string | undefined,
    date: PartialDate | undefined,
    concept: CodeableConcept | undefined,
    reference: Reference | undefined,
  ): HistoryEntry => {
    const medication: Medication | undefined = resolveMedication(reference, resource, record.medications);
    const drug = [concept, medication?.code].filter((c): c is CodeableConcept => c !== undefined);
    const drugTexts = [...textsOf(...drug), ...(typeof reference?.display === 'string' ? [reference.display] : [])];
    // A record of another, named drug (tocilizumab, fludarabine): a CAR-T mention in its notes says why, not what was given.
    const otherDrug = (codingsOf(...drug).length > 0 || drugTexts.length > 0) && !namesCarT(policy, drug, drugTexts);
    return { resource, kind, happened, status, date, latestDate: date, concepts: drug, texts: otherDrug ? drugTexts : [...drugTexts, ...notes(resource)] };
  };
  for (const a of record.medicationAdministrations) {
    const happened = lookUp(ADMINISTRATION, a.status);
    if (happened) out.push(medicationEntry(a, 'action', happened, a.status, administrationDate(a), a.medicationCodeableConcept, a.medicationReference));
  }
  for (const s of record.medicationStatements) {
    const happened = lookUp(STATEMENT, s.status);
    if (happened) out.push(medicationEntry(s, 'action', happened, s.status, statementDate(s), s.medicationCodeableConcept, s.medicationReference));
  }
  for (const r of record.medicationRequests) {
    const happened = lookUp(REQUEST, r.status);
    if (happened) out.push(medicationEntry(r, 'order', happened, r.status, requestDate(r), r.medicationCodeableConcept, r.medicationReference));
  }
  for (const r of record.serviceRequests) {
    const happened = lookUp(REQUEST, r.status);
    if (happened) out.push({ resource: r, kind: 'order', happened, status: r.status, date: serviceRequestDate(r), latestDate: serviceRequestDate(r), concepts: [r.code ?? {}], texts: [...textsOf(r.code), ...notes(r)] });
  }
  for (const c of record.conditions) {
    if ((c.verificationStatus?.coding ?? []).some((v) => typeof v.code === 'string' && NOT_EVIDENCE_VERIFICATION.has(v.code))) continue;
    out.push({ resource: c, kind: 'condition', happened: 'given', status: undefined, date: conditionDate(c), latestDate: conditionDate(c), concepts: [c.code ?? {}], texts: [...textsOf(c.code), ...notes(c)] });
  }
  for (const o of record.observations) {
    const happened = lookUp(OBSERVATION, o.status);
    if (!happened || deniesItself(o)) continue;
    const concepts = [o.code ?? {}, ...(o.valueCodeableConcept ? [o.valueCodeableConcept] : [])];
    const texts = [...textsOf(...concepts), ...(typeof o.valueString === 'string' ? [o.valueString] : []), ...notes(o)];
    out.push({ resource: o, kind: 'observation', happened, status: o.status, date: observationDate(o), latestDate: observationDate(o), concepts, texts });
  }
  for (const e of record.encounters) {
    if (e.status !== 'finished' || (record.encounter && e.id === record.encounter.id)) continue;
    const reasons = Array.isArray(e.reasonCode) ? e.reasonCode : [];
    out.push({ resource: e, kind: 'encounter', happened: 'given', status: e.status, date: encounterDate(e), latestDate: encounterDate(e), concepts: reasons, texts: textsOf(...reasons) });
  }
  return out;
}

function namesCarT(policy: CompiledPolicy, concepts: readonly CodeableConcept[], texts: readonly string[]): boolean {
  const codings = codingsOf(...concepts);
  if (policy.codeSets.carTProduct.matchAny(codings)) return true;
  return texts.some((t) => policy.anyCarTName.test(t) || policy.terms.otherCarCells.test(t));
}

/** An Observation whose answer is no ("History of CAR-T therapy: No"). */
function deniesItself(o: { valueBoolean?: boolean; valueString?: string; valueCodeableConcept?: CodeableConcept }): boolean {
  if (o.valueBoolean === false) return true;
  const NO = /^\s*(no|none|never|negative|false|denies)\s*\.?\s*$/i;
  if (typeof o.valueString === 'string' && NO.test(o.valueString)) return true;
  const value = o.valueCodeableConcept;
  if (!value) return false;
  // SNOMED CT 373067005 |No|; HL7 v2 0136 N.
  if ((value.coding ?? []).some((c) => c.code === '373067005' || (c.code === 'N' && /0136/.test(c.system ?? '')))) return true;
  return textsOf(value).some((t) => NO.test(t));
}
