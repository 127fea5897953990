import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addressKind, AddressRules, rangeProblem } from '../../src/net/address-rules.js';

/** Issue 14, "address rules": what each address is, and which rules let a connection to it through. */

describe('Address kinds', () => {
  const table: [string, ReturnType<typeof addressKind>][] = [
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    // The same metadata address written inside IPv6: mapped, NAT64, 6to4.
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['ff02::1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['198.18.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ];
  for (const [address, kind] of table) {
    it(`${address} is ${kind}`, () => assert.equal(addressKind(address), kind));
  }

  it('what is not an IP address has no kind', () => {
    for (const text of ['metadata.google.internal', '', '169.254.169.254.nip.io', '0x7f.1', '[::1]']) assert.equal(addressKind(text), undefined, text);
  });
});

describe('Address rules', () => {
  const named = AddressRules.naming(['10.20.0.0/16', '127.0.0.2']);

  it('link-local, cloud metadata, unspecified and reserved addresses are refused by every rule', () => {
    for (const rules of [AddressRules.PUBLIC_ONLY, AddressRules.PUBLIC_AND_PRIVATE, named]) {
      for (const address of ['169.254.169.254', '::ffff:169.254.169.254', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '224.0.0.1']) {
        assert.ok(rules.refusal(address), `${rules.key} let ${address} through`);
      }
    }
  });

  it('any address in 169.254.0.0/16, however written, is refused even by the most open rules', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (c, d) => {
        const hex = ((c << 8) | d).toString(16);
        for (const written of [`169.254.${c}.${d}`, `::ffff:169.254.${c}.${d}`, `::ffff:a9fe:${hex}`, `64:ff9b::a9fe:${hex}`, `2002:a9fe:${hex}::`]) {
          assert.equal(AddressRules.PUBLIC_AND_PRIVATE.refusal(written)?.kind, 'link-local', written);
        }
      }),
    );
  });

  it('public addresses pass every rule', () => {
    for (const rules of [AddressRules.PUBLIC_ONLY, AddressRules.PUBLIC_AND_PRIVATE, named]) assert.equal(rules.refusal('93.184.215.14'), undefined);
  });

  it('loopback and private addresses pass only where named (or for the operator\'s own URLs and open development mode)', () => {
    assert.equal(AddressRules.PUBLIC_ONLY.refusal('10.20.1.1')?.kind, 'private');
    assert.equal(AddressRules.PUBLIC_ONLY.refusal('127.0.0.2')?.kind, 'loopback');
    assert.equal(named.refusal('10.20.1.1'), undefined);
    assert.equal(named.refusal('::ffff:10.20.1.1'), undefined);
    assert.equal(named.refusal('127.0.0.2'), undefined);
    assert.equal(named.refusal('10.21.0.1')?.kind, 'private');
    assert.equal(named.refusal('127.0.0.1')?.kind, 'loopback');
    assert.equal(AddressRules.PUBLIC_AND_PRIVATE.refusal('10.21.0.1'), undefined);
    assert.equal(AddressRules.PUBLIC_AND_PRIVATE.refusal('::1'), undefined);
  });

  it('rules naming the same ranges share a key (connections are pooled per key); different ranges do not', () => {
    assert.equal(AddressRules.naming(['127.0.0.2', '10.20.0.0/16']).key, named.key);
    assert.notEqual(AddressRules.naming(['10.20.0.0/16']).key, named.key);
    assert.notEqual(named.key, AddressRules.PUBLIC_ONLY.key);
  });

  it('only loopback and private ranges can be named', () => {
    assert.equal(rangeProblem('10.20.0.0/16'), undefined);
    assert.equal(rangeProblem('fd00::/8'), undefined);
    assert.equal(rangeProblem('127.0.0.2'), undefined);
    assert.match(rangeProblem('169.254.169.254')!, /link-local.*never connects there/);
    assert.match(rangeProblem('fe80::/10')!, /link-local/);
    assert.match(rangeProblem('8.8.8.8')!, /public address/);
    assert.match(rangeProblem('10.0.0.0/33')!, /not an IP address or a range/);
    assert.match(rangeProblem('intranet.example')!, /not an IP address or a range/);
  });
});
