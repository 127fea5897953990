import type { FhirResource, Medication, Organization } from 'fhir/r4.js';
import { incomplete } from '../errors/outcomes.js';
import { assembleRecord } from './assemble-record.js';
import type { PatientRecord, RecordPart, UnavailablePart } from './patient-record.js';
import type { PrefetchReading } from './prefetch.js';
import type { ResourceReader } from './read-resource.js';
import type { RecordSource } from './record-sources.js';
import { unresolvedMedicationReferences } from './references.js';

/** What the service knows about where to get the record for one call. */
export interface RecordRequest {
  readonly sources: readonly RecordSource[];
  readonly prefetch: PrefetchReading;
  /** Medications found in draftOrders, or read from the FHIR server for them. */
  readonly draftMedications: readonly Medication[];
  readonly fhirServer?: string | undefined;
  readonly accessToken?: string | undefined;
  /** The calling CDS client's issuer (JWT iss): which FHIR servers it may name (src/fhir/fhir-server-access.ts). */
  readonly client?: string | undefined;
  readonly context: Readonly<Record<string, unknown>>;
  /** When the hook call began (performance.now()): the one FHIR deadline counts from here. */
  readonly startedAt: number;
  /** For log lines. */
  readonly hookInstance?: string | undefined;
  /** Reads each resource leniently (read-resource.ts). */
  readonly reader: ResourceReader;
}

/** Fetches what prefetch lacked from the EHR's FHIR server (src/fhir/fhir-record-fetcher.ts). */
export interface RecordFetcher {
  fetchMissing(request: RecordRequest, missing: readonly RecordSource[], pages: readonly { source: RecordSource; next: string }[]): Promise<FetchedParts>;
  /** Reads Medications by reference (`Medication/x`), one read each. A fetcher without it reads none. */
  fetchMedications?(request: RecordRequest, references: readonly string[]): Promise<FetchedMedications>;
  /** Why the request's fhirServer cannot be queried (e.g. plain http not allowed), or undefined when it can. */
  refusal?(request: RecordRequest): string | undefined;
}

export interface FetchedParts {
  readonly resources: ReadonlyMap<RecordPart, readonly FhirResource[]>;
  readonly medications: readonly Medication[];
  readonly organizations?: readonly Organization[];
  readonly unavailable: readonly UnavailablePart[];
}

export interface FetchedMedications {
  readonly medications: readonly Medication[];
  readonly unavailable: readonly UnavailablePart[];
}

/**
 * Gathers the patient's record: prefetch first, then the FHIR server for
 * anything prefetch did not carry (CDS Hooks 2.0: the service retrieves what
 * is missing). Without a fhirServer to ask, missing data is a 412 (CDS
 * Hooks); data that was asked for and is simply absent is not (CRD found-32).
 * A prefetch value of null is data ("none"), so it is never queried.
 */
export async function gatherPatientRecord(request: RecordRequest, fetcher: RecordFetcher | undefined): Promise<PatientRecord> {
  const parts = new Map<RecordPart, FhirResource[]>();
  const missing: RecordSource[] = [];
  const pages: { source: RecordSource; next: string }[] = [];
  for (const source of request.sources) {
    const value = request.prefetch.values.get(source.key);
    if (!value || value.state === 'missing') {
      missing.push(source);
    } else if (value.state === 'data') {
      parts.set(source.part, [...value.resources]);
      if (value.next) pages.push({ source, next: value.next });
    }
  }
  const medications = [...request.draftMedications, ...request.prefetch.medications];
  const organizations = [...request.prefetch.organizations];
  const unavailable: UnavailablePart[] = [...request.prefetch.unreadable];
  const refusal = refusalOf(request, fetcher);

  const required = missing.filter((s) => !s.supplementary);
  if (required.length > 0 && refusal) {
    throw incomplete(
      `The Tecartus decision needs data the request did not prefetch (${required.map((s) => s.key).join(', ')}) and ${refusal}.`,
      required.map((s) => `prefetch.${s.key}`),
    );
  }
  if (refusal) {
    // A paginated prefetch with no server to page through: decide on the first page, and say so.
    for (const { source } of pages) unavailable.push({ part: source.part, reason: `the prefetch was paginated and ${refusal}` });
    return readRecord(request.reader, parts, medications, organizations, unavailable);
  }
  if (missing.length > 0 || pages.length > 0) {
    const fetched = await fetcher!.fetchMissing(request, missing, pages);
    for (const [part, resources] of fetched.resources) parts.set(part, [...(parts.get(part) ?? []), ...resources]);
    medications.push(...fetched.medications);
    organizations.push(...(fetched.organizations ?? []));
    unavailable.push(...fetched.unavailable);
  }

  // History entries may name their drug only by a Medication reference; a prior CAR-T product hides behind it.
  const history = ['medicationRequests', 'medicationAdministrations', 'medicationStatements'] as const;
  const references = unresolvedMedicationReferences(history.flatMap((p) => parts.get(p) ?? []), medications);
  if (references.length > 0 && fetcher?.fetchMedications) {
    const fetched = await fetcher.fetchMedications(request, references);
    medications.push(...fetched.medications);
    unavailable.push(...fetched.unavailable);
  }
  return readRecord(request.reader, parts, medications, organizations, unavailable);
}

/**
 * Reads every resource leniently; a resource with malformed elements is kept
 * without them, and its part of the record is reported unreadable, so the
 * criteria that need that part say so instead of concluding on less.
 */
function readRecord(
  reader: ResourceReader,
  parts: ReadonlyMap<RecordPart, readonly FhirResource[]>,
  medications: readonly Medication[],
  organizations: readonly Organization[],
  unavailable: UnavailablePart[],
): PatientRecord {
  const problems = new Map<RecordPart, string[]>();
  const readAll = <T extends FhirResource>(part: RecordPart, resources: readonly FhirResource[]): T[] =>
    resources.flatMap((value) => {
      const reading = reader.read(value);
      if (!reading) return [];
      if (reading.problems.length > 0) problems.set(part, [...(problems.get(part) ?? []), ...reading.problems]);
      return [reading.resource as T];
    });
  const read = new Map<RecordPart, FhirResource[]>();
  for (const [part, resources] of parts) read.set(part, readAll(part, resources));
  const readMedications = readAll<Medication>('medications', medications);
  const readOrganizations = readAll<Organization>('coverage', organizations);
  for (const [part, list] of problems) {
    const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
    unavailable.push({ part, reason: `malformed data from the EHR: ${list[0]}${more}` });
  }
  return assembleRecord(read, readMedications, readOrganizations, unavailable);
}

/**
 * Reads the Medications that draft orders reference but the request did not
 * carry. This is the only FHIR query made before a Tecartus order is known:
 * without the Medication the order cannot be classified at all. A failed
 * read leaves the order unclassified (not judged as Tecartus); the fetcher
 * logs it.
 */
export async function fetchOrderMedications(request: RecordRequest, references: readonly string[], fetcher: RecordFetcher | undefined): Promise<Medication[]> {
  if (references.length === 0 || refusalOf(request, fetcher) || !fetcher?.fetchMedications) return [];
  const fetched = await fetcher.fetchMedications(request, references);
  return [...fetched.medications];
}

function refusalOf(request: RecordRequest, fetcher: RecordFetcher | undefined): string | undefined {
  if (!request.fhirServer) return 'the request has no fhirServer to query for it';
  if (!fetcher) return 'the service has no FHIR client configured';
  return fetcher.refusal?.(request);
}
