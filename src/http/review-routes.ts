import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { OperationOutcome } from 'fhir/r4.js';
import { z } from 'zod';
import type { Config } from '../config.js';
import { notFound, OperationOutcomeError, outcome } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import { decideByReviewer } from '../pas/review-decision.js';
import type { PasDependencies } from '../pas/submit-claim.js';
import { contentDisposition, safeContentType } from '../review/attachments.js';
import { LoginThrottle } from '../review/login-throttle.js';
import { loginPage, messagePage, queuePage, requestPage, type DecisionFormValues, type PageContext } from '../review/pages.js';
import { newToken, ReviewSessions, sameSecret, type ReviewerSession } from '../review/review-sessions.js';
import { queueRows, requestForm, requestView } from '../review/review-views.js';
import type { ReviewerAccounts } from '../review/reviewers.js';
import type { PaRequestRecord } from '../store/pa-request-store.js';
import type { ReviewerSessionStore } from '../store/reviewer-session-store.js';
import { baseUrlOf } from './base-url.js';
import { setErrorPage } from './error-page.js';

export interface ReviewRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The PAS dependencies decisions are applied with (src/pas/review-decision.ts). */
  readonly pas: PasDependencies;
  readonly sessions: ReviewerSessionStore;
  /** The accounts of REVIEWERS_FILE; undefined: the page is not configured and answers 404. */
  readonly accounts: ReviewerAccounts | undefined;
  /** Told of every request a reviewer's decision changed (PAS notifications); what it does is its own business. */
  readonly notify: (request: PaRequestRecord) => void | Promise<void>;
  /** Called once a decision is stored (metrics). */
  readonly onDecided?: ((request: PaRequestRecord) => void) | undefined;
}

const PUBLIC = (file: string) => fileURLToPath(new URL(`../review/public/${file}`, import.meta.url));
const ASSETS: Readonly<Record<string, { path: string; type: string }>> = {
  'review.css': { path: PUBLIC('review.css'), type: 'text/css; charset=utf-8' },
  'review.js': { path: PUBLIC('review.js'), type: 'text/javascript; charset=utf-8' },
};

/** The pages run only this service's own script and stylesheet, post forms only to it, and are framed nowhere. */
const PAGE_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"].join('; ');
/** A download runs nothing, whatever it holds. */
const DOWNLOAD_CSP = "default-src 'none'; sandbox";

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OUTCOME_WORDS: Readonly<Record<string, string>> = { certified: 'approved', 'not-certified': 'denied', 'information-requested': 'sent back for more information' };

const LoginForm = z.object({ username: z.string().max(64).default(''), password: z.string().max(1024).default('') });
const DecisionForm = z.object({
  action: z.enum(['approve', 'deny', 'request-information'], { error: 'Choose approve, deny or request more information.' }),
  // A checkbox list: one value is a string, several an array.
  reason: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  note: z.string().max(4000, 'The note is longer than 4000 characters.').default(''),
});

/**
 * The reviewer's page (/review): the queue of pended PA requests, one
 * request with what it rests on, and the reviewer's decision. People sign in
 * with a password (REVIEWERS_FILE); a session is a random token in an
 * httpOnly, SameSite=Strict cookie (Secure except over plain http on
 * loopback), kept in the store; every form carries the session's CSRF token.
 * Nothing else in the service reads cookies, and nothing here reads the
 * Authorization header: hook tokens never open these pages, and a session
 * never opens the hooks or /fhir.
 */
