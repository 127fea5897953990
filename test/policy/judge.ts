import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4.js';
import type { Express } from 'express';
import { cardsOf, coverageInformationFor, type CardView, type CoverageInformationView } from '../support/coverage-information.js';
import { buildTecartusOrder } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord, type TestRecord } from '../support/patient-scenarios.js';
import { postHook } from '../support/test-app.js';

export interface Judgement {
  info: CoverageInformationView;
  cards: CardView[];
  /** The finding cards (warnings), most serious first. */
  findings: CardView[];
}

/**
 * Signs one Tecartus order for a patient whose record is the eligible
 * mantle-cell record with `changes` applied, and reads the answer back.
 */
export async function judge(app: Express, changes: TestRecord = {}, order: FhirResource = buildTecartusOrder(), extra: { encounterId?: string } = {}): Promise<Judgement> {
  const res = await postHook(app, ORDER_SIGN, buildHookRequest({ record: eligibleMantleCellRecord(changes), orders: [order], ...extra }));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const info = coverageInformationFor(res.body, `${order.resourceType}/${order.id}`);
  assert.ok(info, 'coverage information for the Tecartus order');
  const cards = cardsOf(res.body);
  return { info, cards, findings: cards.filter((c) => c.indicator === 'warning') };
}
