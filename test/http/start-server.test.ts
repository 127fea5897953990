import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/http/start-server.js';
import { captureLogger } from '../support/capture-logger.js';
import { jwksOf, makeSigner, writeClientsFile } from '../support/cds-clients.js';
import { selfSignedCert } from '../support/self-signed-cert.js';

const LOCAL = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: ':memory:' };

describe('Start-up: the configuration decides whether the service may serve', () => {
  it('NODE_ENV=production without CDS_CLIENTS_FILE refuses to start, saying why', async () => {
    const { logger } = captureLogger();
    await assert.rejects(startServer(loadConfig({ ...LOCAL, NODE_ENV: 'production' }), logger), /refusing to start: NODE_ENV=production but CDS_CLIENTS_FILE is not set/);
  });

  it('without CDS_CLIENTS_FILE it starts in open development mode and warns loudly, on loopback', async () => {
    const { logger, lines } = captureLogger();
    const config = loadConfig({ PORT: '0', DATABASE_URL: ':memory:' });
    assert.equal(config.host, '127.0.0.1');
    const running = await startServer(config, logger);
    await running.shutdown();
    const warning = lines.find((l) => l.includes('"event":"open-development-mode"'));
    assert.ok(warning);
    assert.match(warning, /"level":40/);
    assert.match(warning, /OPEN DEVELOPMENT MODE/);
    assert.match(warning, /the FHIR API \(\/fhir\) WITHOUT any access token/);
  });

  it('with a clients file it listens on every interface unless HOST says otherwise', async () => {
    const signer = await makeSigner('ES384', 'https://ehr.example.org', 'k');
    const file = writeClientsFile([{ iss: signer.iss, jwks: jwksOf(signer) }]);
    try {
      assert.equal(loadConfig({ CDS_CLIENTS_FILE: file.path }).host, '0.0.0.0');
      assert.equal(loadConfig({ CDS_CLIENTS_FILE: file.path, HOST: '10.0.0.5' }).host, '10.0.0.5');
      const { logger, lines } = captureLogger();
      const running = await startServer(loadConfig({ ...LOCAL, CDS_CLIENTS_FILE: file.path }), logger);
      await running.shutdown();
      assert.ok(!lines.some((l) => l.includes('open-development-mode')));
    } finally {
      file.remove();
    }
  });

  it('a clients file with a mistake stops start-up with the mistake named', async () => {
    const file = writeClientsFile([{ iss: 'https://ehr.example.org', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }]);
    try {
      await assert.rejects(startServer(loadConfig({ ...LOCAL, CDS_CLIENTS_FILE: file.path }), captureLogger().logger), /invalid CDS clients file .*symmetric/s);
    } finally {
      file.remove();
    }
  });

  it('a damaged public key in the clients file stops start-up', async () => {
    const signer = await makeSigner('ES384', 'https://ehr.example.org', 'k');
    const file = writeClientsFile([{ iss: signer.iss, jwks: { keys: [{ ...signer.publicJwk, x: 'AAAA' }] } }]);
    try {
      await assert.rejects(startServer(loadConfig({ ...LOCAL, CDS_CLIENTS_FILE: file.path }), captureLogger().logger), /not a usable public key: Invalid JWK EC key\n  → at \[0\]\.jwks\.keys\[0\]/);
    } finally {
      file.remove();
    }
  });

  it('without CDS_CLIENTS_FILE it says that hook calls may name any fhirServer, loopback and private included', async () => {
    const { logger, lines } = captureLogger();
    const running = await startServer(loadConfig({ PORT: '0', DATABASE_URL: ':memory:' }), logger);
    await running.shutdown();
    const line = lines.find((l) => l.includes('"event":"fhir-servers-open"'));
    assert.match(line ?? '', /"level":40.*any fhirServer, loopback and private addresses included \(never link-local/);
  });

  it('TLS_CERT_FILE without TLS_KEY_FILE is a configuration error', () => {
    assert.throws(() => loadConfig({ TLS_CERT_FILE: '/tmp/cert.pem' }), /both TLS_CERT_FILE and TLS_KEY_FILE/);
  });
});

describe('Start-up: where each client may send the service (issue 14)', () => {
  let signer: Awaited<ReturnType<typeof makeSigner>>;
  before(async () => {
    signer = await makeSigner('ES384', 'https://ehr.example.org', 'k');
  });

  async function startWith(clients: unknown[], env: Record<string, string> = {}) {
    const file = writeClientsFile(clients);
    const { logger, lines } = captureLogger();
    try {
      const running = await startServer(loadConfig({ ...LOCAL, CDS_CLIENTS_FILE: file.path, ...env }), logger);
      await running.shutdown();
      return lines;
    } finally {
      file.remove();
    }
  }

  it('NODE_ENV=production refuses a client with no fhirServers list, naming it and the way out', async () => {
    const file = writeClientsFile([{ iss: signer.iss, name: 'Hospital A', jwks: jwksOf(signer) }]);
    try {
      await assert.rejects(
        startServer(loadConfig({ ...LOCAL, NODE_ENV: 'production', CDS_CLIENTS_FILE: file.path }), captureLogger().logger),
        /refusing to start: NODE_ENV=production and the clients file gives no fhirServers list for Hospital A.*FHIR_ORIGINS_UNRESTRICTED=true/,
      );
    } finally {
      file.remove();
    }
  });

  it('FHIR_ORIGINS_UNRESTRICTED=true lets production start, and the client is named in a warning', async () => {
    const lines = await startWith([{ iss: signer.iss, name: 'Hospital A', jwks: jwksOf(signer) }], { NODE_ENV: 'production', FHIR_ORIGINS_UNRESTRICTED: 'true' });
    assert.match(lines.find((l) => l.includes('"event":"fhir-servers-unrestricted"')) ?? '', /"level":40.*"client":"Hospital A".*may have the service query any https server at a public address/);
  });

  it('outside production a client with no list starts with the same warning', async () => {
    const lines = await startWith([{ iss: signer.iss, jwks: jwksOf(signer) }]);
    assert.ok(lines.some((l) => l.includes('"event":"fhir-servers-unrestricted"') && l.includes(signer.iss)));
  });

  it('with every client listing its FHIR servers production starts and the lists are logged', async () => {
    const lines = await startWith([{ iss: signer.iss, name: 'Hospital A', jwks: jwksOf(signer), fhirServers: ['https://fhir.hospital-a.example.org/r4/'] }], { NODE_ENV: 'production' });
    assert.ok(!lines.some((l) => l.includes('fhir-servers-unrestricted')));
    assert.match(lines.find((l) => l.includes('"event":"fhir-servers"')) ?? '', /"clients":\[\{"client":"Hospital A","fhirServers":\["https:\/\/fhir.hospital-a.example.org\/r4"\]\}\]/);
  });
});


describe('TLS: with TLS_CERT_FILE and TLS_KEY_FILE the service speaks HTTPS only, TLS 1.2 or later', () => {
  let cert: ReturnType<typeof selfSignedCert>;
  let running: RunningServer;
  const defaultMin = tls.DEFAULT_MIN_VERSION;

  before(async () => {
    cert = selfSignedCert();
    // As if Node ran with --tls-min-v1.0: the service's own minVersion must still hold.
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    running = await startServer(loadConfig({ ...LOCAL, TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile }), captureLogger().logger);
  });
  after(async () => {
    tls.DEFAULT_MIN_VERSION = defaultMin;
    await running.shutdown();
    cert.remove();
  });

  function handshake(port: number, version: tls.SecureVersion): Promise<string> {
    return new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0', ca: readFileSync(cert.certFile) });
      socket.on('secureConnect', () => {
        resolve(`connected ${socket.getProtocol()}`);
        socket.destroy();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(`refused ${e.code}`));
    });
  }

  it('serves discovery over https', async () => {
    assert.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number>((resolve, reject) => {
      https.get(`${running.url}/cds-services`, { ca: readFileSync(cert.certFile) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 200);
  });

  it('a TLS 1.2 client and a TLS 1.3 client are accepted', async () => {
    assert.equal(await handshake(running.port, 'TLSv1.2'), 'connected TLSv1.2');
    assert.equal(await handshake(running.port, 'TLSv1.3'), 'connected TLSv1.3');
  });

  it('a TLS 1.1 client is refused with a protocol-version alert', async () => {
    assert.equal(await handshake(running.port, 'TLSv1.1'), 'refused ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('(control) the same TLS 1.1 client does connect to a server that allows TLS 1.1, so the refusal is the service\'s', async () => {
    const permissive = tls.createServer({ cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal(await handshake((permissive.address() as net.AddressInfo).port, 'TLSv1.1'), 'connected TLSv1.1');
    } finally {
      permissive.close();
    }
  });

  it('plain http to the TLS port gets no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      http.get(`http://127.0.0.1:${running.port}/cds-services`, (res) => resolve(`answered ${res.statusCode}`)).on('error', (e: NodeJS.ErrnoException) => resolve(`failed ${e.code}`));
    });
    assert.match(outcome, /^failed /);
  });
});

describe('Timeouts: a client that stalls is cut off', () => {
  it('headers not finished within HEADERS_TIMEOUT_MS: 408 and the connection closed', async () => {
    const running = await startServer(loadConfig({ ...LOCAL, HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '600' }), captureLogger().logger);
    try {
      const answer = await sendAndWaitForClose(running.port, 'POST /cds-services/order-sign-crd HTTP/1.1\r\nHost: x\r\n');
      assert.match(answer, /^HTTP\/1\.1 408/);
    } finally {
      await running.shutdown();
    }
  });

  it('a body not finished within REQUEST_TIMEOUT_MS: 408 and the connection closed', async () => {
    const running = await startServer(loadConfig({ ...LOCAL, HEADERS_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '600' }), captureLogger().logger);
    try {
      const answer = await sendAndWaitForClose(running.port, 'POST /cds-services/order-sign-crd HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"hook":');
      assert.match(answer, /^HTTP\/1\.1 408/);
    } finally {
      await running.shutdown();
    }
  });
});

/** Writes raw bytes (an unfinished request) and returns what the server sent before closing the connection. */
function sendAndWaitForClose(port: number, raw: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let data = '';
    socket.on('data', (d) => (data += String(d)));
    socket.on('close', () => resolve(data));
    setTimeout(() => {
      socket.destroy();
      resolve('still open after 5 s');
    }, 5000).unref();
  });
}
