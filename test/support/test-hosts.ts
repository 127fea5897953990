import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { ResolvedAddress, Resolver } from '../../src/net/outbound-client.js';

/**
 * Host names for outbound tests without DNS: each name maps to the addresses
 * it "resolves" to, or to a function giving the answer of each lookup (a DNS
 * answer that changes between lookups). The service's sockets still connect
 * for real, to the loopback addresses given (127.0.0.0/8 is all loopback on
 * Linux, so 127.0.0.2 can play an internal host). Unknown names fail as DNS
 * would. `lookups` records every name asked.
 */
export function mappedResolver(hosts: Record<string, string | readonly string[] | (() => string | readonly string[])>): Resolver & { lookups: string[] } {
  const lookups: string[] = [];
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    lookups.push(hostname);
    const entry = hosts[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const answer = typeof entry === 'function' ? entry() : entry;
    return (typeof answer === 'string' ? [answer] : answer).map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  };
  return Object.assign(resolve, { lookups });
}

/**
 * An HTTP server on one loopback address that counts every TCP connection
 * and request it gets: the "internal service" a pivot would reach. A test
 * asserts it saw nothing.
 */
export interface Tripwire {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  connections: number;
  readonly requests: { url: string; authorization?: string | undefined }[];
  close(): Promise<void>;
}

export async function startTripwire(host: string): Promise<Tripwire> {
  let server: Server;
  const tripwire = {
    host,
    port: 0,
    url: '',
    connections: 0,
    requests: [] as { url: string; authorization?: string | undefined }[],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server = createServer((req, res) => {
    tripwire.requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/fhir+json', connection: 'close' }).end(JSON.stringify({ resourceType: 'Patient', id: 'internal-secret' }));
  });
  server.on('connection', () => {
    tripwire.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  tripwire.port = (server.address() as AddressInfo).port;
  tripwire.url = `http://${host}:${tripwire.port}`;
  return tripwire;
}
