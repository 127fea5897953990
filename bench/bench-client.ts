import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/**
 * A CDS client (EHR) for the bench's JWT row: an EC P-384 key made for the
 * run, the clients-file entry that trusts it, and a freshly signed ES384
 * token for every request (CDS Hooks 2.0: iss, aud, exp, iat, jti; each jti
 * used once). Signing is synchronous (node:crypto) because autocannon's
 * setupRequest is.
 */
export interface BenchClient {
  readonly iss: string;
  /** The CDS_CLIENTS_FILE content trusting this client. */
  readonly clientsFile: unknown[];
  /** `Bearer <token>` for a request to `audience` (PUBLIC_BASE_URL + path). */
  authorization(audience: string): string;
}

export function createBenchClient(): BenchClient {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const iss = 'https://bench-ehr.example';
  const kid = `bench-${randomUUID().slice(0, 8)}`;
  const header = base64url({ alg: 'ES384', typ: 'JWT', kid });
  return {
    iss,
    clientsFile: [{ iss, name: 'Bench EHR', jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES384', use: 'sig' }] } }],
    authorization: (audience) => `Bearer ${token(privateKey, header, iss, audience)}`,
  };
}

function token(key: KeyObject, header: string, iss: string, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const input = `${header}.${base64url({ iss, aud, iat, exp: iat + 300, jti: randomUUID() })}`;
  // JWS ES384: the raw r||s signature (IEEE P1363), not DER.
  return `${input}.${sign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
