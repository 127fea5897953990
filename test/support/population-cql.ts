import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PatientSource } from 'cql-exec-fhir';
import cql from 'cql-execution';
import type { Bundle, FhirResource, Patient } from 'fhir/r4.js';
import { loadDtrArtifacts, type DtrArtifacts } from '../../src/dtr/dtr-artifacts.js';
import { packageContents, type PackageContents } from '../../src/dtr/package-contents.js';
import { fromRoot } from '../../src/paths.js';
import { PolicyDefinition } from '../../src/policy/policy-definition.js';

/**
 * Runs the questionnaire's population CQL (the generated ELM of
 * TecartusPriorAuth and FHIRHelpers) the way a DTR client would: with
 * cql-execution over the record as one FHIR R4 Bundle (the call's draft orders
 * first), value sets from the package's generated ValueSets, on the day the
 * form is filled. For tests, and to set the CQL's answers beside the policy
 * engine's findings on the same records.
 */
export interface PopulationRecord {
  /** The draft order (MedicationRequest or ServiceRequest); without `today`, its authoredOn is the day the form is filled. */
  readonly order?: FhirResource;
  /** More draft orders of the same call (and any Medication they reference), after `order`. */
  readonly drafts?: readonly FhirResource[];
  /** Everything else in the record: Patient, Conditions, Procedures, medications, Encounter, Coverage. */
  readonly resources: readonly FhirResource[];
  /** The day the form is filled (the CQL's Today()), YYYY-MM-DD; default the order's authoredOn, else today. */
  readonly today?: string;
}

/** The CQL's answers in plain terms. `true` where the record's codes show it; `false` where they do not. */
export interface PopulationAnswers {
  /** The draft order the CQL takes for Tecartus (`Type/id`), if any. */
  readonly tecartusOrder: string | null;
  /** Age in whole years on the date of service; null without a birth date, or when a partial one leaves two ages. */
  readonly ageInYears: number | null;
  /** The ages a partial birth date allows ([low, high]); null without a birth date. */
  readonly ageRange: readonly [number, number] | null;
  readonly mantleCellLymphoma: boolean;
  readonly acuteLymphoblasticLeukemia: boolean;
  readonly qualifyingDiagnosis: 'mantle-cell-lymphoma' | 'acute-lymphoblastic-leukemia' | null;
  readonly bCellPrecursorLineageCoded: boolean;
  readonly relapsedOrRefractoryCoded: boolean;
  readonly priorCarTCoded: boolean;
  readonly administrationSetting: 'outpatient' | 'inpatient' | null;
}

export interface PopulationRunner {
  readonly artifacts: DtrArtifacts;
  readonly contents: PackageContents;
  /** Every definition's raw result (cql-execution values), by definition name. */
  definitions(record: PopulationRecord): Promise<Record<string, unknown>>;
  answers(record: PopulationRecord): Promise<PopulationAnswers>;
}

const DIAGNOSES: Record<string, PopulationAnswers['qualifyingDiagnosis']> = {
  '443487006': 'mantle-cell-lymphoma',
  '91857003': 'acute-lymphoblastic-leukemia',
};
const SETTINGS: Record<string, PopulationAnswers['administrationSetting']> = { AMB: 'outpatient', IMP: 'inpatient' };
/** Stands in for a record without a Patient resource: cql-exec-fhir needs one to run the other definitions. */
const PLACEHOLDER_PATIENT_ID = 'record-without-patient';

