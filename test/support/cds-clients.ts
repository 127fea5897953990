import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** Test stand-ins for CDS clients (EHRs): real key pairs made in the test, tokens signed as CDS Hooks 2.0 asks. */

export const PUBLIC_BASE_URL = 'https://cds.example.org';
export const audienceFor = (path: string) => `${PUBLIC_BASE_URL}${path}`;

export interface TestSigner {
  readonly iss: string;
  readonly kid: string;
  readonly alg: 'ES384' | 'RS384';
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** The public key as PEM (what an HS256 key-confusion attack uses as the secret). */
  readonly publicPem: string;
}

export async function makeSigner(alg: 'ES384' | 'RS384', iss: string, kid: string = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS384' ? { modulusLength: 2048 } : {}) });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { iss, kid, alg, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export interface TokenOptions {
  /** Seconds since the epoch; now by default. */
  iat?: number;
  /** Seconds since the epoch; iat + 300 by default (the sandbox's lifetime). */
  exp?: number;
  jti?: string;
  iss?: string;
  /** Claims to add or override (e.g. tenant, or aud as an array). */
  claims?: Record<string, unknown>;
  /** Claims to leave out. */
  omit?: string[];
  /** Header fields to add or override (kid, jku, typ). */
  header?: Record<string, unknown>;
}

/** A CDS Hooks 2.0 client JWT: header alg, kid, typ; claims iss, aud, exp, iat, jti. */
export async function signCdsJwt(signer: TestSigner, aud: string | string[], options: TokenOptions = {}): Promise<string> {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { iss: options.iss ?? signer.iss, aud, iat, exp: options.exp ?? iat + 300, jti: options.jti ?? randomUUID(), ...options.claims };
  for (const c of options.omit ?? []) delete claims[c];
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...options.header }).sign(signer.privateKey);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned token (`alg: none`), as an attacker would send it. */
export function unsignedJwt(signer: TestSigner, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: 'none', typ: 'JWT', kid: signer.kid })}.${b64url({ iss: signer.iss, aud, iat, exp: iat + 300, jti: randomUUID() })}.`;
}

/** The key-confusion attack: HS256 with the client's public key (PEM) as the HMAC secret. */
export function hs256WithPublicKey(signer: TestSigner, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid: signer.kid })}.${b64url({ iss: signer.iss, aud, iat, exp: iat + 300, jti: randomUUID() })}`;
  return `${input}.${createHmac('sha256', signer.publicPem).update(input).digest('base64url')}`;
}

export const jwksOf = (...signers: TestSigner[]) => ({ keys: signers.map((s) => s.publicJwk) });

/** A JWKS server on 127.0.0.1 whose key sets can change (key rotation) and which records what was fetched. */
export class JwksServer {
  readonly fetched: string[] = [];
  private readonly sets = new Map<string, unknown>();
  private server: Server | undefined;
  private base = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.fetched.push(req.url ?? '');
      const set = this.sets.get(req.url ?? '');
      if (set === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(set));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Publishes a key set at `path` and returns its URL. */
  publish(path: string, set: unknown): string {
    this.sets.set(path, set);
    return this.url(path);
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  fetchCount(path: string): number {
    return this.fetched.filter((p) => p === path).length;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Writes a clients file (CDS_CLIENTS_FILE) to a fresh temporary folder; `remove()` deletes it. */
export function writeClientsFile(clients: unknown): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cds-clients-'));
  const path = join(dir, 'clients.json');
  writeFileSync(path, JSON.stringify(clients, null, 2));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
