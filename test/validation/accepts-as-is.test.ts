import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { fhirResourceAsIs, FhirResourceShape } from '../../src/fhir/resource-shapes.js';
import { hookRequestAsIs, HookRequestSchema } from '../../src/hooks/request-schema.js';
import { acceptsAsIs } from '../../src/validation/accepts-as-is.js';
import {
  buildCondition,
  buildEncounter,
  buildHistoricalMedicationRequest,
  buildMedication,
  buildMedicationAdministration,
  buildMedicationStatement,
  buildProcedure,
  buildTecartusOrder,
  buildTecartusServiceRequest,
  clinicalStatus,
  cpt,
  icd10cm,
  snomed,
  verificationStatus,
} from '../support/fhir-factories.js';
import { buildHookRequest } from '../support/hook-requests.js';
import { eligibleMantleCellRecord } from '../support/patient-scenarios.js';

type Json = Record<string | number, unknown>;
type Path = (string | number)[];

/** Valid requests that between them use every element the schemas check. */
function samples(): Json[] {
  const coverageInformation = {
    url: 'http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information',
    extension: [
      { url: 'coverage', valueReference: { reference: 'Coverage/cov-1' } },
      { url: 'covered', valueCode: 'conditional' },
      { url: 'reason', valueCodeableConcept: { coding: [{ system: 'https://example.org/reason', code: 'x' }], text: 'why' } },
      { url: 'billingCode', valueCoding: { system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'Q2053' } },
    ],
  };
  return [
    buildHookRequest(),
    buildHookRequest({ hook: 'order-select', fhirServer: 'https://ehr.example.org/fhir', accessToken: 'token-1', encounterId: 'enc-1' }),
    buildHookRequest({
      orders: [
        buildTecartusOrder({
          extension: [coverageInformation],
          dispenseRequest: { numberOfRepeatsAllowed: 0, quantity: { value: 1, unit: 'bag' } },
          insurance: [{ reference: 'Coverage/cov-1' }],
          category: [{ coding: [{ code: 'outpatient' }] }],
          dosageInstruction: [{ timing: { repeat: { count: 1, period: 1, periodUnit: 'd' }, event: ['2026-01-01'], code: { coding: [{ code: 'QD' }] } } }],
        }),
        buildTecartusServiceRequest({ occurrenceTiming: { repeat: { count: 1 } }, quantityQuantity: { value: 1, unit: 'dose' } }),
        buildTecartusOrder({ id: 'by-reference', medicationCodeableConcept: undefined, medicationReference: { reference: '#tec', display: 'Tecartus' }, contained: [buildMedication({ id: 'tec' })] }),
      ],
      draftExtras: [buildMedication({ id: 'draft-med' })],
      encounterId: 'enc-1',
      record: eligibleMantleCellRecord({
        encounter: buildEncounter(),
        conditions: [
          buildCondition({
            code: icd10cm('C83.10'),
            clinicalStatus: clinicalStatus('relapse'),
            verificationStatus: verificationStatus('confirmed'),
            onsetPeriod: { start: '2024-01-01' },
            stage: [{ summary: snomed('263855007') }],
            evidence: [{ code: [snomed('58184002')] }],
            abatementString: 'none',
          }),
        ],
        procedures: [buildProcedure({ code: cpt('0537T'), performedPeriod: { start: '2020-01-01', end: '2020-01-02' } })],
        medicationAdministrations: [buildMedicationAdministration({ effectivePeriod: { start: '2021-01-01' } })],
        medicationStatements: [buildMedicationStatement({ dateAsserted: '2021-01-01' })],
        medicationRequests: [buildHistoricalMedicationRequest()],
      }),
      extraPrefetch: { medications: null, failed: { resourceType: 'OperationOutcome', issue: [{ code: 'exception', diagnostics: 'x', details: { text: 'y' } }] } },
      extension: { 'davinci-crd.requestedVersion': '2.2', 'davinci-crd.configuration': { 'max-cards': 3 } },
    }),
  ];
}

function pathsOf(value: unknown, path: Path = [], into: Path[] = []): Path[] {
  if (path.length > 0) into.push(path);
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, Array.isArray(value) ? Number(k) : k], into);
  return into;
}

const DELETE = Symbol('delete');
/** What a broken or hostile client may put anywhere. */
const REPLACEMENTS: readonly unknown[] = [DELETE, null, 0, 2.5, '', 'x', ' https://padded.example ', 'https://a.example/\tfhir', true, [], [null], {}, { resourceType: 'Patient' }, { __proto__: 1 }];

function mutated(base: Json, path: Path, value: unknown): Json {
  const body = structuredClone(base);
  let parent = body;
  for (const key of path.slice(0, -1)) parent = parent[key] as Json;
  const last = path.at(-1)!;
  if (value === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
    // An own __proto__ key, as JSON.parse makes it.
    parent[last] = JSON.parse('{"__proto__": {"resourceType": "Patient"}, "resourceType": "Patient"}');
  } else {
    parent[last] = structuredClone(value);
  }
  return body;
}

