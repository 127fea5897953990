import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FhirResource } from 'fhir/r4.js';
import { loadDiscovery } from '../src/hooks/discovery.js';
import { fromRoot } from '../src/paths.js';
import { buildEncounter, PATIENT_ID, searchset } from '../test/support/fhir-factories.js';
import { ORDER_SIGN } from '../test/support/hook-requests.js';
import { eligibleMantleCellRecord } from '../test/support/patient-scenarios.js';

/** The FHIR queries an order-sign call with nothing prefetched makes: one per prefetch template of discovery.json (11 since issue 10). */
export const ORDER_SIGN_QUERIES: number = loadDiscovery(fromRoot('discovery.json')).sources.get(ORDER_SIGN)?.length ?? 0;

export interface DelayedFhirServer {
  /** The FHIR base URL, e.g. http://127.0.0.1:40000/fhir. */
  readonly url: string;
  /** How many requests it has received. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A FHIR server on 127.0.0.1 answering the record queries of a Tecartus
 * order-sign with nothing prefetched, one per prefetch template of
 * discovery.json (Patient, Coverage, Encounter, Condition, Procedure,
 * MedicationRequest, MedicationAdministration, MedicationStatement, and the
 * supplementary ServiceRequest, Observation and Encounter history), each after
 * `delayMs`; with `null` it accepts requests and never answers.
 */
export async function startDelayedFhirServer(delayMs: number | null): Promise<DelayedFhirServer> {
  const encounter = buildEncounter();
  const record = eligibleMantleCellRecord();
  const answers: Record<string, string> = Object.fromEntries(
    Object.entries({
      [`Patient/${PATIENT_ID}`]: record.patient!,
      [`Encounter/${encounter.id}`]: encounter,
      Coverage: searchset(record.coverage!),
      Condition: searchset(record.conditions!),
      Procedure: searchset([]),
      MedicationRequest: searchset([]),
      MedicationAdministration: searchset([]),
      MedicationStatement: searchset([]),
      ServiceRequest: searchset([]),
      Observation: searchset([]),
      Encounter: searchset([]),
    } satisfies Record<string, FhirResource>).map(([path, resource]) => [path, JSON.stringify(resource)]),
  );
  const notFound = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  let count = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    count += 1;
    if (delayMs === null) return;
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/fhir\//, '');
    const body = answers[path] ?? answers[path.split('/')[0]!];
    setTimeout(() => {
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/fhir+json' });
      res.end(body ?? notFound);
    }, delayMs);
  });
  // Many hook calls at once each open one connection per query.
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`,
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
