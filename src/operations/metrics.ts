import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FhirQueryObserver } from '../fhir/fhir-record-fetcher.js';
import { reasonCodes } from '../hooks/coverage-information.js';
import type { JudgedOrder } from '../hooks/handle-order-hook.js';
import type { NotificationObserver } from '../pas/subscriptions/notification-delivery.js';

/**
 * The service's Prometheus metrics. Label values are service ids, HTTP
 * statuses, CRD codes, reason codes and FHIR resource types: never ids of
 * patients or orders, never anything from a record.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  readonly hookDuration = new Histogram({
    name: 'cds_hook_request_duration_seconds',
    help: 'Time to answer a CDS Hooks service call, by service id and HTTP status',
    labelNames: ['service', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'cds_decisions_total',
    help: 'Tecartus orders judged, by the covered value sent (none: no coverage information) and by reason code (one count per reason; pa-required is on every order, so its count is the number of orders judged)',
    labelNames: ['covered', 'reason'] as const,
    registers: [this.registry],
  });

  readonly fhirQueryDuration = new Histogram({
    name: 'cds_fhir_query_duration_seconds',
    help: "Time of each query to the EHR's FHIR server, by resource type and outcome",
    labelNames: ['resource_type', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4],
    registers: [this.registry],
  });

  readonly fhirQueryFailures = new Counter({
    name: 'cds_fhir_query_failures_total',
    help: "Failed queries to the EHR's FHIR server, by resource type and kind of failure",
    labelNames: ['resource_type', 'failure'] as const,
    registers: [this.registry],
  });

  readonly storeWriteDuration = new Histogram({
    name: 'cds_store_write_duration_seconds',
    help: 'Time to record a hook call in the decision store, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly paDecisions = new Counter({
    name: 'pa_decisions_total',
    help: 'Prior authorization (PAS) outcomes, by who decided (engine or reviewer), the outcome (certified, pended, not-certified, information-requested) and priority (standard, expedited)',
    labelNames: ['decided_by', 'outcome', 'priority'] as const,
    registers: [this.registry],
  });

  readonly paTimeToDecision = new Histogram({
    name: 'pa_time_to_decision_hours',
    help: 'Hours from receipt of a prior authorization request to its decision (certified or not certified), by priority',
    labelNames: ['priority'] as const,
    buckets: [0.001, 0.25, 1, 4, 12, 24, 48, 72, 96],
    registers: [this.registry],
  });

  #readPaQueue?: () => Promise<readonly { readonly dueAt: Date }[]>;
  #now: () => Date = () => new Date();

  /** The review queue as it stands (every instance reads the same store: aggregate with max, not sum). */
  readonly paQueue: Gauge<'state'> = new Gauge({
    name: 'pa_requests_waiting',
    help: 'Prior authorization requests waiting for a reviewer, and those of them past their deadline (overdue), read from the store at each scrape',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      const open = await this.#readPaQueue?.().catch(() => undefined);
      if (!open) return;
      const at = this.#now();
      this.paQueue.set({ state: 'waiting' }, open.length);
      this.paQueue.set({ state: 'overdue' }, open.filter((r) => r.dueAt < at).length);
    },
  });

  readonly pasNotificationsDelivered = new Counter({
    name: 'pa_notifications_delivered_total',
    help: 'PAS subscription notifications delivered (the endpoint answered 2xx), by kind (handshake, event-notification)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly pasNotificationsFailed = new Counter({
    name: 'pa_notifications_failed_total',
    help: 'Failed attempts to deliver a PAS subscription notification, by kind, failure (http-status, timeout, network, refused, not-permitted) and final (true: given up, the subscription is in error)',
    labelNames: ['kind', 'failure', 'final'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the review queue at each scrape (the store is shared, so the figure is the plan's, not this instance's). */
  watchPaQueue(readQueue: () => Promise<readonly { readonly dueAt: Date }[]>, now: () => Date): void {
    this.#readPaQueue = readQueue;
    this.#now = now;
  }

  /** Counts a PA outcome; a decision (not a pend) also records its time from receipt. */
  countPaOutcome(decidedBy: 'engine' | 'reviewer', outcome: string, priority: string, hoursFromReceipt?: number): void {
    this.paDecisions.inc({ decided_by: decidedBy, outcome, priority });
    if (hoursFromReceipt !== undefined) this.paTimeToDecision.observe({ priority }, hoursFromReceipt);
  }

  /** Counts the orders of an answered hook call, once per reason code each carries. */
  countDecisions(judged: readonly JudgedOrder[]): void {
    for (const j of judged) {
      const covered = j.coverageInformation?.values.covered ?? 'none';
      for (const reason of reasonCodes(j.decision)) this.decisions.inc({ covered, reason });
    }
  }

  /** The FHIR side's observer (src/fhir stays free of prom-client). */
  readonly fhirQueries: FhirQueryObserver = {
    queried: (resourceType, outcome, seconds) => this.fhirQueryDuration.observe({ resource_type: resourceType, outcome }, seconds),
    failed: (resourceType, kind) => this.fhirQueryFailures.inc({ resource_type: resourceType, failure: kind }),
  };

  /** The PAS notification delivery loop's observer (src/pas/subscriptions/notification-delivery.ts). */
  readonly pasNotifications: NotificationObserver = {
    delivered: (kind) => this.pasNotificationsDelivered.inc({ kind }),
    failed: (kind, failure, final) => this.pasNotificationsFailed.inc({ kind, failure, final: String(final) }),
  };

  /** The decision recorder's observer (src/store/record-decisions.ts). */
  readonly storeWrites = (outcome: string, seconds: number): void => {
    this.storeWriteDuration.observe({ outcome }, seconds);
  };
}
