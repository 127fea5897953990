import { createHash } from 'node:crypto';
import { accessTokens } from './schema.js';
import { query, type SqlDatabase } from './sql-database.js';
import type { RowOf } from './sql-table.js';

/** An access token the token endpoint issued, known by its SHA-256 (the token itself is never stored). */
export interface AccessTokenRecord {
  /** SHA-256 of the token, hex. */
  readonly tokenSha256: string;
  /** The client it was issued to: the clients file's `iss` (its SMART client_id). */
  readonly clientIss: string;
  /** The scopes granted (SMART v2 system scopes). */
  readonly scopes: readonly string[];
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** SHA-256 of an access token, hex: how the store knows it (the token itself is never kept). */
export function accessTokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const BY_HASH = query<RowOf<typeof accessTokens>>('SELECT * FROM access_tokens WHERE token_sha256 = ?', accessTokens);

/**
 * Keeps issued access tokens on the decision store's database (same
 * migrations, same connection), so every instance sharing it accepts a token
 * any of them issued. Expired rows are deleted as new tokens are issued.
 */
export class AccessTokenStore {
  constructor(
    private readonly db: SqlDatabase,
    private readonly migrated: Promise<void>,
  ) {}

  /** Records a new token, and deletes the tokens expired by its issue time. */
  async issue(token: AccessTokenRecord): Promise<void> {
    await this.migrated;
    await this.db.transaction(async (session) => {
      await session.execute('DELETE FROM access_tokens WHERE expires_at <= ?', [token.issuedAt]);
      await session.insert(accessTokens, [
        { token_sha256: token.tokenSha256, client_iss: token.clientIss, scopes: token.scopes, issued_at: token.issuedAt, expires_at: token.expiresAt },
      ]);
    });
  }

  /** The token with this SHA-256, expired or not (the caller says which); undefined if none was issued or it has been deleted. */
  async find(tokenSha256: string): Promise<AccessTokenRecord | undefined> {
    await this.migrated;
    const [row] = await this.db.select(BY_HASH, [tokenSha256]);
    if (!row) return undefined;
    return { tokenSha256: row.token_sha256, clientIss: row.client_iss, scopes: row.scopes, issuedAt: row.issued_at, expiresAt: row.expires_at };
  }
}
