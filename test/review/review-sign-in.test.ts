import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { AUDITOR, cookiesSet, csrfOf, REVIEWER, reviewersFile, sessionCookie, signIn, signInByHand } from '../support/reviewers.js';
import { createTestApp, TEST_CALL_TIME } from '../support/test-app.js';

const T0 = new Date(TEST_CALL_TIME).getTime();
const MINUTE = 60_000;

async function appWithClock(env: Record<string, string> = {}) {
  let clock = T0;
  const t = createTestApp({ REVIEWERS_FILE: await reviewersFile(), ...env }, { now: () => new Date(clock) });
  return { ...t, setClock: (ms: number) => (clock = ms) };
}

describe("The reviewer's page is not served without REVIEWERS_FILE (never open)", () => {
  const { app } = createTestApp();
  for (const [method, path] of [
    ['get', '/review'],
    ['get', '/review/login'],
    ['post', '/review/login'],
    ['get', '/review/requests/00000000-0000-4000-8000-000000000000'],
  ] as const) {
    it(`${method.toUpperCase()} ${path}: 404, a page saying it is not configured`, async () => {
      const res = await request(app)[method](path);
      assert.equal(res.status, 404);
      assert.match(res.headers['content-type']!, /text\/html/);
      assert.match(res.text, /The reviewer(&#39;|')s page is not configured: the operator sets REVIEWERS_FILE/);
      assert.doesNotMatch(res.text, /<form/);
    });
  }
});

describe('Sign-in with a password from the reviewers file', () => {
  let t: Awaited<ReturnType<typeof appWithClock>>;
  before(async () => {
    t = await appWithClock();
  });

  it('the pages are strict: no inline script or style, forms post only here, never framed, never cached', async () => {
    const res = await request(t.app).get('/review/login');
    assert.equal(res.status, 200);
    const csp = res.headers['content-security-policy']!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /form-action 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.doesNotMatch(res.text, /<script>|<style>| style="| on[a-z]+="/, 'nothing inline');
  });

  it('a signed-out visitor of the queue is sent to sign in', async () => {
    const res = await request(t.app).get('/review');
    assert.equal(res.status, 303);
    assert.equal(res.headers['location'], '/review/login');
  });

  it('the right password: a session cookie, httpOnly, SameSite=Strict, expiring; the queue names the reviewer', async () => {
    const s = await signIn(t.app, REVIEWER);
    const cookie = s.setCookie.find((c) => c.startsWith('tecartus-review='))!;
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=43200/, '12 hours at most (REVIEW_SESSION_MAX_HOURS)');
    assert.doesNotMatch(cookie, /; Secure/, 'plain http on loopback (tests, development) only');
    assert.match((await s.agent.get('/review')).text, /Signed in as <strong>rnurse<\/strong> \(reviewer\)/);
  });

  it('the session token is random and only its hash is stored', async () => {
    const s = await signIn(t.app, REVIEWER);
    const token = sessionCookie(s.setCookie).split('=')[1]!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/, '32 random bytes');
    const sessions = t.store.reviewerSessions();
    assert.equal(await sessions.find(token, new Date(T0)), undefined);
    assert.equal((await sessions.find(createHash('sha256').update(token).digest('hex'), new Date(T0)))?.username, REVIEWER.username);
  });

  it('a wrong password: 401, the sign-in page again saying so, no session', async () => {
    const agent = request.agent(t.app);
    const login = await agent.get('/review/login');
    const res = await agent.post('/review/login').type('form').send({ _csrf: csrfOf(login.text), username: REVIEWER.username, password: 'wrong password here' });
    assert.equal(res.status, 401);
    assert.match(res.text, /id="error">The user name or password is wrong\./);
    assert.ok(!cookiesSet(res).has('tecartus-review'));
    assert.equal((await agent.get('/review')).status, 303);
  });

  it('an unknown user name gets the same answer as a wrong password', async () => {
    const agent = request.agent(t.app);
    const login = await agent.get('/review/login');
    const res = await agent.post('/review/login').type('form').send({ _csrf: csrfOf(login.text), username: 'nobody', password: 'whatever it is' });
    assert.equal(res.status, 401);
    assert.match(res.text, /id="error">The user name or password is wrong\./);
  });

  it('a sign-in post without the sign-in form’s token (login CSRF) is refused (403)', async () => {
    const agent = request.agent(t.app);
    await agent.get('/review/login');
    const res = await agent.post('/review/login').type('form').send({ username: REVIEWER.username, password: REVIEWER.password });
    assert.equal(res.status, 403);
    const stranger = await request(t.app).post('/review/login').type('form').send({ _csrf: 'x'.repeat(43), username: REVIEWER.username, password: REVIEWER.password });
    assert.equal(stranger.status, 403, 'a token without its cookie');
  });

  it('signing out needs the session’s token, ends the session in the store, and the old cookie opens nothing', async () => {
    const s = await signIn(t.app, REVIEWER);
    const cookie = sessionCookie(s.setCookie);
    assert.equal((await request(t.app).post('/review/logout').set('Cookie', cookie).type('form').send({})).status, 403, 'no token, no sign-out');
    assert.equal((await request(t.app).get('/review').set('Cookie', cookie)).status, 200);
    const out = await s.agent.post('/review/logout').type('form').send({ _csrf: s.csrf });
    assert.equal(out.status, 303);
    assert.equal(out.headers['location'], '/review/login?signed-out=1');
    assert.match([out.headers['set-cookie'] ?? []].flat().join(), /tecartus-review=;/, 'the cookie is cleared');
    const replay = await request(t.app).get('/review').set('Cookie', cookie);
    assert.equal(replay.status, 303, 'a copy of the cookie no longer opens the queue');
  });

  it('signed out, a decision post or a download is refused as unauthenticated (401)', async () => {
    const post = await request(t.app).post('/review/requests/00000000-0000-4000-8000-000000000000/decision').type('form').send({ action: 'approve', note: 'x' });
    assert.equal(post.status, 401);
    assert.match(post.text, /Sign in again/);
    assert.equal((await request(t.app).get('/review/requests/00000000-0000-4000-8000-000000000000/attachments/0')).status, 401);
  });
});

