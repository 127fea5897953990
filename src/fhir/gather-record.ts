import type { FhirResource, Medication } from 'fhir/r4.js';
import { preconditionFailed } from '../http/operation-outcome.js';
import { assembleRecord } from './assemble-record.js';
import type { PatientRecord, RecordPart, UnavailablePart } from './patient-record.js';
import type { PrefetchReading } from './prefetch.js';
import type { RecordSource } from './record-sources.js';

/** What the service knows about where to get the record for one call. */
export interface RecordRequest {
  readonly sources: readonly RecordSource[];
  readonly prefetch: PrefetchReading;
  /** Medications found in draftOrders. */
  readonly draftMedications: readonly Medication[];
  readonly fhirServer?: string | undefined;
  readonly accessToken?: string | undefined;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Fetches what prefetch lacked from the EHR's FHIR server (src/fhir/fhir-queries.ts). */
export interface RecordFetcher {
  fetchMissing(request: RecordRequest, missing: readonly RecordSource[], pages: readonly { source: RecordSource; next: string }[]): Promise<FetchedParts>;
}

export interface FetchedParts {
  readonly resources: ReadonlyMap<RecordPart, readonly FhirResource[]>;
  readonly medications: readonly Medication[];
  readonly unavailable: readonly UnavailablePart[];
}

/**
 * Gathers the patient's record: prefetch first, then the FHIR server for
 * anything prefetch did not carry. Without a fhirServer to ask, missing data
 * is a 412 (CDS Hooks); data that was asked for and is simply absent is not
 * (CRD found-32).
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
  if (missing.length === 0 && pages.length === 0) return assembleRecord(parts, medications, []);

  if (!request.fhirServer || !fetcher) {
    if (missing.length > 0) {
      throw preconditionFailed(
        `The Tecartus decision needs data the request did not prefetch (${missing.map((s) => s.key).join(', ')}) and the request has no fhirServer to query for it.`,
        missing.map((s) => `prefetch.${s.key}`),
      );
    }
    // A paginated prefetch with no server to page through: decide on the first page, and say so.
    const unavailable = pages.map(({ source }) => ({ part: source.part, reason: 'prefetch was paginated and the request has no fhirServer to read the other pages' }));
    return assembleRecord(parts, medications, unavailable);
  }

  const fetched = await fetcher.fetchMissing(request, missing, pages);
  for (const [part, resources] of fetched.resources) parts.set(part, [...(parts.get(part) ?? []), ...resources]);
  return assembleRecord(parts, [...medications, ...fetched.medications], fetched.unavailable);
}
