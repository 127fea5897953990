import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { AddressRules } from '../../src/net/address-rules.js';
import { OutboundClient, OutboundRefused, ResponseTooLarge } from '../../src/net/outbound-client.js';
import { mappedResolver, startTripwire, type Tripwire } from '../support/test-hosts.js';

/**
 * Issue 14: the one outbound client, over real sockets on 127.0.0.0/8.
 * 127.0.0.2 plays an internal host a rule names; 127.0.0.3 an internal host
 * no rule names (a tripwire that counts connections); names that resolve to
 * 169.254.169.254 play the cloud metadata service.
 */

const INTERNAL = AddressRules.naming(['127.0.0.2']);
let named: Server;
let namedPort: number;
const seen: string[] = [];
let tripwire: Tripwire;

before(async () => {
  named = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(JSON.stringify({ compressed: true })));
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: `${tripwire.url}/secret` }).end();
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('x'.repeat(600));
      res.end('x'.repeat(600));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    }
  });
  await new Promise<void>((resolve) => named.listen(0, '127.0.0.2', resolve));
  namedPort = (named.address() as AddressInfo).port;
  tripwire = await startTripwire('127.0.0.3');
});
after(async () => {
  named.closeAllConnections();
  await new Promise<void>((resolve) => named.close(() => resolve()));
  await tripwire.close();
});
beforeEach(() => {
  seen.length = 0;
  tripwire.connections = 0;
  tripwire.requests.length = 0;
});

function clientWith(hosts: Parameters<typeof mappedResolver>[0]) {
  const resolve = mappedResolver(hosts);
  return { client: new OutboundClient({ resolve }), resolve };
}

const get = (client: OutboundClient, url: string, addressRules = INTERNAL, maxResponseBytes = 10_000) => client.get(new URL(url), { addressRules, maxResponseBytes });

