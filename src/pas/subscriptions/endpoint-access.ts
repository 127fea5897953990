import { isIP } from 'node:net';
import type { TrustedClients } from '../../auth/trusted-clients.js';
import { addressKind, AddressRules } from '../../net/address-rules.js';
import { matchAllowedServer } from '../../net/server-allow-list.js';

/** Whether notifications of a client's subscription may go to an endpoint, and at which addresses. */
export type EndpointPermission = { readonly allowed: true; readonly addressRules: AddressRules } | { readonly allowed: false; readonly reason: string };

/** Host names that are this machine whatever DNS says. */
const LOOPBACK_NAMES = new Set(['localhost']);

/**
 * Why an endpoint URL can never receive notifications, or undefined when it
 * can: https only (the Bundle carries patient data), plain http only to
 * this machine's loopback interface (a sidecar, or tests); no credentials in
 * the URL, no fragment.
 */
export function endpointProblem(endpoint: URL): string | undefined {
  if (endpoint.username !== '' || endpoint.password !== '') return 'must not carry credentials (send them in channel.header)';
  if (endpoint.hash !== '') return 'must not have a fragment';
  const kind = addressKind(endpoint.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (kind === 'link-local' || kind === 'cloud-metadata' || kind === 'unspecified' || kind === 'reserved') return `names a ${kind} address, where the service never connects`;
  if (endpoint.protocol === 'https:') return undefined;
  if (endpoint.protocol === 'http:' && isLoopbackHost(endpoint.hostname)) return undefined;
  if (endpoint.protocol === 'http:') return 'must be an https URL: notifications carry patient data (plain http only to 127.0.0.1, [::1] or localhost)';
  return 'must be an https URL';
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (LOOPBACK_NAMES.has(host)) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Where a client's subscription may have notifications sent (issue 14, as
 * for fhirServers; docs/pas.md "Notifications"):
 * - open development mode (no clients file): any https endpoint, loopback
 *   and private addresses included, as for hook calls' fhirServer;
 * - a client with `notificationEndpoints`: only an endpoint starting with one
 *   of them, at public addresses or the private ones that entry names;
 * - a client without them, or unknown: nowhere. Unlike fhirServers there is
 *   no unrestricted default: a full-resource notification carries the
 *   patient's prior authorization, so it goes only where the operator said.
 * Link-local and cloud metadata addresses are refused in every case.
 * Checked when the subscription is created and again before each delivery,
 * so taking an endpoint out of the clients file stops its deliveries.
 */
export function notificationEndpointPermission(clients: TrustedClients | undefined, iss: string, endpoint: string): EndpointPermission {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { allowed: false, reason: 'the endpoint is not an absolute URL' };
  }
  const problem = endpointProblem(url);
  if (problem) return { allowed: false, reason: `the endpoint ${problem}` };
  if (!clients) return { allowed: true, addressRules: AddressRules.PUBLIC_AND_PRIVATE };
  const client = clients.get(iss);
  if (!client) return { allowed: false, reason: 'the service does not know this client' };
  if (!client.notificationEndpoints || client.notificationEndpoints.length === 0) {
    return { allowed: false, reason: 'no notification endpoint is registered for this client (notificationEndpoints in the clients file): notifications carry patient data and go only to registered endpoints' };
  }
  const entry = matchAllowedServer(client.notificationEndpoints, url);
  if (!entry) return { allowed: false, reason: 'the endpoint is not one registered for this client (notificationEndpoints in the clients file)' };
  return { allowed: true, addressRules: entry.addressRules };
}
