import type { PriorAuthorizationRules } from '../policy/policy-definition.js';
import { html, type Html } from './html.js';
import type { ReviewerSession } from './review-sessions.js';
import type { CrdView, QueueRow, RequestView } from './review-views.js';

/**
 * The reviewer's page as server-rendered HTML: no inline script or style
 * (its Content-Security-Policy allows neither), one stylesheet and one small
 * script from /review/assets. Every form posts with the session's CSRF token.
 */

export interface PageContext {
  readonly session?: ReviewerSession | undefined;
  /** The plan's time zone: every time is shown in it. */
  readonly timeZone: string;
  readonly payer: string;
}

const OUTCOME_LABELS: Readonly<Record<string, string>> = {
  'proven-by-record': 'proven by the record',
  attested: 'attested',
  open: 'open',
  contradicted: 'contradicted',
};
const SOURCE_LABELS: Readonly<Record<string, string>> = {
  'order-sign': 'the record read at order signing',
  submission: 'the resources sent with the request',
  form: "the clinician's answers on the form",
};
const STATUS_LABELS: Readonly<Record<string, string>> = {
  pended: 'pended',
  'information-requested': 'information requested',
  certified: 'certified',
  'not-certified': 'not certified (denied)',
};

export function formatTime(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(date);
}

const time = (date: Date, ctx: PageContext) => html`<time datetime="${date.toISOString()}">${formatTime(date, ctx.timeZone)}</time>`;

function layout(ctx: PageContext, title: string, body: Html, options: { flash?: string | undefined; error?: string | undefined } = {}): string {
  const s = ctx.session;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title} · Prior authorization review</title>
<link rel="stylesheet" href="/review/assets/review.css">
<script type="module" src="/review/assets/review.js"></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/review">${ctx.payer}: prior authorization review</a>
  ${s
    ? html`<form class="signout" method="post" action="/review/logout">
    <span id="signed-in-as" data-role="${s.role}">Signed in as <strong>${s.username}</strong> (${s.role})</span>
    <input type="hidden" name="_csrf" value="${s.csrfToken}">
    <button type="submit">Sign out</button>
  </form>`
    : ''}
</header>
<main>
${options.flash ? html`<p class="flash" role="status" id="flash">${options.flash}</p>` : ''}
${options.error ? html`<p class="error" role="alert" id="error">${options.error}</p>` : ''}
${body}
</main>
</body>
</html>
`.text;
}

export function loginPage(ctx: PageContext, options: { csrfToken: string; error?: string | undefined; flash?: string | undefined; username?: string | undefined }): string {
  return layout(
    ctx,
    'Sign in',
    html`<h1>Sign in</h1>
<p>For the plan's utilization management staff. Accounts are set by the operator (REVIEWERS_FILE).</p>
<form class="login" method="post" action="/review/login">
  <input type="hidden" name="_csrf" value="${options.csrfToken}">
  <label>User name <input name="username" autocomplete="username" required maxlength="64" value="${options.username ?? ''}" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
  <button type="submit">Sign in</button>
</form>`,
    { error: options.error, flash: options.flash },
  );
}

export function queuePage(ctx: PageContext, rows: readonly QueueRow[], flash?: string): string {
  const overdue = rows.filter((r) => r.overdue).length;
  return layout(
    ctx,
    'Queue',
    html`<h1>Requests waiting for a decision</h1>
<p class="summary">${rows.length === 0 ? 'No request is waiting.' : `${rows.length} waiting, soonest deadline first${overdue > 0 ? `; ${overdue} overdue` : ''}.`} Deadlines: 72 hours from receipt, 24 hours when expedited.</p>
${rows.length > 0
  ? html`<table class="queue" id="queue">
<thead><tr><th>Deadline</th><th>Time left</th><th>Received</th><th>Priority</th><th>Member id</th><th>Service</th><th>Status</th><th></th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr data-request-id="${r.requestId}" class="${r.overdue ? 'overdue' : ''}">
<td>${time(r.dueAt, ctx)}</td>
<td class="time-left">${r.overdue ? html`<strong class="badge overdue">Overdue</strong> ` : ''}${r.timeLeft}</td>
<td>${time(r.receivedAt, ctx)}</td>
<td>${r.priority === 'expedited' ? html`<strong class="badge expedited">expedited</strong>` : 'standard'}</td>
<td class="member">${r.memberId}</td>
<td>${r.services.join('; ')}</td>
<td>${STATUS_LABELS[r.status] ?? r.status}</td>
<td><a href="/review/requests/${r.requestId}">Open</a></td>
</tr>
`,
)}
</tbody>
</table>`
  : ''}`,
    { flash },
  );
}

export interface DecisionFormValues {
  readonly action?: string | undefined;
  readonly note?: string | undefined;
  readonly reasonCodes?: readonly string[] | undefined;
}

