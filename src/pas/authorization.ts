import { randomBytes } from 'node:crypto';
import { formatDay, parseDay } from '../fhir/dates.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new authorization number: the plan's prefix, the day issued, and 40
 * random bits in Crockford base 32 (no I, L, O, U to misread on the phone),
 * e.g. CPCT-20260615-7K3M9QXA. Random, so two instances never issue the same.
 */
export function authorizationNumber(prefix: string, issued: Date): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let code = '';
  for (let i = 0; i < 8; i++) {
    code = ALPHABET[Number(bits & 31n)]! + code;
    bits >>= 5n;
  }
  return `${prefix}-${issued.toISOString().slice(0, 10).replaceAll('-', '')}-${code}`;
}

/** The period an approval covers: from the date of service for the plan's number of days. */
export function authorizationPeriod(serviceDate: string, days: number): { start: string; end: string } {
  const start = parseDay(serviceDate);
  if (!start) throw new Error(`not a date of service: ${serviceDate}`);
  const end = new Date(Date.UTC(start.year, start.month - 1, start.day + days - 1));
  return { start: formatDay(start), end: end.toISOString().slice(0, 10) };
}
