import { createHash } from 'node:crypto';

/**
 * Remembers the `jti` of every accepted token until it could no longer be
 * accepted anyway (CDS Hooks 2.0: "jti: a nonce string value that uniquely
 * identifies this authentication JWT (used to protect against replay
 * attacks)"). Shared stores refuse a token replayed to another instance.
 */
export interface ReplayStore {
  /** Records the token; true when it had not been seen before (or its record has expired). */
  firstUse(key: string, expiresAt: Date): Promise<boolean>;
  close(): Promise<void>;
  /** For logs: memory, postgres or redis. */
  readonly kind: string;
}

/** A fixed-length key for an issuer's jti (both are the client's text, of any length). */
export function replayKey(iss: string, jti: string): string {
  return createHash('sha256').update(iss).update('\n').update(jti).digest('hex');
}

/** One instance's memory: enough when a single instance serves. */
export class MemoryReplayStore implements ReplayStore {
  readonly kind = 'memory';
  private readonly seen = new Map<string, number>();
  private insertsSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async firstUse(key: string, expiresAt: Date): Promise<boolean> {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.set(key, expiresAt.getTime());
    if (++this.insertsSinceSweep >= 1000) this.sweep(now);
    return true;
  }

  async close(): Promise<void> {
    this.seen.clear();
  }

  /** How many tokens are remembered (tests). */
  get size(): number {
    return this.seen.size;
  }

  private sweep(now: number): void {
    this.insertsSinceSweep = 0;
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}
