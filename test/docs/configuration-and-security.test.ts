import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { SETTING_NAMES } from '../../src/config.js';

const root = new URL('../../', import.meta.url);
const configurationDoc = readFileSync(new URL('docs/configuration.md', root), 'utf8');
const securityDoc = readFileSync(new URL('docs/security.md', root), 'utf8');
const readme = readFileSync(new URL('README.md', root), 'utf8');

describe('docs/configuration.md documents every setting, and docs/security.md the clients file', () => {
  const rows = [...configurationDoc.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);

  it('every setting the service reads has a row in the settings table of docs/configuration.md', () => {
    const documented = new Set(rows);
    const missing = SETTING_NAMES.filter((name) => !documented.has(name));
    assert.deepEqual(missing, [], `settings without a row in docs/configuration.md: ${missing.join(', ')}`);
  });

  it('every row of the settings table is a setting the service reads, listed once', () => {
    const read = new Set(SETTING_NAMES);
    assert.deepEqual(
      rows.filter((name) => !read.has(name)),
      [],
      'rows for settings the service does not read',
    );
    assert.deepEqual(
      rows.filter((name, i) => rows.indexOf(name) !== i),
      [],
      'settings with more than one row',
    );
  });

  it('the example clients file in docs/security.md is a valid clients file, showing each key source and each kind of fhirServers entry', () => {
    const section = securityDoc.slice(securityDoc.indexOf('## The clients file'));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    assert.ok(json, 'an example clients file');
    const clients = [...parseTrustedClients(JSON.parse(json), 'docs/security.md example').values()];
    assert.equal(clients.length, 3);
    assert.ok(clients.some((c) => c.jwks) && clients.some((c) => c.jwksUrl) && clients.some((c) => c.jku.length > 0));
    const servers = clients.flatMap((c) => c.fhirServers ?? []);
    assert.ok(servers.some((s) => s.addressRules.key.startsWith('named:')), 'an entry naming private addresses');
    assert.ok(clients.some((c) => c.fhirServers?.length === 0), 'a prefetch-only client');
    assert.ok(clients.every((c) => c.fhirServers !== undefined), 'no client left unrestricted in the example');
  });

  it('the README links the security and configuration documents', () => {
    assert.match(readme, /\]\(docs\/security\.md\)/);
    assert.match(readme, /\]\(docs\/configuration\.md\)/);
  });
});
