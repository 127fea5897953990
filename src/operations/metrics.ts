import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { FhirQueryObserver } from '../fhir/fhir-record-fetcher.js';
import { reasonCodes } from '../hooks/coverage-information.js';
import type { JudgedOrder } from '../hooks/handle-order-hook.js';

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
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

  /** The decision recorder's observer (src/store/record-decisions.ts). */
  readonly storeWrites = (outcome: string, seconds: number): void => {
    this.storeWriteDuration.observe({ outcome }, seconds);
  };
}