/**
 * The promise the fast check makes: when it says yes, zod accepts the body and
 * returns the same content. And for the service's own sample requests it says
 * yes (so the fast path is taken).
 */
function assertAgrees(body: unknown, label: string, schema: z.ZodType = HookRequestSchema, fastCheck: (v: unknown) => boolean = hookRequestAsIs): void {
  const parsed = schema.safeParse(body);
  const fast = fastCheck(body);
  if (fast) {
    assert.ok(parsed.success, `${label}: the fast check accepted what the schema refuses: ${parsed.success ? '' : z.prettifyError(parsed.error)}`);
    assert.deepEqual(parsed.data, body, `${label}: the schema changes the body the fast check accepted as is`);
  } else if (parsed.success) {
    assert.notDeepEqual(parsed.data, body, `${label}: the schema accepts the body as is, so the fast check should have`);
  }
}

describe('The fast check of a hook request says yes only when the schema accepts it unchanged (src/validation/accepts-as-is.ts)', () => {
  it('accepts the valid requests as they are, and the schema agrees', () => {
    for (const [i, body] of samples().entries()) {
      assert.equal(hookRequestAsIs(body), true, `sample ${i}`);
      assertAgrees(body, `sample ${i}`);
    }
  });

  it('agrees with the schema on every single change of every element of the sample requests', () => {
    let checked = 0;
    for (const [i, base] of samples().entries()) {
      for (const path of pathsOf(base)) {
        for (const value of REPLACEMENTS) {
          assertAgrees(mutated(base, path, value), `sample ${i}, ${path.join('.')} = ${String(value === DELETE ? '(deleted)' : JSON.stringify(value))}`);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 5000, `${checked} bodies checked`);
  });

  it('agrees with FhirResourceShape (the check of FHIR server answers) on every single change of every resource in the samples', () => {
    const resources: Json[] = [];
    for (const body of samples()) {
      const context = body['context'] as { draftOrders: { entry: { resource: Json }[] } };
      resources.push(...context.draftOrders.entry.map((e) => e.resource));
      resources.push(...Object.values(body['prefetch'] as Record<string, Json | null>).filter((r): r is Json => r !== null));
    }
    let checked = 0;
    for (const [i, base] of resources.entries()) {
      assert.equal(fhirResourceAsIs(base), true, `resource ${i} (${String(base['resourceType'])})`);
      for (const path of pathsOf(base)) {
        for (const value of REPLACEMENTS) {
          assertAgrees(mutated(base, path, value), `resource ${i} (${String(base['resourceType'])}), ${path.join('.')}`, FhirResourceShape, fhirResourceAsIs);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 5000, `${checked} resources checked`);
  });

  it('agrees with the schema on random combinations of changes', () => {
    const bases = samples();
    const change = (base: Json) => fc.tuple(fc.constantFrom(...pathsOf(base)), fc.oneof(fc.constantFrom(...REPLACEMENTS), fc.jsonValue({ maxDepth: 2 })));
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }).chain((i) => fc.tuple(fc.constant(i), fc.array(change(bases[i]!), { minLength: 2, maxLength: 4 }))),
        ([i, changes]) => {
          let body = bases[i]!;
          for (const [path, value] of changes) {
            try {
              body = mutated(body, path, value);
            } catch {
              // An earlier change removed the path's parent.
            }
          }
          assertAgrees(body, `sample ${i} with ${changes.length} changes`);
        },
      ),
      { seed: 20261128, numRuns: 1500 },
    );
  });

  it('refuses at start-up a schema construct it does not understand, rather than guess', () => {
    for (const schema of [
      z.string().transform((s) => s.trim()),
      z.string().default('x'),
      z.email(),
      z.number().int(),
      z.looseObject({}).superRefine(() => undefined),
      z.object({}).catchall(z.string()),
      z.array(z.string()).min(1),
      z.coerce.number(),
    ]) {
      assert.throws(() => acceptsAsIs(schema), /acceptsAsIs: .* is not supported/);
    }
  });

  it('leaves to the schema what the schema would change: trimmed URLs, stripped keys, a __proto__ key', () => {
    assert.equal(acceptsAsIs(z.url())(' https://a.example'), false);
    assert.equal(acceptsAsIs(z.url())('https://a.example'), true);
    assert.equal(acceptsAsIs(z.object({ a: z.string() }))({ a: 'x', b: 1 }), false);
    assert.equal(acceptsAsIs(z.looseObject({ a: z.string() }))({ a: 'x', b: 1 }), true);
    assert.equal(acceptsAsIs(z.looseObject({}))(JSON.parse('{"__proto__": {}}')), false);
  });
});
