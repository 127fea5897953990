import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cardsOf, coverageInformationFor } from '../support/coverage-information.js';
import { PATIENT_ID } from '../support/fhir-factories.js';
import { startFhirTestServer, type FhirTestServer } from '../support/fhir-test-server.js';
import { buildHookRequest, ORDER_SIGN } from '../support/hook-requests.js';
import { asPrefetch, eligibleMantleCellRecord } from '../support/patient-scenarios.js';
import { createTestApp, postHook } from '../support/test-app.js';

const run = promisify(execFile);
let dir: string;
let server: FhirTestServer;

/** A private CA and a certificate it signed for 127.0.0.1, as an on-premises EHR would have. */
async function makePrivateCa(folder: string): Promise<{ key: string; cert: string; caFile: string }> {
  const at = (f: string) => join(folder, f);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=Test Hospital Private CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.pem'), '-days', '2', '-extfile', at('ext.cnf')]);
  return { key: await readFile(at('server.key'), 'utf8'), cert: await readFile(at('server.pem'), 'utf8'), caFile: at('ca.pem') };
}

let caFile: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tecartus-tls-'));
  const ca = await makePrivateCa(dir);
  caFile = ca.caFile;
  server = await startFhirTestServer({ tls: { key: ca.key, cert: ca.cert } });
  await server.load(eligibleMantleCellRecord());
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS to the FHIR server uses Node\'s default trust store', () => {
  it('a certificate from a CA the service does not trust is refused: the part is unreadable and the hook still answers', async () => {
    const { app, logs } = createTestApp();
    const { patient, coverage } = asPrefetch(eligibleMantleCellRecord());
    const res = await postHook(app, ORDER_SIGN, buildHookRequest({ prefetch: { patient, coverage }, fhirServer: server.url, accessToken: 'tok', extension: { 'davinci-crd.requestedVersion': '2.2' } }));
    assert.equal(res.status, 200);
    assert.equal(coverageInformationFor(res.body, 'MedicationRequest/tecartus-order-1')!.covered, 'indeterminate');
    assert.ok(cardsOf(res.body).some((c) => /TLS certificate is not trusted by the service/.test(c.detail)));
    assert.match(logs.join('\n'), /"failure":"tls","code":"[A-Z_]+"/);
  });

  it('NODE_EXTRA_CA_CERTS adds a private CA: the same server is then trusted', async () => {
    const cli = join(import.meta.dirname, '..', 'support', 'fhir-get-cli.ts');
    const withCa = await run(process.execPath, ['--import', 'tsx', cli, server.url, `Patient/${PATIENT_ID}`, 'Patient'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
    assert.deepEqual(JSON.parse(withCa.stdout), { resourceType: 'Patient' });
    const without = await run(process.execPath, ['--import', 'tsx', cli, server.url, `Patient/${PATIENT_ID}`, 'Patient'], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } });
    assert.equal(JSON.parse(without.stdout).failure, 'tls');
  });
});
