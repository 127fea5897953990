import { isIP } from 'node:net';
import { z } from 'zod';
import { addressKind, AddressRules, rangeProblem } from './address-rules.js';

/**
 * A server the operator allows the service to contact on a client's behalf
 * (issue 14): a base URL, and the loopback or private addresses its host may
 * resolve to. A URL matches when it starts with the base: same scheme, host
 * and port, and a path equal to the base's or below it (segment by segment,
 * so `https://ehr.example/fhir` does not admit `https://ehr.example/fhir2` nor
 * `https://ehr.example.evil.example/fhir`).
 */
export interface AllowedServer {
  /** The base as written once, normalised (`https://ehr.example/fhir`, no trailing slash). */
  readonly base: string;
  readonly origin: string;
  /** The base's path without a trailing slash ('' for the whole origin). */
  readonly path: string;
  readonly addressRules: AddressRules;
}

/** Where `localhost` resolves: naming it names loopback. */
const LOCALHOST_RANGES = ['127.0.0.0/8', '::1'];

const EntryObject = z.strictObject({
  url: z.string(),
  privateAddresses: z.array(z.string()).min(1, 'list at least one address or range, or give the URL alone'),
});

/**
 * One entry in a list of allowed servers: a base URL, or
 * `{ "url": ..., "privateAddresses": ["10.20.0.0/16"] }` when its host name
 * resolves to loopback or private addresses the service may then connect to.
 * A host written as a loopback or private IP address (or `localhost`) names
 * its own address(es).
 */
export const AllowedServerEntry = z.unknown().transform((entry, ctx): AllowedServer => {
  // Read by hand rather than as a union, so a misspelt field is named instead of "Invalid input".
  const written = typeof entry === 'string' ? { success: true as const, data: { url: entry, privateAddresses: [] as string[] } } : EntryObject.safeParse(entry);
  if (!written.success) {
    for (const issue of written.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as (string | number)[] });
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) ctx.addIssue({ code: 'custom', message: 'must be a base URL, or { "url": ..., "privateAddresses": [...] }' });
    return z.NEVER;
  }
  const { url, privateAddresses } = written.data;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${url}" is not an absolute URL` });
    return z.NEVER;
  }
  const problem = baseProblem(parsed);
  if (problem) ctx.addIssue({ code: 'custom', message: `"${url}" ${problem}` });
  for (const range of privateAddresses) {
    const rangeIssue = rangeProblem(range);
    if (rangeIssue) ctx.addIssue({ code: 'custom', message: `privateAddresses: ${rangeIssue}` });
  }
  if (problem || privateAddresses.some((r) => rangeProblem(r) !== undefined)) return z.NEVER;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const implicit = isIP(host) !== 0 ? [host] : host === 'localhost' ? LOCALHOST_RANGES : [];
  const path = parsed.pathname.replace(/\/+$/, '');
  return {
    base: `${parsed.origin}${path}`,
    origin: parsed.origin,
    path,
    addressRules: AddressRules.naming([...implicit.filter((r) => rangeProblem(r) === undefined), ...privateAddresses]),
  };
});

/** Why a URL cannot be an allowed server's base, or undefined when it can. */
function baseProblem(url: URL): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https (or http) URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.search !== '' || url.hash !== '') return 'must be a base URL, without a query or fragment';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const kind = isIP(host) !== 0 ? addressKind(host) : undefined;
  if (kind === 'link-local' || kind === 'cloud-metadata' || kind === 'unspecified' || kind === 'reserved') return `names a ${kind} address; the service never connects there`;
  return undefined;
}

/** The allowed server whose base `url` starts with, if any (the longest base when several do). */
export function matchAllowedServer(servers: readonly AllowedServer[], url: string | URL): AllowedServer | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  const path = parsed.pathname;
  let best: AllowedServer | undefined;
  for (const server of servers) {
    if (server.origin !== parsed.origin) continue;
    const below = server.path === '' || path === server.path || path === `${server.path}/` || path.startsWith(`${server.path}/`);
    if (below && (!best || server.path.length > best.path.length)) best = server;
  }
  return best;
}
