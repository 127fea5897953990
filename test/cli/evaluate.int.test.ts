import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { fromRoot } from '../../src/paths.js';
import { runCli } from '../../src/cli/run-cli.js';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import {
  buildCondition,
  buildCoverage,
  buildEncounter,
  buildMedication,
  buildOtherOrder,
  buildPatient,
  buildProcedure,
  buildTecartusOrder,
  clinicalStatus,
  icd10cm,
  textOnly,
} from '../support/fhir-factories.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { eligibleMantleCellRecord, recordResources } from '../support/patient-scenarios.js';
import { assertAnswerConforms, createTestApp, postHook } from '../support/test-app.js';

const EXAMPLE_REQUEST = fromRoot('examples', 'order-sign-request.json');
const EXAMPLE_BUNDLE = fromRoot('examples', 'patient-bundle.json');
const BIN = fromRoot('bin', 'tecartus-cds.js');
const NOW = new Date('2026-06-15T15:00:00Z');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line in-process; `files` are the inputs it may read by name. */
async function cli(args: string[], options: { files?: Record<string, string>; isTTY?: boolean; env?: Record<string, string> } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const files = options.files ?? {};
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.isTTY ?? false, columns: 100 },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? {},
    readInput: (path) => (path in files ? files[path]! : readFileSync(path, 'utf8')),
    now: () => NOW,
  });
  return { code, stdout, stderr };
}

/** Runs the real `bin/tecartus-cds.js` as a child process. */
function runBin(args: string[], stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: fromRoot(), env: { ...process.env, NO_COLOR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** A FHIR Bundle holding a record (the test factories' shape) and the orders. */
function recordBundle(record: ReturnType<typeof eligibleMantleCellRecord>, orders: FhirResource[] = [buildTecartusOrder()], extra: FhirResource[] = []): Bundle {
  const resources: FhirResource[] = [...recordResources(record), ...orders, ...extra];
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) };
}

const json = (value: unknown) => JSON.stringify(value);
const withoutUuids = (body: unknown) => JSON.parse(JSON.stringify(body, (k, v) => (k === 'uuid' ? undefined : v)));

describe('tecartus-cds evaluate <CDS Hooks request>', () => {
  it('prints the decision, the coverage information and every card of the example request', async () => {
    const run = await cli(['evaluate', EXAMPLE_REQUEST]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const raw = await cli(['evaluate', EXAMPLE_REQUEST, '--json']);
    const response = JSON.parse(raw.stdout);
    const info = coverageInformationFor(response, 'MedicationRequest/example-tecartus-order')!;
    assert.match(run.stdout, /^Tecartus coverage requirements: order-sign-crd \(order-sign, CRD 2\.0\.1\)$/m);
    assert.match(run.stdout, /MedicationRequest\/example-tecartus-order: covered, judged on 2026-06-15/);
    assert.match(run.stdout, /^ {4}Covered {7}covered$/m);
    assert.match(run.stdout, /^ {4}PA needed {5}auth-needed$/m);
    assert.match(run.stdout, /^ {4}Documentation clinical \(withpa\)$/m);
    assert.match(run.stdout, new RegExp(`^ {4}Assertion id {2}${info.assertionId}$`, 'm'));
    const cards = cardsOf(response);
    assert.match(run.stdout, new RegExp(`^Cards \\(${cards.length}\\)$`, 'm'));
    // Long summaries wrap at the terminal width: compare with the wrapping undone.
    const unwrapped = run.stdout.replace(/\n {3}(?=\S)/g, ' ');
    cards.forEach((c, i) => assert.ok(unwrapped.includes(`${i + 1}. [${c.indicator.toUpperCase()}] ${c.summary}`), c.summary));
  });

  it('renders card markdown as text: no markdown syntax or escapes are left', async () => {
    const { stdout } = await cli(['evaluate', EXAMPLE_REQUEST]);
    assert.match(stdout, /Submit the request with its supporting clinical documentation electronically.*or by fax to 617-673-0956/s);
    assert.match(stdout, /^ {3}• the diagnosis: relapsed or refractory mantle cell lymphoma/m);
    assert.doesNotMatch(stdout, /\*\*|\\\(|&amp;/);
  });

  it('--json prints exactly the response the service gives for the same request', async () => {
    const body = JSON.parse(readFileSync(EXAMPLE_REQUEST, 'utf8'));
    const run = await cli(['evaluate', EXAMPLE_REQUEST, '--json']);
    assert.equal(run.code, 0);
    const fromCli = JSON.parse(run.stdout);
    assertAnswerConforms({ status: 200, body: fromCli }, ORDER_SIGN, body);
    const { app } = createTestApp({ PUBLIC_BASE_URL: 'http://localhost:3000' }, { now: () => NOW });
    const fromService = await postHook(app, ORDER_SIGN, body);
    assert.deepEqual(withoutUuids(fromCli), withoutUuids(fromService.body));
  });

  it('a prior CAR-T record gives the not-covered decision and its warning card', async () => {
    const request = buildHookRequest({ record: eligibleMantleCellRecord({ procedures: [buildProcedure({ id: 'p-38228' })] }) });
    const run = await cli(['evaluate', 'request.json'], { files: { 'request.json': json(request) } });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /MedicationRequest\/tecartus-order-1: not-covered \(prior-car-t\)/);
    assert.match(run.stdout, /1\. \[WARNING\] Prior CAR-T therapy on record/);
    assert.match(run.stdout, /• Procedure 38228, CAR-T administration, 2025-03-02/);
    assert.match(run.stdout, /Override reasons:\n {5}- This record belongs to the current course \(not earlier therapy\) \(same-course\)\n {5}- The record is wrong: the patient has had no CAR-T therapy \(record-incorrect\)/);
  });

  it('an order-select request is judged by order-select-crd', async () => {
    const run = await cli(['evaluate', 'r.json'], { files: { 'r.json': json(buildHookRequest({ hook: 'order-select' })) } });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Tecartus coverage requirements: order-select-crd \(order-select/m);
    assert.match(run.stdout, /^ {4}Documentation —$/m, 'CRD hook-19: no documentation needed on order-select');
  });

  it('a request with no Tecartus order is a decision with nothing to say (exit 0)', async () => {
    const run = await cli(['evaluate', 'r.json'], { files: { 'r.json': json(buildHookRequest({ orders: [buildOtherOrder()] })) } });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /No Tecartus order among the orders/);
    assert.match(run.stdout, /Cards \(0\)\n {2}None: the clinician sees nothing from this service\./);
  });

  it('a record that lacks prefetched data and gives no fhirServer is the 412 message, exit 2', async () => {
    const request = buildHookRequest();
    delete (request['prefetch'] as Record<string, unknown>)['procedures'];
    const run = await cli(['evaluate', 'r.json'], { files: { 'r.json': json(request) } });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^tecartus-cds: The record lacks data the decision needs \(HTTP 412\):\n {2}- The Tecartus decision needs data the request did not prefetch \(procedures\) and the request has no fhirServer/);
  });

  it('a fhirServer in the request is set aside with a note: the decision rests on the prefetch', async () => {
    const request = buildHookRequest({ fhirServer: 'https://ehr.example.org/fhir', accessToken: 'secret-token' });
    const run = await cli(['evaluate', 'r.json'], { files: { 'r.json': json(request) } });
    assert.equal(run.code, 0);
    assert.match(run.stderr, /note: fhirServer and fhirAuthorization are ignored/);
    assert.doesNotMatch(run.stdout + run.stderr, /secret-token/);
  });
});

