import type { Bundle } from 'fhir/r4.js';
import type { PaRequestRecord, PaRequestStore } from '../store/pa-request-store.js';
import { inquiryAnswer } from './claim-response.js';
import { readPasRequest } from './read-pas-request.js';

/**
 * Claim/$inquire (PAS): the current answer to the client's earlier requests
 * that match the inquiry by example: the member (the Patient's identifiers or
 * the Coverage's member id, spec-53), and, when the inquiry names them, the
 * requesting organisation, the services and the trace number. A client only
 * ever sees its own requests.
 */
export async function inquireClaim(body: unknown, clientIss: string, requests: PaRequestStore): Promise<ReturnType<typeof inquiryAnswer>> {
  const inquiry = readPasRequest(body, 'inquire');
  const overlaps = (a: readonly string[], b: readonly string[]) => a.some((x) => b.includes(x));
  const services = inquiry.items.map((i) => i.service).filter((s) => s !== '|');
  const matches = (r: PaRequestRecord) =>
    overlaps(r.memberIds, inquiry.memberIds) &&
    (inquiry.organisations.length === 0 || overlaps(r.organisations, inquiry.organisations)) &&
    (services.length === 0 || overlaps(r.services, services)) &&
    (inquiry.claimIdentifier === '' || r.claimIdentifier === inquiry.claimIdentifier);
  const found = (await requests.byClient(clientIss)).filter(matches);
  return inquiryAnswer(found.map((r) => r.responseBundle as Bundle));
}