export function reviewRoutes(options: ReviewRouteOptions): Router {
  const { config, logger, pas, accounts } = options;
  const policy = pas.policy.definition;
  const router = Router();
  const context = (res: Response): PageContext => ({ session: sessionOf(res), timeZone: policy.timeZone, payer: policy.payer.name });
  const sendPage = (res: Response, status: number, page: string) => res.status(status).type('html').send(page);

  router.use('/review', (_req, res, next) => {
    // Pages with member data: never cached, never framed.
    res.set({ 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', 'X-Frame-Options': 'DENY' });
    setErrorPage(res, (r, status, body) => {
      sendPage(r, status, errorMessage(context(r), status, body));
    });
    next();
  });

  if (!accounts) {
    router.use('/review', () => {
      throw notFound("The reviewer's page is not configured: the operator sets REVIEWERS_FILE to the reviewers' accounts (docs/pas.md).");
    });
    return router;
  }

  const sessions = new ReviewSessions(options.sessions, accounts, { idleMinutes: config.review.sessionIdleMinutes, maxHours: config.review.sessionMaxHours }, pas.now);
  const throttle = new LoginThrottle();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });

  router.get('/review/assets/:file', (req, res) => {
    const asset = ASSETS[req.params.file];
    if (!asset) throw notFound(`No such file: ${req.params.file.slice(0, 64)}`);
    res.set({ 'Content-Type': asset.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    res.sendFile(asset.path);
  });

  // Every request: the session behind the cookie, if any (nothing else identifies a reviewer).
  const withSession: RequestHandler = async (req, res, next) => {
    const session = await sessions.resume(cookiesOf(req).get(cookieNames(req, config).session));
    if (session) setSession(res, session);
    next();
  };
  router.use('/review', withSession);

  router.get('/review/login', (req, res) => {
    if (sessionOf(res)) {
      res.redirect(303, '/review');
      return;
    }
    const token = loginToken(req, res, config);
    sendPage(res, 200, loginPage(context(res), { csrfToken: token, flash: req.query['signed-out'] === '1' ? 'You have signed out.' : undefined }));
  });

  router.post('/review/login', sameOriginPost(config), form, async (req, res) => {
    const body = LoginForm.safeParse(req.body ?? {});
    const username = body.success ? body.data.username.trim() : '';
    setErrorPage(res, (r, status, failure) => {
      sendPage(r, status, loginPage(context(r), { csrfToken: loginToken(req, r, config), error: failure.issue[0]?.details?.text, username: username.slice(0, 64) }));
    });
    const expected = cookiesOf(req).get(cookieNames(req, config).login);
    if (!expected || !sameSecret(formField(req, '_csrf'), expected)) throw forbidden('The sign-in form had expired. Sign in again.');
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const wait = throttle.retryAfter(address, username, pas.now());
    if (wait !== undefined) throw new OperationOutcomeError(outcome('throttled', `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`), wait);
    const account = body.success && username !== '' && body.data.password !== '' ? await sessions.authenticate(username, body.data.password) : undefined;
    if (!account) {
      throttle.failed(address, username, pas.now());
      // Whether the name exists is not said to the person, nor is the name logged (people type passwords into it).
      logger.warn({ event: 'review-sign-in-refused', address }, 'reviewer sign-in refused');
      throw new OperationOutcomeError(outcome('login', 'The user name or password is wrong.'));
    }
    throttle.succeeded(address, username);
    // A new session each time (no fixation): the one the browser had, if any, ends.
    await sessions.signOut(cookiesOf(req).get(cookieNames(req, config).session));
    const { token } = await sessions.signIn(account);
    const names = cookieNames(req, config);
    res.cookie(names.session, token, cookieOptions(req, config, config.review.sessionMaxHours * 3_600_000));
    res.clearCookie(names.login, cookieOptions(req, config));
    logger.info({ event: 'review-sign-in', reviewer: account.username, role: account.role }, 'reviewer signed in');
    res.redirect(303, '/review');
  });

  router.post('/review/logout', sameOriginPost(config), form, async (req, res) => {
    const session = sessionOf(res);
    if (session && !sameSecret(formField(req, '_csrf'), session.csrfToken)) throw forbidden('This form did not come from your session. Reload the page and try again.');
    await sessions.signOut(cookiesOf(req).get(cookieNames(req, config).session));
    res.clearCookie(cookieNames(req, config).session, cookieOptions(req, config));
    if (session) logger.info({ event: 'review-sign-out', reviewer: session.username }, 'reviewer signed out');
    res.redirect(303, '/review/login?signed-out=1');
  });

  router.get('/review', signedIn('page'), async (req, res) => {
    const rows = queueRows(await pas.requests.open(), pas.now());
    const decided = typeof req.query['decided'] === 'string' && REQUEST_ID.test(req.query['decided']) ? req.query['decided'] : undefined;
    const outcomeWords = typeof req.query['outcome'] === 'string' ? OUTCOME_WORDS[req.query['outcome']] : undefined;
    sendPage(res, 200, queuePage(context(res), rows, decided && outcomeWords ? `Request ${decided.slice(0, 8)} ${outcomeWords}.` : undefined));
  });

  router.get('/review/requests/:id', signedIn('page'), async (req, res) => {
    sendPage(res, 200, await renderRequest(res, String(req.params['id'])));
  });

  router.post('/review/requests/:id/decision', sameOriginPost(config), form, signedIn('action'), async (req, res) => {
    const session = sessionOf(res)!;
    const requestId = String(req.params['id']);
    if (!sameSecret(formField(req, '_csrf'), session.csrfToken)) throw forbidden('This form did not come from your session. Reload the page and try again.');
    if (session.role !== 'reviewer') throw forbidden(`${session.username} is an auditor: auditors read requests, only reviewers decide them.`);
    const parsed = DecisionForm.safeParse(req.body ?? {});
    const values: DecisionFormValues = parsed.success ? { action: parsed.data.action, note: parsed.data.note, reasonCodes: parsed.data.reason } : {};
    // A refused decision shows the request again (as it now is) with what went wrong and what was typed.
    setErrorPage(res, async (r, status, failure) => {
      const found = REQUEST_ID.test(requestId) ? await pas.requests.find(requestId) : undefined;
      if (!found) {
        sendPage(r, status, errorMessage(context(r), status, failure));
        return;
      }
      sendPage(r, status, await renderRequest(r, requestId, { error: failure.issue[0]?.details?.text, values }));
    });
    if (!parsed.success) throw new OperationOutcomeError(outcome('invalid', parsed.error.issues[0]?.message ?? 'The decision form is incomplete.'));
    if (!REQUEST_ID.test(requestId)) throw notFound('There is no such prior authorization request.');
    // The reviewer is the signed-in account, never a form field.
    const decided = await decideByReviewer(
      { requestId, reviewer: session.username, action: parsed.data.action, reasonCodes: parsed.data.action === 'deny' ? parsed.data.reason : undefined, note: parsed.data.note },
      `${baseUrlOf(req, config)}/fhir`,
      pas,
    );
    options.onDecided?.(decided);
    logger.info({ event: 'pa-review-decision', reviewer: session.username, requestId, status: decided.status }, 'reviewer decided a prior authorization request');
    try {
      await options.notify(decided);
    } catch (error) {
      logger.warn({ event: 'pa-review-notify-failed', requestId, err: { message: error instanceof Error ? error.message : String(error) } }, 'notifying the decision failed');
    }
    res.redirect(303, `/review?decided=${requestId}&outcome=${decided.status}`);
  });

  router.get('/review/requests/:id/attachments/:index', signedIn('action'), async (req, res) => {
    const session = sessionOf(res)!;
    const request = await findRequest(String(req.params['id']));
    const index = /^\d{1,4}$/.test(String(req.params['index'])) ? Number(String(req.params['index'])) : -1;
    const attachment = requestForm(request, pas.questionnaireCanonical).attachments[index];
    if (!attachment?.data) throw notFound('The request carries no such attachment.');
    logger.info({ event: 'pa-review-attachment', reviewer: session.username, requestId: request.requestId, index }, 'reviewer downloaded an attachment');
    res.set({
      'Content-Type': safeContentType(attachment.contentType),
      'Content-Disposition': contentDisposition(attachment),
      'Content-Security-Policy': DOWNLOAD_CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(attachment.data);
  });

  // Anything else under /review: the not-found page, signed in or not.
  router.use('/review', () => {
    throw notFound('There is no such page.');
  });

  async function findRequest(requestId: string): Promise<PaRequestRecord> {
    const request = REQUEST_ID.test(requestId) ? await pas.requests.find(requestId) : undefined;
    if (!request) throw notFound('There is no such prior authorization request.');
    return request;
  }

  async function renderRequest(res: Response, requestId: string, extra: { error?: string | undefined; values?: DecisionFormValues | undefined } = {}): Promise<string> {
    const request = await findRequest(requestId);
    const [events, assertion] = await Promise.all([pas.requests.events(request.requestId), request.assertionId ? pas.findAssertion(request.assertionId) : Promise.resolve(undefined)]);
    const view = requestView({ request, events, assertion, policy, questionnaireCanonical: pas.questionnaireCanonical, now: pas.now() });
    return requestPage(context(res), view, policy.priorAuthorizationRequest, extra);
  }

  return router;
}

const SESSION_KEY = 'reviewerSession';
const setSession = (res: Response, session: ReviewerSession) => {
  res.locals[SESSION_KEY] = session;
};
const sessionOf = (res: Response) => res.locals[SESSION_KEY] as ReviewerSession | undefined;

/** Pages send a signed-out person to sign in; actions (posts, downloads) are refused as unauthenticated. */
function signedIn(kind: 'page' | 'action'): RequestHandler {
  return (_req, res, next) => {
    if (sessionOf(res)) return next();
    if (kind === 'page') return res.redirect(303, '/review/login');
    throw new OperationOutcomeError(outcome('login', 'You are not signed in, or your session has ended. Sign in again.'));
  };
}

const forbidden = (text: string) => new OperationOutcomeError(outcome('forbidden', text));

function formField(req: Request, name: string): string | undefined {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A second line behind the CSRF token: a post another site's page makes
 * (Sec-Fetch-Site cross-site or same-site, or an Origin of another host) is
 * refused before its body is read. Origin `null` (sent under
 * Referrer-Policy: no-referrer) says nothing and is left to the token.
 */
function sameOriginPost(config: Config): RequestHandler {
  return (req, _res, next) => {
    const site = req.get('sec-fetch-site');
    if (site === 'cross-site' || site === 'same-site') throw forbidden('This form was sent from another site.');
    const origin = req.get('origin');
    if (origin && origin !== 'null') {
      const hosts = new Set([req.get('host'), config.publicBaseUrl ? new URL(config.publicBaseUrl).host : undefined]);
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (!hosts.has(host)) throw forbidden('This form was sent from another site.');
    }
    next();
  };
}

function errorMessage(ctx: PageContext, status: number, body: OperationOutcome): string {
  const text = body.issue[0]?.details?.text ?? 'The request failed.';
  const title = status === 401 ? 'Sign in again' : status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : status === 409 ? 'Already decided' : status === 429 ? 'Too many attempts' : 'The request failed';
  const links = status === 401 || !ctx.session ? [{ href: '/review/login', text: 'Sign in' }] : [{ href: '/review', text: 'Back to the queue' }];
  return messagePage(ctx, title, text, status === 404 && text.includes('not configured') ? [] : links);
}

/**
 * Cookies are Secure unless the request came over plain http from this very
 * machine (tests, a developer's browser) outside production: a Secure cookie
 * is never stored from plain http, and loopback never leaves the machine.
 * Secure cookies carry the __Host- prefix: only this host, over https, may set them.
 */
function secureCookies(req: Request, config: Config): boolean {
  if (req.secure || config.production || config.publicBaseUrl?.startsWith('https:')) return true;
  const address = req.socket.remoteAddress ?? '';
  return !(address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function cookieNames(req: Request, config: Config): { session: string; login: string } {
  return secureCookies(req, config) ? { session: '__Host-tecartus-review', login: '__Host-tecartus-review-login' } : { session: 'tecartus-review', login: 'tecartus-review-login' };
}

function cookieOptions(req: Request, config: Config, maxAgeMs?: number): express.CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: secureCookies(req, config), path: '/', ...(maxAgeMs ? { maxAge: maxAgeMs } : {}) };
}

/** The sign-in form's CSRF token (double-submit: a cookie and the form's field must match): the cookie's, or a new one. */
function loginToken(req: Request, res: Response, config: Config): string {
  const name = cookieNames(req, config).login;
  const existing = cookiesOf(req).get(name);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = newToken();
  res.cookie(name, token, cookieOptions(req, config, 3_600_000));
  return token;
}

function cookiesOf(req: Request): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}
