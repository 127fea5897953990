import { Deadline } from '../../src/fhir/deadline.js';
import { FhirClient, FhirQueryFailure } from '../../src/fhir/fhir-client.js';
import { AddressRules } from '../../src/net/address-rules.js';
import { OutboundClient } from '../../src/net/outbound-client.js';

/**
 * One FhirClient GET in a process of its own, for tests that need a fresh
 * Node process (e.g. NODE_EXTRA_CA_CERTS is read only at start-up).
 * Usage: node --import tsx test/support/fhir-get-cli.ts <fhirServer> <path> <resourceType>
 * Prints {"resourceType": ...} or {"failure": kind, "code": ...} as JSON.
 */
const [fhirServer, path, expected] = process.argv.slice(2) as [string, string, string];
const outbound = new OutboundClient();
const client = new FhirClient(fhirServer, { outbound, addressRules: AddressRules.PUBLIC_AND_PRIVATE, queryTimeoutMs: 5000, maxResponseBytes: 1_000_000, deadline: Deadline.after(performance.now(), 5000) });
try {
  const { resource } = await client.get(client.resolve(path), expected);
  console.log(JSON.stringify({ resourceType: resource?.resourceType }));
} catch (error) {
  if (!(error instanceof FhirQueryFailure)) throw error;
  console.log(JSON.stringify({ failure: error.kind, code: error.code }));
} finally {
  outbound.close();
}
