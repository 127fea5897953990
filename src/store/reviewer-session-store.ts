import { reviewerSessions } from './schema.js';
import { query, type SqlDatabase } from './sql-database.js';
import type { RowOf } from './sql-table.js';

/** A signed-in session of the reviewer's page, as kept (the token itself is never stored). */
export interface ReviewerSessionRecord {
  readonly tokenSha256: string;
  readonly username: string;
  readonly role: 'reviewer' | 'auditor';
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

const BY_TOKEN = query<RowOf<typeof reviewerSessions>>('SELECT * FROM reviewer_sessions WHERE token_sha256 = ? AND expires_at > ?', reviewerSessions);

/** Keeps the reviewer's page sessions on the decision store's database (same migrations, same connection). */
export class ReviewerSessionStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly migrated: Promise<void>,
  ) {}

  async create(session: ReviewerSessionRecord): Promise<void> {
    await this.migrated;
    await this.db.insert(reviewerSessions, [
      {
        token_sha256: session.tokenSha256,
        username: session.username,
        role: session.role,
        csrf_token: session.csrfToken,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
      },
    ]);
  }

  /** The session with this token hash, unless it has expired by `now`. */
  async find(tokenSha256: string, now: Date): Promise<ReviewerSessionRecord | undefined> {
    await this.migrated;
    const [row] = await this.db.select(BY_TOKEN, [tokenSha256, now]);
    return row
      ? { tokenSha256: row.token_sha256, username: row.username, role: row.role, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt: row.expires_at }
      : undefined;
  }

  /** Moves a session's end (idle timeout); a signed-out session stays gone. */
  async extend(tokenSha256: string, expiresAt: Date): Promise<void> {
    await this.migrated;
    await this.db.execute('UPDATE reviewer_sessions SET expires_at = ? WHERE token_sha256 = ?', [expiresAt, tokenSha256]);
  }

  /** Ends a session (sign-out). */
  async delete(tokenSha256: string): Promise<void> {
    await this.migrated;
    await this.db.execute('DELETE FROM reviewer_sessions WHERE token_sha256 = ?', [tokenSha256]);
  }

  /** Removes sessions that ended before `now`; resolves to how many. */
  async deleteExpired(now: Date): Promise<number> {
    await this.migrated;
    return this.db.execute('DELETE FROM reviewer_sessions WHERE expires_at <= ?', [now]);
  }
}
