import { Router, type Request, type Response } from 'express';
import type { FhirResource } from 'fhir/r4.js';
import type { Config } from '../config.js';
import { OperationOutcomeError, outcome } from '../errors/outcomes.js';
import type { PasNotifications } from '../pas/subscriptions/pas-notifications.js';
import type { SubscriptionCaller } from '../pas/subscriptions/subscription-service.js';
import { baseUrlOf } from './base-url.js';
import { OPEN_DEVELOPMENT_MODE_ISS } from './cds-client.js';

export interface SubscriptionRouteOptions {
  readonly config: Config;
  readonly notifications: PasNotifications;
  /** The authenticated client (its iss) of a call, when authentication identified one. */
  readonly clientOf: (res: Response) => string | undefined;
}

/**
 * The Subscription endpoints of the payer's FHIR API (PAS subscriptions, R4
 * Subscriptions backport): create, read, search, delete and $status. Thin:
 * the work is in src/pas/subscriptions.
 */
export function subscriptionRoutes(options: SubscriptionRouteOptions): Router {
  const { config } = options;
  const service = options.notifications.subscriptions;
  const router = Router();
  const send = (res: Response, resource: FhirResource, status = 200) => res.status(status).type('application/fhir+json').send(JSON.stringify(resource));

  /** The caller: a subscription belongs to the client that created it. Without a clients file every caller is the one open-development-mode client. */
  const caller = (req: Request, res: Response): SubscriptionCaller => {
    const clientIss = options.clientOf(res) ?? (config.auth.clientsFile ? undefined : OPEN_DEVELOPMENT_MODE_ISS);
    if (!clientIss) throw new OperationOutcomeError(outcome('login', 'Subscriptions belong to an authenticated client: send the bearer token of your client.'));
    return { clientIss, serverBase: `${baseUrlOf(req, config)}/fhir` };
  };

  router.post('/fhir/Subscription', async (req, res) => {
    const who = caller(req, res);
    const created = await service.create(req.body, who);
    res.location(`${who.serverBase}/Subscription/${created.id}`);
    send(res, created, 201);
  });

  router.get('/fhir/Subscription', async (req, res) => {
    send(res, await service.search(caller(req, res), listParam(req.query['status'])));
  });

  // $status (backport-subscription-status): type level, for the caller's subscriptions, and instance level.
  const typeStatus = async (req: Request, res: Response) => {
    const parameters = { ...req.query, ...parametersOf(req.body) };
    send(res, await service.status(caller(req, res), { ids: listParam(parameters['ids']), statuses: listParam(parameters['status']) }));
  };
  router.get('/fhir/Subscription/\\$status', typeStatus);
  router.post('/fhir/Subscription/\\$status', typeStatus);
  const instanceStatus = async (req: Request, res: Response) => {
    send(res, await service.status(caller(req, res), { ids: [String(req.params['id'])] }));
  };
  router.get('/fhir/Subscription/:id/\\$status', instanceStatus);
  router.post('/fhir/Subscription/:id/\\$status', instanceStatus);

  router.get('/fhir/Subscription/:id', async (req, res) => {
    send(res, await service.read(req.params.id, caller(req, res)));
  });

  router.delete('/fhir/Subscription/:id', async (req, res) => {
    await service.delete(req.params.id, caller(req, res));
    res.status(204).end();
  });

  return router;
}

/** A search or operation parameter given once or repeated, each possibly comma-separated. */
function listParam(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((v) => v.trim()).filter((v) => v !== '');
}

/** The string parameters of a POSTed Parameters resource, by name (repeated names gathered). */
function parametersOf(body: unknown): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const parameters = (body as { resourceType?: unknown; parameter?: unknown } | null)?.resourceType === 'Parameters' ? (body as { parameter?: unknown }).parameter : undefined;
  for (const p of Array.isArray(parameters) ? parameters : []) {
    if (typeof p !== 'object' || p === null) continue;
    const { name, valueId, valueString, valueCode } = p as Record<string, unknown>;
    const value = [valueId, valueString, valueCode].find((v) => typeof v === 'string');
    if (typeof name === 'string' && typeof value === 'string') (found[name] ??= []).push(value);
  }
  return found;
}
