import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { createApp, type AppDependencies } from '../../src/http/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { loadDiscovery, type Discovery } from '../../src/hooks/discovery.js';
import { createLogger } from '../../src/logger.js';
import type { CompiledPolicy } from '../../src/policy/compiled-policy.js';
import { loadPolicy } from '../../src/policy/load-policy.js';
import { createDecisionStore } from '../../src/store/create-decision-store.js';
import type { DecisionStore } from '../../src/store/decision-store.js';
import { cdsResponseViolations, isOperationOutcome } from './cds-conformance.js';

let policy: CompiledPolicy | undefined;
let discovery: Discovery | undefined;

export function testPolicy(): CompiledPolicy {
  return (policy ??= loadPolicy(loadConfig({}).policyDir));
}

export function testDiscovery(): Discovery {
  return (discovery ??= loadDiscovery(loadConfig({}).discoveryFile));
}

export interface TestApp {
  readonly app: Express;
  readonly config: Config;
  /** Every log line the app wrote, as text. */
  readonly logs: string[];
  /** The decision store the app records to (in memory unless `env` or `overrides` name another). */
  readonly store: DecisionStore;
}

/** The time of the test calls: midday on the factories' order date (2026-06-15) in the plan's time zone. */
export const TEST_CALL_TIME = '2026-06-15T16:00:00Z';

/** The real app, in-process, with logs captured. `env` sets configuration as environment variables would. */
export function createTestApp(env: Record<string, string> = {}, overrides: Partial<AppDependencies> = {}): TestApp {
  // An in-memory decision store unless a test names one: tests never write to ./data.
  const config = loadConfig({ LOG_LEVEL: 'info', DATABASE_URL: ':memory:', ...env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const store = overrides.store ?? createDecisionStore(config.database, logger);
  // Decisions are judged on a fixed call day (the order date of the factories), so tests do not change with the calendar.
  // Apps that verify JWTs keep the wall clock: the test tokens are signed now.
  const now = env['CDS_CLIENTS_FILE'] ? undefined : () => new Date(TEST_CALL_TIME);
  const app = createApp({ config, logger, policy: testPolicy(), discovery: testDiscovery(), ...(now ? { now } : {}), ...overrides, store });
  return { app, config, logs, store };
}

/**
 * Posts a hook call. Every 200 answer is checked against the CDS Hooks 2.0 and
 * CRD rules (cds-conformance.ts) and every error answer must be an
 * OperationOutcome, so each test also checks conformance.
 */
export async function postHook(app: Express, serviceId: string, body: unknown, headers: Record<string, string> = {}): Promise<request.Response> {
  const res = await request(app).post(`/cds-services/${serviceId}`).set(headers).send(body as object);
  assertAnswerConforms(res, serviceId, body);
  return res;
}

export function assertAnswerConforms(res: { status: number; body: unknown }, serviceId: string, body: unknown): void {
  if (res.status === 200) {
    const hook = serviceId.startsWith('order-select') ? 'order-select' : 'order-sign';
    const violations = cdsResponseViolations(res.body, { hook, request: body as Record<string, unknown> });
    assert.deepEqual(violations, [], `response breaks CDS Hooks/CRD rules:\n${violations.join('\n')}`);
  } else {
    assert.ok(isOperationOutcome(res.body), `a ${res.status} answer must be an OperationOutcome, got ${JSON.stringify(res.body).slice(0, 300)}`);
  }
}
