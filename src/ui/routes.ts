import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router, type Response } from 'express';
import { dayIn } from '../fhir/dates.js';
import type { Discovery } from '../hooks/discovery.js';
import { badRequestIssues, issue } from '../errors/outcomes.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { CLINICAL_STATUSES, DIAGNOSIS_CHOICES, factsToRequest, LINEAGE_CHOICES, ORDER_CHOICES, PatientFacts, PRIOR_CAR_T_CHOICES } from './patient-facts.js';
import { previewScenarios } from './scenarios.js';

export interface PreviewPageOptions {
  readonly policy: CompiledPolicy;
  readonly discovery: Discovery;
  readonly now: () => Date;
}

const PUBLIC = (file: string) => fileURLToPath(new URL(`./public/${file}`, import.meta.url));

const JS = 'text/javascript; charset=utf-8';
const LFORMS = (file: string) => fileURLToPath(new URL(`./dist/lforms/${file}`, import.meta.resolve('lforms/package.json')));

/**
 * The card preview page: one HTML page, its ES modules and stylesheet, the
 * two libraries it renders markdown with (marked, DOMPurify) and the form
 * renderer of its documentation step (LHC-Forms' prebuilt web component and
 * its FHIR support, without source maps), all served from this service, so
 * the page needs nothing from the internet.
 */
const FILES: Readonly<Record<string, { path: string; type: string }>> = {
  '/assets/preview.js': { path: PUBLIC('preview.js'), type: JS },
  '/assets/render-response.js': { path: PUBLIC('render-response.js'), type: JS },
  '/assets/documentation.js': { path: PUBLIC('documentation.js'), type: JS },
  '/assets/prior-authorization.js': { path: PUBLIC('prior-authorization.js'), type: JS },
  '/assets/preview.css': { path: PUBLIC('preview.css'), type: 'text/css; charset=utf-8' },
  '/assets/vendor/marked.esm.js': { path: fileURLToPath(import.meta.resolve('marked')), type: JS },
  '/assets/vendor/purify.es.mjs': { path: fileURLToPath(import.meta.resolve('dompurify')), type: JS },
  '/assets/vendor/lforms/zone.min.js': { path: LFORMS('webcomponent/assets/lib/zone.min.js'), type: JS },
  '/assets/vendor/lforms/runtime.js': { path: LFORMS('webcomponent/runtime.js'), type: JS },
  '/assets/vendor/lforms/polyfills.js': { path: LFORMS('webcomponent/polyfills.js'), type: JS },
  '/assets/vendor/lforms/main.js': { path: LFORMS('webcomponent/main.js'), type: JS },
  '/assets/vendor/lforms/lformsFHIR.min.js': { path: LFORMS('fhir/R4/lformsFHIR.min.js'), type: JS },
  '/assets/vendor/lforms/styles.css': { path: LFORMS('webcomponent/styles.css'), type: 'text/css; charset=utf-8' },
  // The two images styles.css names, relative to itself.
  '/assets/vendor/lforms/down_arrow_gray_10_10.png': { path: LFORMS('webcomponent/down_arrow_gray_10_10.png'), type: 'image/png' },
  '/assets/vendor/lforms/magnifying_glass.png': { path: LFORMS('webcomponent/magnifying_glass.png'), type: 'image/png' },
};

/**
 * The page runs no inline script and talks only to this service; card
 * markdown is sanitised before it reaches the DOM, and this policy is the
 * second line of defence should anything slip through. The one exception
 * to "no inline style": the <style> elements LHC-Forms (Angular) inserts
 * for its components, which carry this response's nonce (Angular reads it
 * from the page's ngCspNonce attribute). No 'unsafe-eval', no 'unsafe-inline'.
 */
function pageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function previewPageRoutes(options: PreviewPageOptions): Router {
  const { policy, discovery } = options;
  const router = Router();

  // The page itself carries a fresh nonce on every response; it replaces helmet's Content-Security-Policy.
  const page = readFileSync(PUBLIC('index.html'), 'utf8');
  router.get('/', (_req, res: Response) => {
    const nonce = randomBytes(16).toString('base64');
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': pageCsp(nonce) });
    res.send(page.replaceAll('{{CSP_NONCE}}', nonce));
  });
  for (const [route, file] of Object.entries(FILES)) {
    router.get(route, (_req, res: Response) => {
      res.set({ 'Content-Type': file.type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.sendFile(file.path);
    });
  }

  // Services and choices depend only on the policy and discovery: worked out once. Scenarios carry today's date.
  const services = discovery.document.services.map((s) => ({ id: s.id, hook: s.hook, title: s.title }));
  const choices = {
    diagnoses: DIAGNOSIS_CHOICES.map((d) => ({ ...d, policyReading: diagnosisReading(policy, d.code) })),
    clinicalStatuses: CLINICAL_STATUSES,
    lineages: Object.entries(LINEAGE_CHOICES).map(([value, label]) => ({ value, label })),
    priorCarT: Object.entries(PRIOR_CAR_T_CHOICES).map(([value, label]) => ({ value, label })),
    orders: Object.entries(ORDER_CHOICES).map(([value, label]) => ({ value, label })),
  };
  router.get('/ui/scenarios.json', (_req, res) => {
    res.json({ services, scenarios: previewScenarios(dayIn(policy.definition.timeZone, options.now())), choices });
  });

  // Builds the CDS Hooks request for edited facts; the page then sends it to the real hook endpoint.
  router.post('/ui/requests', (req, res) => {
    const parsed = PatientFacts.safeParse(req.body, { reportInput: true });
    if (!parsed.success) {
      throw badRequestIssues(parsed.error.issues.map((i) => issue(i.code === 'invalid_type' && i.input === undefined ? 'required' : 'invalid', `${i.path.join('.') || 'body'}: ${i.message}`)));
    }
    const service = [...discovery.services.values()].find((sv) => sv.hook === parsed.data.hook);
    res.json(factsToRequest(parsed.data, policy, discovery.sources.get(service?.id ?? '') ?? []));
  });

  return router;
}

/** How the policy reads a diagnosis code, shown next to the choices. */
function diagnosisReading(policy: CompiledPolicy, code: string): string {
  const coding = { system: policy.definition.codeSystems.icd10cm?.[0], code };
  const sets = policy.codeSets;
  const relapse = sets.relapsedOrRefractoryDiagnosis.match(coding) ? ', relapse shown by the code' : '';
  const note = policy.relapseNotes.match(coding) ? ', does not show relapse by itself' : '';
  const qualifying = [sets.mantleCellLymphoma, sets.bCellPrecursorAll, sets.lineageUnspecifiedAll].find((set) => set.match(coding));
  return qualifying ? `qualifying: ${qualifying.label}${relapse}${note}` : 'not a qualifying diagnosis';
}
