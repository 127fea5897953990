import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { AddressRules } from '../net/address-rules.js';
import type { OutboundClient } from '../net/outbound-client.js';
import type { TrustedClient } from './trusted-clients.js';
import { normalizeUrl } from './trusted-clients.js';

/** A key set is a few kilobytes; a larger answer is not one. */
const MAX_JWKS_BYTES = 256 * 1024;

export interface KeyResolverOptions {
  /** Fetches key sets (src/net/outbound-client.ts): the one way out of the service. */
  readonly outbound: OutboundClient;
  /** How long fetched keys are used before they are fetched again. */
  readonly cacheMaxAgeMs: number;
  /** Least time between two fetches of one URL when a token names a kid the cache lacks. */
  readonly cooldownMs: number;
  readonly timeoutMs: number;
}

/** The issuer's keys could not be fetched (network, status, JSON): the token cannot be checked. */
export class KeysUnavailable extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`the JWKS at ${url} could not be fetched: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'KeysUnavailable';
  }
}

/**
 * Finds the key that checks a token, by `kid`: in the client's own JWKS, or
 * in a JWKS fetched from its `jwksUrl` or an allow-listed `jku`. Fetched key
 * sets are cached per URL and fetched again when a token names a `kid` the
 * cache lacks (key rotation), at most once per cooldown. The caller must have
 * checked that a `jku` is allow-listed: this class fetches what it is given.
 * Key URLs are the operator's own (the clients file), so loopback and private
 * addresses are allowed; link-local and cloud metadata ones never (issue 14).
 */
export class KeyResolver {
  private readonly local = new Map<string, JWTVerifyGetKey>();
  private readonly remote = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly options: KeyResolverOptions) {}

  /** The key source for a token from `client`; `jku` is the token's header value, already allow-listed. */
  keysFor(client: TrustedClient, jku: string | undefined): JWTVerifyGetKey | undefined {
    if (jku !== undefined) return this.remoteKeys(jku);
    if (client.jwks) {
      let keys = this.local.get(client.iss);
      if (!keys) {
        keys = createLocalJWKSet(client.jwks);
        this.local.set(client.iss, keys);
      }
      return keys;
    }
    if (client.jwksUrl) return this.remoteKeys(client.jwksUrl);
    return undefined;
  }

  private remoteKeys(url: string): JWTVerifyGetKey {
    const href = normalizeUrl(url);
    const cached = this.remote.get(href);
    if (cached) return cached;
    // jose keeps the cache and the cooldown; the request itself goes out through the OutboundClient.
    const fetchKeys: FetchImplementation = (url, init) =>
      this.options.outbound.get(new URL(url), { addressRules: AddressRules.PUBLIC_AND_PRIVATE, headers: init.headers, signal: init.signal, maxResponseBytes: MAX_JWKS_BYTES });
    const set = createRemoteJWKSet(new URL(href), {
      cacheMaxAge: this.options.cacheMaxAgeMs,
      cooldownDuration: this.options.cooldownMs,
      timeoutDuration: this.options.timeoutMs,
      [customFetch]: fetchKeys,
    });
    const keys: JWTVerifyGetKey = async (header, token) => {
      try {
        return await set(header, token);
      } catch (error) {
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new KeysUnavailable(href, error);
      }
    };
    this.remote.set(href, keys);
    return keys;
  }
}