describe('tecartus-cds evaluate <FHIR Bundle>', () => {
  it('judges the example Bundle as the order-sign request an EHR would send', async () => {
    const run = await cli(['evaluate', EXAMPLE_BUNDLE]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Input: FHIR Bundle, judged as the order-sign request an EHR would send; patient example-patient$/m);
    assert.match(run.stdout, /^Orders: MedicationRequest\/example-tecartus-order$/m);
    assert.match(run.stdout, /MedicationRequest\/example-tecartus-order: not-covered \(prior-car-t, outpatient-attestation\)/);
    assert.match(run.stdout, /• MedicationAdministration Q2041, CAR-T product/);
    assert.match(run.stdout, /\[WARNING\] Outpatient Tecartus needs the provider's attestation/);
  });

  it('puts the draft orders in draftOrders and the rest of the record in prefetch under discovery’s keys', async () => {
    const medication = buildMedication({ id: 'med-1' });
    const encounter = buildEncounter();
    const inactive = buildCoverage({ id: 'cov-old', status: 'cancelled' });
    const bundle = recordBundle(eligibleMantleCellRecord({ encounter, coverage: [buildCoverage(), inactive] }), [buildTecartusOrder({ encounter: { reference: 'Encounter/enc-1' } }), buildOtherOrder()], [medication]);
    const run = await cli(['evaluate', 'b.json', '--json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 0, run.stderr);
    const { bundleToOrderRequest } = await import('../../src/cli/bundle-to-request.js');
    const { testPolicy, testDiscovery } = await import('../support/test-app.js');
    const { request, orders } = bundleToOrderRequest(bundle, testPolicy(), { hook: 'order-sign', sources: testDiscovery().sources.get('order-sign-crd')! });
    assert.deepEqual(orders, ['MedicationRequest/tecartus-order-1', 'MedicationRequest/amox-1']);
    const context = request['context'] as Record<string, unknown>;
    assert.equal(context['patientId'], 'pat-1');
    assert.equal(context['encounterId'], 'enc-1');
    assert.equal(context['userId'], 'Practitioner/prac-1');
    const prefetch = request['prefetch'] as Record<string, Bundle & { id?: string }>;
    assert.deepEqual(Object.keys(prefetch).sort(), Object.keys(testDiscovery().services.get(ORDER_SIGN)!.prefetch).sort());
    assert.deepEqual(prefetch['coverage']!.entry!.map((e) => e.resource!.id), ['cov-1'], 'the coverage query asks for active Coverages only');
    assert.equal(prefetch['medicationRequests']!.entry!.some((e) => e.resource!.id === 'tecartus-order-1'), false, 'the order is not its own history');
    assert.ok(prefetch['medicationRequests']!.entry!.some((e) => e.resource!.id === 'med-1' && e.search?.mode === 'include'));
    assertAnswerConforms({ status: 200, body: JSON.parse(run.stdout) }, ORDER_SIGN, request);
  });

  it('an active Tecartus MedicationRequest is judged when the Bundle has no draft order', async () => {
    const bundle = recordBundle(eligibleMantleCellRecord(), [buildTecartusOrder({ status: 'active' })]);
    const run = await cli(['evaluate', 'b.json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /MedicationRequest\/tecartus-order-1: covered/);
  });

  it('--order, --hook order-select and --crd-version 2.2 shape the request built from the Bundle', async () => {
    const bundle = recordBundle(eligibleMantleCellRecord(), [buildTecartusOrder({ status: 'active' }), buildOtherOrder()]);
    const run = await cli(['evaluate', 'b.json', '--order', 'MedicationRequest/tecartus-order-1', '--hook', 'order-select', '--crd-version', '2.2', '--json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 0, run.stderr);
    const response = JSON.parse(run.stdout);
    assert.equal(response.cards[0].source.topic.system, 'http://terminology.hl7.org/CodeSystem/cdshooks-card-type', 'CRD 2.2 card types');
    assert.equal(coverageInformationFor(response, 'MedicationRequest/tecartus-order-1')!.docNeeded.length, 0, 'order-select: no documentation needed');
  });

  it('a Bundle without the Patient lacks data the decision needs: the 412 message, exit 2', async () => {
    const bundle = recordBundle(eligibleMantleCellRecord({ patient: null }));
    const run = await cli(['evaluate', 'b.json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /The record lacks data the decision needs \(HTTP 412\):\n {2}- .*did not prefetch \(patient\)/);
  });

  it('a Bundle with no order to judge is refused with a clear message', async () => {
    const bundle = recordBundle(eligibleMantleCellRecord(), []);
    const run = await cli(['evaluate', 'b.json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /The Bundle holds no order to judge: .* Name the order with --order Type\/id\./);
  });

  it('a Bundle with two Patients is refused', async () => {
    const bundle = recordBundle(eligibleMantleCellRecord(), undefined, [buildPatient({ id: 'pat-2' })]);
    const run = await cli(['evaluate', 'b.json'], { files: { 'b.json': json(bundle) } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /The Bundle holds 2 Patients; it must hold one patient's record\./);
  });

  it('--order naming a resource the Bundle does not hold is refused', async () => {
    const run = await cli(['evaluate', EXAMPLE_BUNDLE, '--order', 'MedicationRequest/nope']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--order MedicationRequest\/nope: the Bundle holds no MedicationRequest\/nope\./);
  });
});

describe('tecartus-cds evaluate: unreadable input exits 2 with a clear message', () => {
  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: 'text that is not JSON', text: '{ "hook": "order-sign", ', message: /^tecartus-cds: in\.json is not JSON: / },
    { name: 'a JSON array', text: '[{"hook":"order-sign"}]', message: /^tecartus-cds: in\.json holds a JSON array, not a CDS Hooks request or a FHIR Bundle\.$/m },
    { name: 'a FHIR resource other than a Bundle', text: json(buildPatient()), message: /in\.json is a FHIR Patient, not a Bundle: put the patient's record and the order in a Bundle/ },
    { name: 'an object that is neither form', text: json({ resourceType: 1, patient: 'x' }), message: /neither a CDS Hooks request \(it has no hook, hookInstance or context\) nor a FHIR Bundle/ },
    { name: 'a Bundle whose entries are not resources', text: json({ resourceType: 'Bundle', entry: [{ resource: { id: 'x' } }] }), message: /in\.json is not a usable FHIR Bundle:\n {2}- entry\.0\.resource\.resourceType: must be a FHIR resource with a resourceType/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const run = await cli(['evaluate', 'in.json'], { files: { 'in.json': c.text } });
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, c.message);
    });
  }

  it('an invalid CDS Hooks request: every OperationOutcome issue, with its path', async () => {
    const request = buildHookRequest();
    delete (request['context'] as Record<string, unknown>)['userId'];
    delete (request['context'] as Record<string, unknown>)['patientId'];
    const run = await cli(['evaluate', 'in.json'], { files: { 'in.json': json(request) } });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^tecartus-cds: The request is not a valid CDS Hooks order-sign or order-select request \(HTTP 400\):$/m);
    assert.match(run.stderr, /^ {2}- context\.userId is required \(e\.g\. Practitioner\/123\) \(at context\.userId\)$/m);
    assert.match(run.stderr, /^ {2}- context\.patientId is required: the FHIR id of the patient \(at context\.patientId\)$/m);
  });

  it('a request for a hook the service does not answer', async () => {
    const request = { ...buildHookRequest(), hook: 'patient-view' };
    const run = await cli(['evaluate', 'in.json'], { files: { 'in.json': json(request) } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^ {2}- hook is "patient-view" but this service answers "order-sign" \(at hook\)$/m);
  });

  it('a file that does not exist', async () => {
    const run = await cli(['evaluate', fromRoot('examples', 'no-such-file.json')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read .*no-such-file\.json: no such file/);
  });

  it('no command, an unknown command, a missing file argument, or an unknown option', async () => {
    for (const args of [[], ['judge', 'x.json'], ['evaluate'], ['evaluate', 'x.json', '--colour']]) {
      const run = await cli(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /Usage: tecartus-cds evaluate/);
    }
  });

  it('Bundle options given with a request are refused rather than ignored', async () => {
    const run = await cli(['evaluate', EXAMPLE_REQUEST, '--hook', 'order-select']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--hook, --order and --crd-version apply to a Bundle/);
  });
});

describe('tecartus-cds evaluate: terminal output', () => {
  it('writes no colour codes when stdout is not a terminal', async () => {
    const { stdout } = await cli(['evaluate', EXAMPLE_BUNDLE], { isTTY: false });
    assert.doesNotMatch(stdout, /\u001b/);
  });

  it('colours the indicator and coverage on a terminal, unless NO_COLOR is set', async () => {
    const coloured = await cli(['evaluate', EXAMPLE_BUNDLE], { isTTY: true });
    assert.match(coloured.stdout, /\u001b\[33m\[WARNING\]\u001b\[39m/);
    assert.match(coloured.stdout, /\u001b\[31mnot-covered\u001b\[39m/);
    const plain = await cli(['evaluate', EXAMPLE_BUNDLE], { isTTY: true, env: { NO_COLOR: '1' } });
    assert.doesNotMatch(plain.stdout, /\u001b/);
  });

  it('control characters from the record cannot reach the terminal', async () => {
    const hostile = buildProcedure({ code: textOnly('\u001b[2J\u001b]0;owned\u0007Infusion of chimeric antigen receptor T cells') });
    const bundle = recordBundle(eligibleMantleCellRecord({ procedures: [hostile], conditions: [buildCondition({ code: icd10cm('C83.18'), clinicalStatus: clinicalStatus('relapse') })] }));
    const { code, stdout } = await cli(['evaluate', 'b.json'], { files: { 'b.json': json(bundle) }, isTTY: true });
    assert.equal(code, 0);
    assert.match(stdout, /CAR-T named in free text/);
    assert.doesNotMatch(stdout, /\u001b\[2J|\u001b\]0;|\u0007/);
  });
});

describe('bin/tecartus-cds.js as a child process (what npx tecartus-cds runs)', () => {
  it('evaluate examples/order-sign-request.json exits 0 with the cards', async () => {
    const run = await runBin(['evaluate', 'examples/order-sign-request.json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\[INFO\] Prior authorization required for Tecartus \(Q2053\): complete the documentation\s+electronically or fax 617-673-0956/);
    assert.doesNotMatch(run.stdout, /\u001b/, 'a pipe is not a terminal: no colour');
  });

  it('evaluate examples/patient-bundle.json --json prints the raw response', async () => {
    const run = await runBin(['evaluate', 'examples/patient-bundle.json', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const response = JSON.parse(run.stdout);
    assert.equal(coverageInformationFor(response, 'MedicationRequest/example-tecartus-order')!.covered, 'not-covered');
  });

  it('unreadable standard input exits 2 with the message on stderr', async () => {
    const run = await runBin(['evaluate', '-'], 'this is not JSON');
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^tecartus-cds: standard input is not JSON: /);
  });
});