export function createPopulationRunner(policyDirectory = fromRoot('policies', 'tecartus-carepartners-ct')): PopulationRunner {
  const policy = PolicyDefinition.parse(JSON.parse(readFileSync(join(policyDirectory, 'policy.json'), 'utf8')));
  const artifacts = loadDtrArtifacts(policyDirectory);
  const contents = packageContents(policy, artifacts, new Date().toISOString());
  const repository = new cql.Repository(Object.fromEntries(artifacts.libraries.map((l) => [l.name, l.elm])));
  const main = artifacts.libraries[0]!;
  const library = repository.resolve(main.name, main.version);
  const codeService = new cql.CodeService(
    Object.fromEntries(
      contents.valueSets.map((vs) => [
        vs.url!,
        { [vs.version!]: (vs.expansion?.contains ?? []).map((c) => ({ system: c.system!, code: c.code!, ...(c.version ? { version: c.version } : {}) })) },
      ]),
    ),
  );

  // Reading the FHIR 4.0.1 model info takes most of a run, so one source serves every run, one at a time.
  const source = PatientSource.FHIRv401();
  let queue: Promise<unknown> = Promise.resolve();

  function definitions(record: PopulationRecord): Promise<Record<string, unknown>> {
    const run = queue.then(() => evaluate(record));
    queue = run.catch(() => undefined);
    return run;
  }

  async function evaluate(record: PopulationRecord): Promise<Record<string, unknown>> {
    const patient = record.resources.find((r): r is Patient => r.resourceType === 'Patient');
    // The call's drafts first: the CQL takes the first draft Tecartus order for the one the form is for.
    const resources: FhirResource[] = [
      ...(record.order ? [record.order] : []),
      ...(record.drafts ?? []),
      ...(patient ? [] : [{ resourceType: 'Patient', id: PLACEHOLDER_PATIENT_ID } satisfies Patient]),
      ...record.resources,
    ];
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
    source.reset();
    source.loadBundles([bundle]);
    const results = await new cql.Executor(library, codeService).exec(source, executionDateTime(record));
    const patientId = patient?.id ?? PLACEHOLDER_PATIENT_ID;
    const byPatient = results.patientResults[patientId];
    if (!byPatient) throw new Error(`the CQL gave no results for Patient/${patientId}`);
    return byPatient as Record<string, unknown>;
  }

  async function answers(record: PopulationRecord): Promise<PopulationAnswers> {
    const r = await definitions(record);
    const age = ageOf(r['Age In Years']);
    return {
      tecartusOrder: referenceOf(r['Tecartus Order']),
      ageInYears: age && age[0] === age[1] ? age[0] : null,
      ageRange: age,
      mantleCellLymphoma: r['Mantle Cell Lymphoma Diagnosis'] === true,
      acuteLymphoblasticLeukemia: r['Acute Lymphoblastic Leukemia Diagnosis'] === true,
      qualifyingDiagnosis: DIAGNOSES[codeOf(r['Qualifying Diagnosis']) ?? ''] ?? null,
      bCellPrecursorLineageCoded: r['B-Cell Precursor Lineage Coded'] === true,
      relapsedOrRefractoryCoded: r['Relapsed Or Refractory Disease Coded'] === true,
      priorCarTCoded: r['Prior CAR-T Therapy Coded'] === true,
      administrationSetting: SETTINGS[codeOf(r['Administration Setting']) ?? ''] ?? null,
    };
  }

  return { artifacts, contents, definitions, answers };
}

/**
 * The day the CQL runs on (its Today()): the given day, else the order's
 * authoredOn date, else today. The CQL uses the date alone (cql-execution
 * takes the date part of this DateTime as Today()), so the time and offset do
 * not matter.
 */
function executionDateTime(record: PopulationRecord): InstanceType<typeof cql.DateTime> {
  const authoredOn = record.order && 'authoredOn' in record.order ? record.order.authoredOn : undefined;
  const day =
    record.today ?? (typeof authoredOn === 'string' && /^\d{4}-\d{2}-\d{2}/.test(authoredOn) ? authoredOn.slice(0, 10) : new Date().toISOString().slice(0, 10));
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new cql.DateTime(year, month, date, 12, 0, 0, 0, 0);
}

/** An Integer, or an Uncertainty ({ low, high }) when the birth date is partial. */
function ageOf(value: unknown): [number, number] | null {
  if (typeof value === 'number') return [value, value];
  if (value && typeof value === 'object' && 'low' in value && 'high' in value) {
    const { low, high } = value as { low: unknown; high: unknown };
    if (typeof low === 'number' && typeof high === 'number') return [low, high];
  }
  return null;
}

/** `Type/id` of a FHIR resource the CQL returned (a cql-exec-fhir object over the resource's JSON). */
function referenceOf(value: unknown): string | null {
  const json = value && typeof value === 'object' && '_json' in value ? (value as { _json: unknown })._json : undefined;
  if (!json || typeof json !== 'object' || !('resourceType' in json) || !('id' in json)) return null;
  return `${String(json.resourceType)}/${String(json.id)}`;
}

function codeOf(value: unknown): string | undefined {
  return value && typeof value === 'object' && 'code' in value && typeof value.code === 'string' ? value.code : undefined;
}
