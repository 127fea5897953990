import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Reviewers' passwords are kept only as scrypt hashes (RFC 7914), written
 * `scrypt$N$r$p$salt$hash` with the salt and hash in base64url. scrypt is
 * memory-hard, so guessing from a stolen reviewers file is slow on any
 * hardware; the cost is stored with each hash so it can be raised later.
 */
export interface ScryptCost {
  /** CPU and memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and about a quarter of a second per hash on a small server. */
export const DEFAULT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };
/** The weakest cost a reviewers file may use (below it, the file is refused). */
export const MINIMUM_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43,})$/;

export interface ParsedHash {
  readonly cost: ScryptCost;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Reads a stored hash; a string that is not one (a plain password, another scheme, a weak cost) gets a reason. */
export function parsePasswordHash(stored: string): ParsedHash | { readonly problem: string } {
  const m = FORMAT.exec(stored);
  if (!m) return { problem: 'is not an scrypt hash (scrypt$N$r$p$salt$hash): make one with `npx tecartus-cds hash-password`' };
  const cost = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!Number.isInteger(Math.log2(cost.N)) || cost.N < MINIMUM_COST.N || cost.r < MINIMUM_COST.r || cost.p < 1 || cost.p > 16) {
    return { problem: `uses too weak an scrypt cost (N=${cost.N}, r=${cost.r}, p=${cost.p}); at least N=${MINIMUM_COST.N}, r=${MINIMUM_COST.r}, p=1` };
  }
  const salt = Buffer.from(m[4]!, 'base64url');
  const hash = Buffer.from(m[5]!, 'base64url');
  if (salt.length < SALT_BYTES || hash.length < HASH_BYTES || hash.length > 64) return { problem: `needs a salt of at least ${SALT_BYTES} bytes and a hash of ${HASH_BYTES} to 64 bytes` };
  return { cost, salt, hash };
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  if (password.length === 0) throw new Error('the password is empty');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Whether the password matches; the comparison takes the same time wherever the bytes differ. */
export async function verifyPassword(password: string, stored: ParsedHash): Promise<boolean> {
  const derived = await derive(password, stored.salt, stored.hash.length, stored.cost);
  return timingSafeEqual(derived, stored.hash);
}

function derive(password: string, salt: Buffer, length: number, cost: ScryptCost): Promise<Buffer> {
  // Node refuses above maxmem (32 MiB by default): allow what the cost needs, with room.
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}