describe('Sessions expire: when unused (REVIEW_SESSION_IDLE_MINUTES) and in any case (REVIEW_SESSION_MAX_HOURS)', () => {
  it('unused for longer than 30 minutes: signed out', async () => {
    const t = await appWithClock();
    const s = await signIn(t.app, AUDITOR);
    t.setClock(T0 + 29 * MINUTE);
    assert.equal((await s.agent.get('/review')).status, 200);
    t.setClock(T0 + 29 * MINUTE + 31 * MINUTE);
    assert.equal((await s.agent.get('/review')).status, 303);
  });

  it('used every 25 minutes, it still ends at the absolute limit', async () => {
    const t = await appWithClock({ REVIEW_SESSION_MAX_HOURS: '1' });
    const s = await signIn(t.app, AUDITOR);
    for (const minutes of [25, 50]) {
      t.setClock(T0 + minutes * MINUTE);
      assert.equal((await s.agent.get('/review')).status, 200, `at ${minutes} minutes`);
    }
    t.setClock(T0 + 61 * MINUTE);
    assert.equal((await s.agent.get('/review')).status, 303);
  });
});

describe('Password guessing is slowed', () => {
  it('after 5 failures for one account from one address, sign-in is refused for a while (429, Retry-After), even with the right password', async () => {
    const t = await appWithClock();
    const agent = request.agent(t.app);
    const token = csrfOf((await agent.get('/review/login')).text);
    for (let i = 0; i < 5; i++) assert.equal((await agent.post('/review/login').type('form').send({ _csrf: token, username: AUDITOR.username, password: `guess number ${i}` })).status, 401);
    const blocked = await agent.post('/review/login').type('form').send({ _csrf: token, username: AUDITOR.username, password: AUDITOR.password });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers['retry-after'], '900');
    assert.match(blocked.text, /Too many failed sign-ins/);
    t.setClock(T0 + 16 * MINUTE);
    assert.equal((await agent.post('/review/login').type('form').send({ _csrf: token, username: AUDITOR.username, password: AUDITOR.password })).status, 303, 'the window passed');
  });
});

describe('Behind https (PUBLIC_BASE_URL https://…) the cookies are Secure and __Host- prefixed', () => {
  it('__Host-tecartus-review; Secure; HttpOnly; SameSite=Strict; Path=/', async () => {
    const t = await appWithClock({ PUBLIC_BASE_URL: 'https://cds.example.org' });
    const { setCookie } = await signInByHand(t.app, REVIEWER);
    const cookie = setCookie.find((c) => c.startsWith('__Host-tecartus-review='))!;
    assert.ok(cookie, setCookie.join(' | '));
    for (const attribute of ['; Secure', '; HttpOnly', '; SameSite=Strict', '; Path=/']) assert.ok(cookie.includes(attribute), `${attribute} in ${cookie}`);
    assert.doesNotMatch(cookie, /Domain=/);
  });
});
