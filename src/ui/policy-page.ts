import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { marked } from 'marked';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { notFound } from '../errors/outcomes.js';

const POLICY_PAGE_STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}.meta{color:#555}';

/** The Content-Security-Policy source that allows the page's one inline stylesheet and nothing else inline. */
export const POLICY_PAGE_STYLE_SOURCE = `'sha256-${createHash('sha256').update(POLICY_PAGE_STYLE).digest('base64')}'`;

/**
 * Serves the policy text as a readable page, the target of the External
 * Reference card (the plan publishes no stable public URL for it). Rendered
 * once at start-up from the policy's own Markdown file.
 */
export function policyPageRoutes(policy: CompiledPolicy, policyDir: string): Router {
  const d = policy.definition;
  const markdown = readFileSync(join(policyDir, d.documents.policyPage.file), 'utf8');
  const body = marked.parse(markdown, { async: false });
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.documents.policyPage.label)}</title>
<style>${POLICY_PAGE_STYLE}</style>
</head><body>
<h1>${escapeHtml(d.payer.name)}: ${escapeHtml(d.documentTitle)}</h1>
<p class="meta">Effective ${escapeHtml(d.effectiveDate)}. Policy version ${escapeHtml(d.version)}. This copy is served by the plan's coverage requirements service.</p>
${body}
</body></html>`;

  const router = Router();
  router.get('/policies/:id', (req, res) => {
    if (req.params.id !== d.id) throw notFound(`There is no policy "${req.params.id}" here.`);
    res.type('html').send(html);
  });
  return router;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