async function refused(promise: Promise<unknown>, kind: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OutboundRefused, `expected a refusal, got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  });
}

describe('Outbound client: the address checked is the address connected to', () => {
  it('a host name that resolves to a named internal address is reached', async () => {
    const { client } = clientWith({ 'internal.test': '127.0.0.2' });
    try {
      const res = await get(client, `http://internal.test:${namedPort}/fhir/metadata`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { path: '/fhir/metadata' });
    } finally {
      client.close();
    }
  });

  it('a host name that resolves to a link-local (metadata) address is refused before any connection, under every rule', async () => {
    const { client } = clientWith({ 'metadata.test': '169.254.169.254', 'metadata6.test': ['fe80::a9fe:a9fe', '::ffff:169.254.169.254'] });
    try {
      for (const rules of [INTERNAL, AddressRules.PUBLIC_ONLY, AddressRules.PUBLIC_AND_PRIVATE]) {
        await refused(get(client, 'http://metadata.test/latest/meta-data/', rules), 'link-local');
        await refused(get(client, 'http://metadata6.test/latest/meta-data/', rules), 'link-local');
      }
    } finally {
      client.close();
    }
  });

  it('a host name that resolves to an internal address the rules do not name is refused: the internal host sees no connection', async () => {
    const { client } = clientWith({ 'other.test': '127.0.0.3' });
    try {
      await refused(get(client, `http://other.test:${tripwire.port}/`), 'loopback');
      await refused(get(client, `http://other.test:${tripwire.port}/`, AddressRules.PUBLIC_ONLY), 'loopback');
      assert.equal(tripwire.connections, 0);
    } finally {
      client.close();
    }
  });

  it('a DNS answer that changes between lookups cannot slip past: each connection uses the one answer it checked', async () => {
    // First answer allowed, every later one the tripwire, then the metadata address: a check-then-connect
    // implementation would check the first answer and connect to the second.
    const answers = ['127.0.0.2', '127.0.0.3', '169.254.169.254'];
    let lookup = 0;
    const { client, resolve } = clientWith({ 'rebind.test': () => answers[Math.min(lookup++, answers.length - 1)]! });
    try {
      const first = await client.get(new URL(`http://rebind.test:${namedPort}/first`), { addressRules: INTERNAL, maxResponseBytes: 10_000, headers: { connection: 'close' } });
      assert.equal(first.status, 200);
      await first.text();
      assert.deepEqual(seen, ['/first']);
      await refused(get(client, `http://rebind.test:${tripwire.port}/second`), 'loopback');
      await refused(get(client, `http://rebind.test:${namedPort}/third`), 'link-local');
      assert.equal(resolve.lookups.length, 3, 'one lookup per connection, none for a separate check');
      assert.equal(tripwire.connections, 0);
      assert.deepEqual(seen, ['/first']);
    } finally {
      client.close();
    }
  });

  it('of a mixed DNS answer only the allowed addresses are used', async () => {
    const { client } = clientWith({ 'mixed.test': ['169.254.169.254', '127.0.0.3', '127.0.0.2'] });
    try {
      const res = await get(client, `http://mixed.test:${namedPort}/mixed`);
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(tripwire.connections, 0);
    } finally {
      client.close();
    }
  });

  it('IP literals are checked without a lookup, however they are written', async () => {
    const { client, resolve } = clientWith({});
    try {
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/', 'http://169.254.43518/', 'http://[fe80::1]/']) {
        await refused(get(client, url, AddressRules.PUBLIC_AND_PRIVATE), 'link-local');
      }
      for (const url of [`http://127.0.0.3:${tripwire.port}/`, `http://2130706435:${tripwire.port}/`, `http://0x7f.0.0.3:${tripwire.port}/`, `http://[::ffff:127.0.0.3]:${tripwire.port}/`]) {
        await refused(get(client, url), 'loopback');
      }
      await refused(get(client, `http://0.0.0.0:${tripwire.port}/`, AddressRules.PUBLIC_AND_PRIVATE), 'unspecified');
      assert.deepEqual(resolve.lookups, []);
      assert.equal(tripwire.connections, 0);
      const res = await get(client, `http://2130706434:${namedPort}/decimal`);
      assert.equal(res.status, 200, 'the named address, written as a number, is still the named address');
      await res.text();
    } finally {
      client.close();
    }
  });

  it('a connection kept alive for one set of rules never carries a request under another', async () => {
    const { client } = clientWith({ 'internal.test': '127.0.0.2' });
    try {
      const ok = await get(client, `http://internal.test:${namedPort}/kept-alive`);
      await ok.text();
      await refused(get(client, `http://internal.test:${namedPort}/reused`, AddressRules.PUBLIC_ONLY), 'loopback');
      assert.deepEqual(seen, ['/kept-alive']);
    } finally {
      client.close();
    }
  });

  it('only http and https are spoken', async () => {
    const { client } = clientWith({});
    try {
      for (const url of ['file:///etc/passwd', 'gopher://127.0.0.2:70/', 'ftp://127.0.0.2/', 'data:text/plain,hi']) await refused(get(client, url), 'scheme');
    } finally {
      client.close();
    }
  });
});

describe('Outbound client: answers', () => {
  it('no redirect is followed: the 3xx comes back with its Location, and the target sees nothing', async () => {
    const { client } = clientWith({ 'internal.test': '127.0.0.2' });
    try {
      const res = await get(client, `http://internal.test:${namedPort}/redirect`);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), `${tripwire.url}/secret`);
      await res.body?.cancel();
      assert.equal(tripwire.connections, 0);
    } finally {
      client.close();
    }
  });

  it('a gzip body is decompressed', async () => {
    const { client } = clientWith({ 'internal.test': '127.0.0.2' });
    try {
      const res = await get(client, `http://internal.test:${namedPort}/gzip`);
      assert.deepEqual(await res.json(), { compressed: true });
      assert.equal(res.headers.get('content-encoding'), null);
    } finally {
      client.close();
    }
  });

  it('a body over the bound errors while it is read, with no Content-Length to rely on', async () => {
    const { client } = clientWith({ 'internal.test': '127.0.0.2' });
    try {
      const res = await get(client, `http://internal.test:${namedPort}/big`, INTERNAL, 1000);
      await assert.rejects(res.text(), ResponseTooLarge);
    } finally {
      client.close();
    }
  });
});
