import { Router } from 'express';
import type { Discovery } from '../hooks/discovery.js';
import { cdsClientOf, OPEN_DEVELOPMENT_MODE_ISS } from './cds-client.js';
import { notFound } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import type { DecisionStore, FeedbackOutcome } from '../store/decision-store.js';
import { storeUnavailable } from '../store/store-unavailable.js';
import { parseFeedbackRequest } from '../hooks/feedback-request.js';

export interface FeedbackRouteOptions {
  readonly store: DecisionStore;
  readonly discovery: Discovery;
  readonly logger: Logger;
  readonly now: () => Date;
}

/**
 * Feedback: https://cds-hooks.hl7.org/2.0/#feedback. Clients tell which cards
 * were accepted or overridden and why; the utilization-management team reads
 * it in the report. Feedback may arrive batched and more than once, so it is
 * stored idempotently (one record per card, outcome and outcomeTimestamp).
 * CDS Hooks defines no answer body; this one says what became of each item.
 */
export function feedbackRoutes({ store, discovery, logger, now }: FeedbackRouteOptions): Router {
  const router = Router();
  router.post('/cds-services/:id/feedback', async (req, res) => {
    const serviceId = req.params.id;
    if (!discovery.services.has(serviceId)) throw notFound(`There is no CDS service "${serviceId.slice(0, 100)}" here; GET /cds-services lists the services.`);
    const items = parseFeedbackRequest(req.body);
    const clientIss = cdsClientOf(res)?.iss ?? OPEN_DEVELOPMENT_MODE_ISS;
    const receivedAt = now();
    let outcomes: FeedbackOutcome[];
    try {
      outcomes = await store.recordFeedback(items.map((f) => ({ ...f, serviceId, clientIss, receivedAt })));
    } catch (error) {
      throw storeUnavailable(logger, error, 'record-feedback');
    }
    logger.info(
      {
        event: 'feedback',
        serviceId,
        iss: clientIss,
        items: outcomes.map((o, i) => ({ card: o.card, outcome: items[i]!.outcome, reason: items[i]!.overrideReason?.code, status: o.status, linked: o.linked })),
      },
      'feedback received',
    );
    res.json({ feedback: outcomes });
  });
  return router;
}
