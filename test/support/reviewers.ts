import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { hashPassword } from '../../src/review/password-hash.js';

/** The reviewer's page accounts the tests sign in with (REVIEWERS_FILE). */
export const REVIEWER = { username: 'rnurse', password: 'correct horse battery staple' } as const;
export const SECOND_REVIEWER = { username: 'mdoctor', password: 'another long passphrase' } as const;
export const AUDITOR = { username: 'auditor1', password: 'auditors read everything' } as const;

let file: Promise<string> | undefined;

/** A reviewers file with a reviewer, a second reviewer and an auditor, written once per test process (hashing is slow on purpose). */
export function reviewersFile(): Promise<string> {
  file ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reviewers-'));
    const path = join(dir, 'reviewers.json');
    const accounts = [
      { username: REVIEWER.username, role: 'reviewer', passwordHash: await hashPassword(REVIEWER.password) },
      { username: SECOND_REVIEWER.username, role: 'reviewer', passwordHash: await hashPassword(SECOND_REVIEWER.password) },
      { username: AUDITOR.username, role: 'auditor', passwordHash: await hashPassword(AUDITOR.password) },
    ];
    writeFileSync(path, JSON.stringify(accounts, null, 2));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return path;
  })();
  return file;
}

/** The hidden CSRF field of the first form on a page. */
export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, 'the page has a form with a CSRF token');
  return token;
}

export interface SignedIn {
  /** Keeps the session cookie between calls. */
  readonly agent: ReturnType<typeof request.agent>;
  /** The session's CSRF token, as its pages carry it. */
  readonly csrf: string;
  /** The Set-Cookie header of the sign-in answer. */
  readonly setCookie: string[];
}

/** Signs in through the form, as a browser does: the sign-in page (and its token), the post, the queue. */
export async function signIn(app: Express, account: { username: string; password: string }): Promise<SignedIn> {
  const agent = request.agent(app);
  const login = await agent.get('/review/login');
  assert.equal(login.status, 200);
  const res = await agent.post('/review/login').type('form').send({ _csrf: csrfOf(login.text), username: account.username, password: account.password });
  assert.equal(res.status, 303, res.text.slice(0, 500));
  assert.equal(res.headers['location'], '/review');
  const queue = await agent.get('/review');
  assert.equal(queue.status, 200);
  return { agent, csrf: csrfOf(queue.text), setCookie: [res.headers['set-cookie'] ?? []].flat() };
}

/** The session cookie (name=value) from a sign-in answer. */
export function sessionCookie(setCookie: readonly string[]): string {
  const cookie = setCookie.find((c) => /^(__Host-)?tecartus-review=/.test(c));
  assert.ok(cookie, `a session cookie among ${setCookie.join(' | ')}`);
  return cookie.split(';')[0]!;
}

/** The `name=value` of each cookie an answer sets. */
export function cookiesSet(res: { headers: Record<string, unknown> }): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of [res.headers['set-cookie'] ?? []].flat() as string[]) {
    const pair = c.split(';')[0]!;
    out.set(pair.slice(0, pair.indexOf('=')), pair);
  }
  return out;
}

/**
 * Signs in with the cookies carried by hand, as a browser on https would
 * (supertest's agent keeps Secure cookies to itself over plain http).
 * Returns the session cookie (name=value), the CSRF token and the sign-in answer's Set-Cookie.
 */
export async function signInByHand(app: Express, account: { username: string; password: string }): Promise<{ cookie: string; csrf: string; setCookie: string[] }> {
  const login = await request(app).get('/review/login');
  assert.equal(login.status, 200);
  const loginCookie = [...cookiesSet(login).values()][0];
  assert.ok(loginCookie, 'the sign-in page sets its CSRF cookie');
  const res = await request(app).post('/review/login').set('Cookie', loginCookie).type('form').send({ _csrf: csrfOf(login.text), username: account.username, password: account.password });
  assert.equal(res.status, 303, res.text.slice(0, 300));
  const cookie = sessionCookie([res.headers['set-cookie'] ?? []].flat());
  const queue = await request(app).get('/review').set('Cookie', cookie);
  assert.equal(queue.status, 200);
  return { cookie, csrf: csrfOf(queue.text), setCookie: [res.headers['set-cookie'] ?? []].flat() };
}
