import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Config } from '../config.js';
import { parsePasswordHash, type ParsedHash } from './password-hash.js';

/** Who may sign in to the reviewer's page: a reviewer decides pended requests; an auditor reads only. */
export type ReviewerRole = 'reviewer' | 'auditor';

export interface ReviewerAccount {
  readonly username: string;
  readonly role: ReviewerRole;
  readonly password: ParsedHash;
}

/** The accounts of REVIEWERS_FILE by user name. */
export type ReviewerAccounts = ReadonlyMap<string, ReviewerAccount>;

const Account = z
  .object({
    // The name goes into decisions and the audit trail as it is: letters, digits and . _ @ - only.
    username: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits and . _ @ - only, at most 64'),
    role: z.enum(['reviewer', 'auditor']),
    passwordHash: z.string(),
  })
  .strict();

/** Reads the reviewers file's JSON: every account checked, every problem named at once. */
export function parseReviewers(json: unknown, source = 'the reviewers file'): ReviewerAccounts {
  const parsed = z.array(Account).min(1, 'lists no account').safeParse(json);
  if (!parsed.success) throw new Error(`${source}: ${z.prettifyError(parsed.error)}`);
  const accounts = new Map<string, ReviewerAccount>();
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, a] of parsed.data.entries()) {
    // User names compare without case, so "Alice" and "alice" cannot be two accounts.
    const key = a.username.toLowerCase();
    if (seen.has(key)) problems.push(`[${i}] ${a.username}: listed twice`);
    seen.add(key);
    const password = parsePasswordHash(a.passwordHash);
    if ('problem' in password) {
      problems.push(`[${i}] ${a.username}: passwordHash ${password.problem}`);
      continue;
    }
    accounts.set(key, { username: a.username, role: a.role, password });
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`);
  return accounts;
}

/** The accounts REVIEWERS_FILE names, or undefined when it is not set (the page is then not served). */
export function reviewersFor(config: Config): ReviewerAccounts | undefined {
  return config.review.reviewersFile ? loadReviewers(config.review.reviewersFile) : undefined;
}

export function loadReviewers(file: string): ReviewerAccounts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`REVIEWERS_FILE ${file} cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`REVIEWERS_FILE ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseReviewers(json, `REVIEWERS_FILE ${file}`);
}

export function findAccount(accounts: ReviewerAccounts, username: string): ReviewerAccount | undefined {
  return accounts.get(username.toLowerCase());
}
