import { Router, type Response } from 'express';
import type { Bundle, FhirResource, ValueSet } from 'fhir/r4.js';
import type { Config } from '../config.js';
import { capabilityStatement } from '../dtr/capability-statement.js';
import { expandedNow, matchesCanonical, type DtrContent } from '../dtr/dtr-content.js';
import { readQuestionnaireErrors } from '../dtr/questionnaire-errors.js';
import { questionnairePackage, type QuestionnairePackageDependencies } from '../dtr/questionnaire-package.js';
import { badRequest, notFound } from '../errors/outcomes.js';
import { OPEN_DEVELOPMENT_MODE_ISS } from '../hooks/handle-order-hook.js';
import type { Logger } from '../logger.js';
import type { QuestionnaireErrorStore } from '../store/questionnaire-error-store.js';
import { baseUrlOf } from './base-url.js';
import type { FhirApiClient } from './fhir-api-client.js';

export interface FhirRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly packages: QuestionnairePackageDependencies;
  readonly errors: QuestionnaireErrorStore;
  /** The FHIR API client of a call (SMART client_id and scopes), as the access token established (src/auth/fhir-api-guard.ts). */
  readonly clientOf: (res: Response) => FhirApiClient | undefined;
}

const SOFTWARE = { name: 'tecartus-cds', version: '0.1.0' };

/** The payer's FHIR API for Da Vinci DTR under /fhir (R4 JSON). Thin: the work is in src/dtr. */
export function fhirRoutes(options: FhirRouteOptions): Router {
  const { config, logger, packages } = options;
  const content: DtrContent = packages.content;
  const router = Router();
  const send = (res: Response, resource: FhirResource, status = 200) => res.status(status).type('application/fhir+json').send(JSON.stringify(resource));

  router.get('/fhir/metadata', (req, res) => {
    send(res, capabilityStatement(packages.policy, baseUrlOf(req, config), SOFTWARE, packages.now().toISOString()));
  });

  // DTR $questionnaire-package: type level (the OperationDefinition), and system level (specification.md).
  for (const path of ['/fhir/Questionnaire/\\$questionnaire-package', '/fhir/\\$questionnaire-package']) {
    router.post(path, async (req, res) => {
      const started = performance.now();
      const answer = await questionnairePackage(req.body, packages);
      send(res, answer);
      const bundle = answer.parameter?.find((p) => p.name === 'packagebundle')?.resource as Bundle | undefined;
      const draft = bundle?.entry?.at(-1)?.resource as { item?: unknown[] } | undefined;
      logger.info({ event: 'questionnaire-package', client: options.clientOf(res)?.iss, package: bundle !== undefined, prefilledGroups: draft?.item?.length ?? 0, durationMs: Math.round((performance.now() - started) * 10) / 10 }, 'questionnaire package answered');
    });
  }

  router.post('/fhir/Questionnaire/\\$log-questionnaire-errors', async (req, res) => {
    const record = readQuestionnaireErrors(req.body, options.clientOf(res)?.iss ?? OPEN_DEVELOPMENT_MODE_ISS, packages.now());
    await options.errors.record(record);
    logger.warn({ event: 'questionnaire-errors', client: record.clientIss, issues: record.issues.length, codes: [...new Set(record.issues.map((i) => i.code))] }, 'a DTR client reported questionnaire errors');
    send(res, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text: `Recorded ${record.issues.length} issue(s).` } }] });
  });

  router.get('/fhir/Questionnaire', (req, res) => {
    const url = stringParam(req.query['url']);
    const version = stringParam(req.query['version']);
    const q = content.questionnaire;
    const found = (!url || matchesCanonical(version ? `${url}|${version}` : url, q)) && (!version || version === q.version) ? [q] : [];
    send(res, searchset(found, `${baseUrlOf(req, config)}/fhir`));
  });
  router.get('/fhir/Questionnaire/:id', (req, res) => {
    if (req.params.id !== content.questionnaire.id) throw notFound(`There is no Questionnaire "${req.params.id.slice(0, 64)}" here.`);
    send(res, content.questionnaire);
  });
  router.get('/fhir/Library/:id', (req, res) => {
    const library = content.libraries.find((l) => l.id === req.params.id);
    if (!library) throw notFound(`There is no Library "${req.params.id.slice(0, 64)}" here.`);
    send(res, library);
  });

  // ValueSet/$expand (DTR oper-4: a url is given; oper-5: as of today, active codes only).
  const expand = (valueSet: ValueSet | undefined, filter: string | undefined, res: Response) => {
    if (!valueSet) throw notFound('There is no such ValueSet here: $expand knows the ValueSets of the Tecartus questionnaire package.');
    const now = expandedNow(valueSet, packages.now());
    const needle = filter?.toLowerCase();
    const contains = (now.expansion?.contains ?? []).filter((c) => !needle || `${c.code} ${c.display ?? ''}`.toLowerCase().includes(needle));
    send(res, { ...now, expansion: { ...now.expansion!, total: contains.length, contains, ...(needle ? { parameter: [{ name: 'filter', valueString: filter! }] } : {}) } });
  };
  const byCanonical = (url: string) => content.valueSets.find((v) => matchesCanonical(url, v));
  router.get('/fhir/ValueSet/\\$expand', (req, res) => {
    const url = stringParam(req.query['url']);
    if (!url) throw badRequest('ValueSet/$expand needs the url of the ValueSet (DTR oper-4).', ['url']);
    expand(byCanonical(url), stringParam(req.query['filter']), res);
  });
  router.post('/fhir/ValueSet/\\$expand', (req, res) => {
    // Not shape-checked by a schema: each value is used only when it is a string.
    const raw = (req.body as { parameter?: unknown } | null)?.parameter;
    const parameters = (Array.isArray(raw) ? raw : []).filter((p): p is Record<string, unknown> => p !== null && typeof p === 'object');
    const value = (name: string) => {
      const p = parameters.find((x) => x['name'] === name);
      const v = p?.['valueUri'] ?? p?.['valueCanonical'] ?? p?.['valueString'];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const url = value('url');
    if (!url) throw badRequest('ValueSet/$expand needs the url of the ValueSet (DTR oper-4), as a uri.', ["Parameters.parameter.where(name='url')"]);
    expand(byCanonical(url), value('filter'), res);
  });
  router.get('/fhir/ValueSet/:id/\\$expand', (req, res) => expand(content.valueSets.find((v) => v.id === req.params.id), stringParam(req.query['filter']), res));
  router.get('/fhir/ValueSet/:id', (req, res) => {
    const valueSet = content.valueSets.find((v) => v.id === req.params.id);
    if (!valueSet) throw notFound(`There is no ValueSet "${req.params.id.slice(0, 64)}" here.`);
    send(res, expandedNow(valueSet, packages.now()));
  });

  return router;
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function searchset(resources: readonly FhirResource[], base: string): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })) };
}
