import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AllowedServerEntry, type AllowedServer } from '../net/server-allow-list.js';

/**
 * The CDS clients (EHRs) this service trusts, read from CDS_CLIENTS_FILE.
 * CDS Hooks 2.0 "Trusting CDS Clients": services keep an allow-list of `iss`
 * and of the `jku` URLs each issuer may name; keys are exchanged out of band
 * (a JWKS in the file, or a URL it is fetched from) unless the token's `jku`
 * names an allow-listed JWKS.
 */
export interface TrustedClient {
  readonly iss: string;
  /** A label for logs and the operator; the issuer otherwise. */
  readonly name?: string | undefined;
  /** Public keys exchanged out of band. */
  readonly jwks?: JSONWebKeySet | undefined;
  /** Where this client's public keys are published (used when a token has no `jku`). */
  readonly jwksUrl?: string | undefined;
  /** JWKS URLs a token's `jku` header may name; `jwksUrl` is always allowed too. */
  readonly jku: readonly string[];
  /** When set, tokens must carry one of these `tenant` values. */
  readonly tenants?: readonly string[] | undefined;
  /**
   * The FHIR servers this client may have the service query (issue 14): a
   * hook call's fhirServer must start with one of them. Undefined: any server
   * on a public address (said at start-up; production needs
   * FHIR_ORIGINS_UNRESTRICTED=true). Empty: none, prefetch only.
   */
  readonly fhirServers?: readonly AllowedServer[] | undefined;
  /**
   * Where this client's PAS subscriptions may have notifications sent: a
   * Subscription's channel endpoint must start with one of them. Undefined or
   * empty: the client cannot subscribe (notifications carry patient data).
   */
  readonly notificationEndpoints?: readonly AllowedServer[] | undefined;
  /**
   * The organisations (sending systems) whose prior authorization results
   * this client may subscribe to, as `system|value` or a bare value (PAS
   * spec-65). Undefined: none.
   */
  readonly organizationIdentifiers?: readonly string[] | undefined;
}

/** Key URLs must be https; plain http is accepted only on the loopback interface (a sidecar, or tests). */
const KeyUrl = z.url({ error: 'must be an absolute URL' }).refine(
  (u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  },
  { message: 'must be an https URL (http only for 127.0.0.1, localhost or [::1])' },
);

const PublicJwk = z
  .looseObject({
    kty: z.enum(['EC', 'RSA', 'OKP'], { error: 'kty must be EC, RSA or OKP: CDS Hooks forbids symmetric keys' }),
    kid: z.string().min(1).optional(),
    alg: z.string().optional(),
    use: z.string().optional(),
  })
  .refine((k) => !['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((field) => field in k), {
    message: 'holds private key material; the clients file takes public keys only',
  })
  .superRefine((k, ctx) => {
    // Import it now, so a damaged key stops start-up instead of failing every call from that client.
    try {
      createPublicKey({ key: k as JsonWebKey, format: 'jwk' });
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `is not a usable public key: ${(error as Error).message}` });
    }
  });

const Client = z
  .strictObject({
    iss: z.string().min(1, 'must not be empty'),
    name: z.string().min(1).optional(),
    jwks: z.strictObject({ keys: z.array(PublicJwk).min(1, 'needs at least one key') }).optional(),
    jwksUrl: KeyUrl.optional(),
    jku: z.array(KeyUrl).optional(),
    tenant: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    fhirServers: z.array(AllowedServerEntry).optional(),
    notificationEndpoints: z.array(AllowedServerEntry).optional(),
    organizationIdentifiers: z.array(z.string().trim().min(1, 'must not be empty').regex(/^[^,|]*\|?[^,|]+$/, 'must be system|value or a value (no commas)')).optional(),
  })
  .refine((c) => !(c.jwks && c.jwksUrl), { message: 'give jwks or jwksUrl, not both' })
  .refine((c) => c.jwks || c.jwksUrl || (c.jku && c.jku.length > 0), { message: 'needs jwks, jwksUrl or a jku allow-list: there is no other way to get its keys' });

const ClientsFile = z.array(Client).min(1, 'must list at least one client').superRefine((clients, ctx) => {
  const seen = new Set<string>();
  clients.forEach((c, i) => {
    if (seen.has(c.iss)) ctx.addIssue({ code: 'custom', path: [i, 'iss'], message: `issuer ${c.iss} is listed twice` });
    seen.add(c.iss);
  });
});

/** The trusted clients by issuer. */
export type TrustedClients = ReadonlyMap<string, TrustedClient>;

export function parseTrustedClients(json: unknown, source = 'the clients file'): TrustedClients {
  const parsed = ClientsFile.safeParse(json);
  if (!parsed.success) throw new Error(`invalid CDS clients file ${source}: ${z.prettifyError(parsed.error)}`);
  return new Map(
    parsed.data.map((c) => [
      c.iss,
      {
        iss: c.iss,
        name: c.name,
        jwks: c.jwks as JSONWebKeySet | undefined,
        // Allow-list URLs are spelled one way once, at load (jkuAllowed compares them as they are).
        jwksUrl: c.jwksUrl === undefined ? undefined : normalizeUrl(c.jwksUrl),
        jku: (c.jku ?? []).map(normalizeUrl),
        tenants: c.tenant === undefined ? undefined : typeof c.tenant === 'string' ? [c.tenant] : c.tenant,
        fhirServers: c.fhirServers,
        notificationEndpoints: c.notificationEndpoints,
        organizationIdentifiers: c.organizationIdentifiers,
      },
    ]),
  );
}

/** The trusted clients CDS_CLIENTS_FILE names; undefined in open development mode. */
export function trustedClientsFor(config: Config): TrustedClients | undefined {
  return config.auth.clientsFile ? loadTrustedClients(config.auth.clientsFile) : undefined;
}

export function loadTrustedClients(file: string): TrustedClients {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read CDS_CLIENTS_FILE ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`CDS_CLIENTS_FILE ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseTrustedClients(json, file);
}

/** The URL spelled one way (`new URL().href`), so allow-list comparisons do not depend on case or default ports. */
export function normalizeUrl(url: string): string {
  return new URL(url).href;
}

/** May a token from this client name this `jku`? Only allow-listed URLs are ever fetched. */
export function jkuAllowed(client: TrustedClient, jku: string): boolean {
  let href: string;
  try {
    href = normalizeUrl(jku);
  } catch {
    return false;
  }
  return client.jku.includes(href) || client.jwksUrl === href;
}
