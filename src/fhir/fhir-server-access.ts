import type { TrustedClients } from '../auth/trusted-clients.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { AddressRules } from '../net/address-rules.js';
import { matchAllowedServer } from '../net/server-allow-list.js';

/** Whether the service may query a hook call's fhirServer for the client that sent it, and at which addresses. */
export type FhirServerPermission = { readonly allowed: true; readonly addressRules: AddressRules } | { readonly allowed: false; readonly reason: string };

/**
 * Which FHIR servers a CDS client may have the service query (issue 14: a
 * leaked EHR credential must not turn the service into a scanner of the
 * payer's network):
 * - open development mode (no clients file): any server, loopback and private
 *   addresses included, as before (said at start-up);
 * - a client with a `fhirServers` list: only a fhirServer starting with one of
 *   them, at public addresses or the private ones that entry names;
 * - a client without one: any server at a public address.
 * Link-local and cloud metadata addresses are refused in every case (AddressRules).
 */
export function fhirServerPermission(clients: TrustedClients | undefined, iss: string | undefined, fhirServer: string): FhirServerPermission {
  if (!clients) return { allowed: true, addressRules: AddressRules.PUBLIC_AND_PRIVATE };
  const client = iss === undefined ? undefined : clients.get(iss);
  if (!client) return { allowed: false, reason: 'the service does not know the calling EHR, so it queries no FHIR server for it' };
  if (!client.fhirServers) return { allowed: true, addressRules: AddressRules.PUBLIC_ONLY };
  const server = matchAllowedServer(client.fhirServers, fhirServer);
  if (!server) return { allowed: false, reason: "the request's fhirServer is not one registered for this EHR, so the service sent it no query" };
  return { allowed: true, addressRules: server.addressRules };
}

/**
 * Says at start-up where hook calls may send the service, and refuses
 * NODE_ENV=production when a client may name any server without the
 * operator having said so (FHIR_ORIGINS_UNRESTRICTED=true).
 */
export function checkFhirServerAccess(config: Config, clients: TrustedClients | undefined, logger: Logger): void {
  if (!clients) {
    logger.warn(
      { event: 'fhir-servers-open' },
      'open development mode: hook calls may have the service query any fhirServer, loopback and private addresses included (never link-local or cloud metadata addresses)',
    );
    return;
  }
  const unrestricted = [...clients.values()].filter((c) => !c.fhirServers).map((c) => c.name ?? c.iss);
  const listed = [...clients.values()].filter((c) => c.fhirServers);
  if (unrestricted.length > 0 && config.production && !config.fhirQueries.originsUnrestricted) {
    throw new Error(
      `refusing to start: NODE_ENV=production and the clients file gives no fhirServers list for ${unrestricted.join(', ')}, so their hook calls could have the service query any https server. List each client's FHIR servers (docs/security.md "Onboarding an EHR"), or set FHIR_ORIGINS_UNRESTRICTED=true to accept this deliberately.`,
    );
  }
  for (const client of unrestricted) {
    logger.warn({ event: 'fhir-servers-unrestricted', client }, `client ${client} has no fhirServers list: its hook calls may have the service query any https server at a public address`);
  }
  if (listed.length > 0) {
    logger.info(
      { event: 'fhir-servers', clients: listed.map((c) => ({ client: c.name ?? c.iss, fhirServers: c.fhirServers!.map((s) => s.base) })) },
      'FHIR servers each client may name',
    );
  }
}
