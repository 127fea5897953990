/**
 * Slows password guessing on the reviewer's sign-in: failed attempts are
 * counted per address and per address and user name over a window; past the
 * limit, sign-in from there is refused until the oldest failure leaves the
 * window. Not per user name alone, so that a stranger cannot lock a reviewer
 * out by failing on purpose. Counted in this instance's memory: a fleet of N
 * instances allows N times the limit, each try still costing an scrypt hash.
 */
export interface ThrottleLimits {
  readonly windowMs: number;
  /** Failures allowed from one address for one user name. */
  readonly perAccount: number;
  /** Failures allowed from one address, whatever the user names. */
  readonly perAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 };
/** Keys kept at most, oldest dropped first, so a flood of addresses cannot exhaust memory. */
const MAX_KEYS = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: ThrottleLimits = DEFAULT_THROTTLE) {}

  /** Seconds to wait before another attempt from `address` for `username`, or undefined when it may go ahead. */
  retryAfter(address: string, username: string, now: Date): number | undefined {
    const waits = [this.waitFor(accountKey(address, username), this.limits.perAccount, now), this.waitFor(addressKey(address), this.limits.perAddress, now)].filter((w): w is number => w !== undefined);
    return waits.length > 0 ? Math.max(...waits) : undefined;
  }

  failed(address: string, username: string, now: Date): void {
    for (const key of [accountKey(address, username), addressKey(address)]) {
      const times = this.recent(key, now);
      times.push(now.getTime());
      this.failures.delete(key);
      this.failures.set(key, times);
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  /** A successful sign-in clears that account's failures from that address. */
  succeeded(address: string, username: string): void {
    this.failures.delete(accountKey(address, username));
  }

  private waitFor(key: string, limit: number, now: Date): number | undefined {
    const times = this.recent(key, now);
    if (times.length < limit) return undefined;
    return Math.max(1, Math.ceil((times[times.length - limit]! + this.limits.windowMs - now.getTime()) / 1000));
  }

  private recent(key: string, now: Date): number[] {
    const since = now.getTime() - this.limits.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }
}

const addressKey = (address: string) => `a:${address}`;
const accountKey = (address: string, username: string) => `u:${address}:${username.toLowerCase()}`;