export function requestPage(ctx: PageContext, view: RequestView, rules: PriorAuthorizationRules, options: { error?: string | undefined; values?: DecisionFormValues | undefined } = {}): string {
  const r = view.request;
  return layout(
    ctx,
    `Request ${r.requestId.slice(0, 8)}`,
    html`<p><a href="/review">← Back to the queue</a></p>
<h1>Prior authorization request</h1>
<dl class="facts" id="request-facts" data-status="${r.status}">
  <dt>Status</dt><dd id="status">${STATUS_LABELS[r.status] ?? r.status}${r.decidedBy ? html` by <strong>${r.decidedBy}</strong>` : ''}${r.decidedAt ? html` on ${time(r.decidedAt, ctx)}` : ''}${r.authNumber ? `, authorization ${r.authNumber}` : ''}</dd>
  <dt>Deadline</dt><dd class="${view.overdue && view.open ? 'overdue' : ''}">${time(r.dueAt, ctx)}${view.open ? html` (${view.overdue ? html`<strong class="badge overdue">Overdue</strong> ` : ''}${view.timeLeft})` : ''}</dd>
  <dt>Received</dt><dd>${time(r.receivedAt, ctx)}, ${r.priority}</dd>
  <dt>Member id</dt><dd>${view.memberIds.join(', ')}</dd>
  <dt>Service</dt><dd>${view.services.join('; ')}</dd>
  <dt>Requesting organization</dt><dd>${r.organisations.join(', ') || '(not given)'}</dd>
  <dt>Trace number</dt><dd>${r.claimIdentifier}</dd>
  <dt>Sent by</dt><dd>${r.clientIss}</dd>
  <dt>Request id</dt><dd><code>${r.requestId}</code></dd>
</dl>
${view.open && ctx.session?.role === 'reviewer' ? html`<p><a href="#decide">Go to the decision</a></p>` : ''}
<section id="criteria">
<h2>The policy's criteria</h2>
${view.items.map(
  (item) => html`<h3>Item ${item.sequence}: ${item.service}</h3>
<p>Engine: <strong>${item.proposal === 'certify' ? 'certify' : 'pend for review'}</strong>${item.answer ? html`. Current answer: <strong>${item.answer}</strong>` : ''}${item.order ? html`. Order <code>${item.order}</code>` : ''}${item.serviceDate ? `, date of service ${item.serviceDate}` : ''}.</p>
<table class="criteria">
<thead><tr><th>Criterion</th><th>Outcome</th><th>Source</th><th>Evidence</th><th>Note</th></tr></thead>
<tbody>
${item.criteria.map(
  (c) => html`<tr data-criterion="${c.criterion}" data-outcome="${c.outcome}">
<td>${c.name}</td>
<td><span class="badge outcome-${c.outcome}">${OUTCOME_LABELS[c.outcome] ?? c.outcome}</span></td>
<td>${c.source ? SOURCE_LABELS[c.source] ?? c.source : ''}</td>
<td>${c.evidence.length + c.attestations.length > 0 ? html`<ul>${c.evidence.map((e) => html`<li class="evidence">${e}</li>`)}${c.attestations.map((a) => html`<li class="attestation">Answered: ${a}</li>`)}</ul>` : ''}</td>
<td>${c.finding ? html`<code>${c.finding}</code> ` : ''}${c.note ?? ''}</td>
</tr>
`,
)}
</tbody>
</table>
${item.missing.length > 0 ? html`<p><strong>To settle:</strong></p><ul class="missing">${item.missing.map((m) => html`<li>${m}</li>`)}</ul>` : ''}`,
)}
${view.engineNotes.length > 0 ? html`<h3>Notes sent to the provider</h3><ul class="notes">${view.engineNotes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
</section>
<section id="answers">
<h2>The documentation form's answers</h2>
${view.form
  ? html`<p>Questionnaire <code>${view.form.questionnaire ?? '(not named)'}</code>${view.form.authored ? `, completed ${view.form.authored}` : ''}.</p>
<table class="answers">
<thead><tr><th>Question</th><th>Answer</th><th>Filled in</th></tr></thead>
<tbody>
${view.form.answers.map(
  (a) => html`<tr data-link-id="${a.linkId}">
<td>${a.question}</td>
<td>${a.attachment
    ? a.attachment.downloadable
      ? html`<a class="download" href="/review/requests/${r.requestId}/attachments/${a.attachment.index}" download>Download ${a.attachment.label}</a>`
      : a.attachment.label
    : a.answer}</td>
<td>${a.origin === 'auto' ? 'from the record' : a.origin === 'override' ? 'from the record, changed by the clinician' : a.origin === 'manual' ? 'by the clinician' : ''}</td>
</tr>
`,
)}
</tbody>
</table>`
  : html`<p>No documentation form (DTR QuestionnaireResponse) came with the request.</p>`}
</section>
<section id="crd">
<h2>The coverage decision at order signing (CRD)</h2>
${'missing' in view.crd ? html`<p>${view.crd.missing}</p>` : crdSection(ctx, view.crd)}
</section>
${decisionSection(ctx, view, rules, options)}
<section id="audit">
<h2>Audit trail</h2>
<table class="audit">
<thead><tr><th>When</th><th>Who</th><th>Role</th><th>What</th><th>Reasons</th><th>Note</th></tr></thead>
<tbody>
${view.events.map(
  (e) => html`<tr data-action="${e.action}">
<td>${time(e.at, ctx)}</td><td>${e.actor}</td><td>${e.role}</td><td>${e.action}</td><td>${e.reasonCode ?? ''}</td><td class="note">${e.note ?? ''}</td>
</tr>
`,
)}
</tbody>
</table>
</section>`,
    { error: options.error },
  );
}

function crdSection(ctx: PageContext, crd: CrdView): Html {
  return html`<p>Coverage assertion <code>${crd.assertionId}</code> (${crd.hook}), first given ${time(crd.firstAssertedAt, ctx)}${crd.lastAssertedAt.getTime() !== crd.firstAssertedAt.getTime() ? html`, last ${time(crd.lastAssertedAt, ctx)}` : ''}.</p>
${crd.orders.map(
  (o) => html`<h3>Order <code>${o.order}</code></h3>
<p>Determination: <strong class="determination">${o.determination}</strong>${o.covered ? `; covered: ${o.covered}` : ''}${o.paNeeded ? `; prior authorization: ${o.paNeeded}` : ''}. Judged for ${o.orderDate} under policy version ${o.policyVersion}.${o.reasons.length > 0 ? ` Reasons given: ${o.reasons.join(', ')}.` : ''}</p>
${o.findings.length > 0
  ? html`<table class="findings"><thead><tr><th>Finding</th><th>Policy clause</th><th>Determination</th><th>Evidence</th></tr></thead><tbody>
${o.findings.map((f) => html`<tr data-finding="${f.code}"><td><code>${f.code}</code></td><td>${f.clause ?? ''}</td><td>${f.determination}</td><td>${f.evidence.join(', ')}</td></tr>`)}
</tbody></table>`
  : html`<p>No findings.</p>`}
<table class="crd-criteria"><thead><tr><th>Criterion</th><th>Status</th><th>Evidence</th></tr></thead><tbody>
${o.criteria.map((c) => html`<tr><td>${c.criterion}</td><td>${c.status}</td><td>${c.evidence.join(', ')}</td></tr>`)}
</tbody></table>`,
)}`;
}

function decisionSection(ctx: PageContext, view: RequestView, rules: PriorAuthorizationRules, options: { values?: DecisionFormValues | undefined }): Html {
  const s = ctx.session;
  if (!view.open) return html``;
  if (!s || s.role !== 'reviewer') {
    return html`<section id="decide"><h2>Decision</h2><p class="read-only">You are signed in as an auditor: you can read requests, not decide them.</p></section>`;
  }
  const v = options.values ?? {};
  const noteFor = (action: string) => (v.action === action ? v.note ?? '' : '');
  const action = `/review/requests/${view.request.requestId}/decision`;
  return html`<section id="decide">
<h2>Decision</h2>
<p>Your decision is sent to the provider at once; the note goes with it. Your user name is recorded with it.</p>
<div class="decisions">
<form method="post" action="${action}" id="approve-form" class="decision">
  <h3>Approve</h3>
  <input type="hidden" name="_csrf" value="${s.csrfToken}">
  <input type="hidden" name="action" value="approve">
  <label>Note to the provider (required)<textarea name="note" required maxlength="4000" rows="3">${noteFor('approve')}</textarea></label>
  <button type="submit">Approve</button>
</form>
<form method="post" action="${action}" id="deny-form" class="decision">
  <h3>Deny</h3>
  <input type="hidden" name="_csrf" value="${s.csrfToken}">
  <input type="hidden" name="action" value="deny">
  <fieldset><legend>Reasons (at least one, from the policy)</legend>
  ${rules.denialReasons.map(
    (reason) => html`<label class="reason"><input type="checkbox" name="reason" value="${reason.code}"${v.action === 'deny' && v.reasonCodes?.includes(reason.code) ? html` checked` : ''}> ${reason.display}</label>`,
  )}
  </fieldset>
  <label>Why, in words the provider will read (required)<textarea name="note" required maxlength="4000" rows="3">${noteFor('deny')}</textarea></label>
  <button type="submit" class="deny">Deny</button>
</form>
<form method="post" action="${action}" id="information-form" class="decision">
  <h3>Request more information</h3>
  <input type="hidden" name="_csrf" value="${s.csrfToken}">
  <input type="hidden" name="action" value="request-information">
  <label>What is needed (required)<textarea name="note" required maxlength="4000" rows="3">${noteFor('request-information')}</textarea></label>
  <button type="submit">Ask for information</button>
</form>
</div>
</section>`;
}

/** A page that only says something: not configured, signed out, an error, with a way on. */
export function messagePage(ctx: PageContext, title: string, message: string, links: readonly { href: string; text: string }[] = []): string {
  return layout(ctx, title, html`<h1>${title}</h1><p class="message" id="message">${message}</p>${links.length > 0 ? html`<ul class="links">${links.map((l) => html`<li><a href="${l.href}">${l.text}</a></li>`)}</ul>` : ''}`);
}
