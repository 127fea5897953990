import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ReviewerSessionStore } from '../store/reviewer-session-store.js';
import { DEFAULT_COST, verifyPassword, type ParsedHash } from './password-hash.js';
import { findAccount, type ReviewerAccount, type ReviewerAccounts, type ReviewerRole } from './reviewers.js';

/** A signed-in reviewer or auditor, as a request of the page knows them. */
export interface ReviewerSession {
  readonly username: string;
  /** Read from the reviewers file on every request: a changed role counts at once. */
  readonly role: ReviewerRole;
  /** The token every form of this session carries (synchronizer token against cross-site requests). */
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

export interface SessionLifetime {
  /** A session unused this long ends. */
  readonly idleMinutes: number;
  /** No session lasts longer than this from sign-in, however much it is used. */
  readonly maxHours: number;
}

/** 32 random bytes: the session token (cookie) and the CSRF token are each one. */
export const newToken = (): string => randomBytes(32).toString('base64url');
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Compares two secrets in a time that does not depend on where they differ (equal-length digests). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/**
 * Sign-in, the session behind a cookie, and sign-out, for the reviewer's
 * page. Sessions are rows of the decision store's database (only the token's
 * hash), so sign-out ends a session on every instance at once.
 */
export class ReviewSessions {
  /** Random bytes no password derives to, at the file's cost: what an unknown user name is checked against. */
  private readonly dummy: ParsedHash;

  constructor(
    private readonly store: ReviewerSessionStore,
    private readonly accounts: ReviewerAccounts,
    private readonly lifetime: SessionLifetime,
    private readonly now: () => Date,
  ) {
    const cost = accounts.values().next().value?.password.cost ?? DEFAULT_COST;
    this.dummy = { cost, salt: randomBytes(16), hash: randomBytes(32) };
  }

  /**
   * The account whose password this is, or undefined. An unknown user name
   * costs the same scrypt work as a wrong password, so the answer time does
   * not tell which names exist.
   */
  async authenticate(username: string, password: string): Promise<ReviewerAccount | undefined> {
    const account = findAccount(this.accounts, username);
    if (!account) {
      await verifyPassword(password, this.dummy);
      return undefined;
    }
    return (await verifyPassword(password, account.password)) ? account : undefined;
  }

  /** Starts a session; returns the token for the cookie. Ended sessions are cleared on the way. */
  async signIn(account: ReviewerAccount): Promise<{ readonly token: string; readonly session: ReviewerSession }> {
    const now = this.now();
    await this.store.deleteExpired(now);
    const token = newToken();
    const session = { username: account.username, role: account.role, csrfToken: newToken(), expiresAt: this.idleEnd(now, now) };
    await this.store.create({ tokenSha256: sha256(token), createdAt: now, ...session });
    return { token, session };
  }

  /** The session behind a cookie's token, kept alive by use; undefined when it has ended or its account is gone. */
  async resume(token: string | undefined): Promise<ReviewerSession | undefined> {
    if (token === undefined || token === '') return undefined;
    const now = this.now();
    const stored = await this.store.find(sha256(token), now);
    if (!stored) return undefined;
    const account = findAccount(this.accounts, stored.username);
    if (!account) {
      await this.store.delete(stored.tokenSha256);
      return undefined;
    }
    let expiresAt = stored.expiresAt;
    const end = this.idleEnd(stored.createdAt, now);
    // Written at most once a minute, not on every page.
    if (end.getTime() - expiresAt.getTime() > 60_000) {
      await this.store.extend(stored.tokenSha256, end);
      expiresAt = end;
    }
    return { username: account.username, role: account.role, csrfToken: stored.csrfToken, expiresAt };
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.store.delete(sha256(token));
  }

  private idleEnd(createdAt: Date, now: Date): Date {
    return new Date(Math.min(now.getTime() + this.lifetime.idleMinutes * 60_000, createdAt.getTime() + this.lifetime.maxHours * 3_600_000));
  }
}
