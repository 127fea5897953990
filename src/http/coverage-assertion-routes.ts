import { Router } from 'express';
import { notFound } from '../errors/outcomes.js';
import type { Logger } from '../logger.js';
import type { DecisionStore, OrderDecisionRecord, StoredAssertion } from '../store/decision-store.js';
import { storeUnavailable } from '../store/store-unavailable.js';

/**
 * The coverage-assertion look-up: DTR, PAS and claims processing find the
 * assertion a coverage-assertion-id stands for (CRD found-11: the guidance
 * given is kept and honoured later). Authenticated like the hooks (the auth
 * middleware is mounted on this path).
 */
export function coverageAssertionRoutes(store: DecisionStore, logger: Logger): Router {
  const router = Router();
  router.get('/coverage-assertions/:id', async (req, res) => {
    const id = req.params.id;
    let assertion: StoredAssertion | undefined;
    try {
      assertion = id.length <= 256 ? await store.findAssertion(id) : undefined;
    } catch (error) {
      throw storeUnavailable(logger, error, 'find-assertion');
    }
    if (!assertion) throw notFound(`There is no coverage assertion "${id.slice(0, 100)}" here.`);
    res.set('Cache-Control', 'no-store').json(assertionView(assertion));
  });
  return router;
}

/** The assertion as JSON: orders, decision, reasons, policy version and dates. */
function assertionView(a: StoredAssertion) {
  return {
    coverageAssertionId: a.assertionId,
    patientId: a.patientId,
    coverage: a.coverage,
    hook: a.hook,
    firstAsserted: a.firstAssertedAt.toISOString(),
    lastAsserted: a.lastAssertedAt.toISOString(),
    orders: a.orders.map(orderView),
  };
}

function orderView(o: OrderDecisionRecord) {
  const info = o.coverageInformation;
  return {
    order: o.order,
    policy: o.policy,
    orderDate: o.orderDate,
    determination: o.determination,
    covered: info?.covered,
    paNeeded: info?.paNeeded,
    docNeeded: info?.docNeeded,
    docPurpose: info?.docPurpose,
    infoNeeded: info?.infoNeeded,
    reasons: info?.reasons,
    date: info?.date,
    findings: o.findings,
    criteria: o.criteria,
  };
}
