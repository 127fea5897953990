import { Router, type Response } from 'express';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { inquireClaim } from '../pas/inquire-claim.js';
import { submitClaim, type PasDependencies } from '../pas/submit-claim.js';
import type { PaRequestRecord } from '../store/pa-request-store.js';
import { baseUrlOf } from './base-url.js';

export interface PasRouteOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly pas: PasDependencies;
  /** The authenticated client of a call (its clients-file iss). */
  readonly clientOf: (res: Response) => string;
  /** Called once a request is stored (metrics). */
  readonly onSubmitted?: (request: PaRequestRecord) => void;
}

/** Da Vinci PAS under /fhir: Claim/$submit and Claim/$inquire. Thin: the work is in src/pas. */
export function pasRoutes(options: PasRouteOptions): Router {
  const { config, logger, pas } = options;
  const router = Router();
  const send = (res: Response, resource: FhirResource | { resourceType: 'Parameters' }, status = 200) => res.status(status).type('application/fhir+json').send(JSON.stringify(resource));

  router.post('/fhir/Claim/\\$submit', async (req, res) => {
    const started = performance.now();
    const client = options.clientOf(res);
    const { request, created } = await submitClaim(req.body, client, `${baseUrlOf(req, config)}/fhir`, pas);
    send(res, request.responseBundle as Bundle);
    if (created) options.onSubmitted?.(request);
    // No PHI: the request id, its outcome and timing only.
    logger.info({ event: 'pa-submit', client, requestId: request.requestId, status: request.status, priority: request.priority, resubmission: !created, durationMs: Math.round((performance.now() - started) * 10) / 10 }, 'prior authorization request answered');
  });

  router.post('/fhir/Claim/\\$inquire', async (req, res) => {
    const client = options.clientOf(res);
    const answer = await inquireClaim(req.body, client, pas.requests);
    send(res, answer);
    logger.info({ event: 'pa-inquire', client, found: answer.parameter.length }, 'prior authorization inquiry answered');
  });
  return router;
}
