import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { SETTING_NAMES } from '../../src/config.js';
import { fromRoot } from '../../src/paths.js';

const readme = readFileSync(fromRoot('README.md'), 'utf8');
const securityDoc = readFileSync(fromRoot('docs', 'security.md'), 'utf8');

describe('README and docs/security.md document the security settings', () => {
  it('every setting the service reads has a row in the Settings table', () => {
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    const missing = SETTING_NAMES.filter((name) => !rows.has(name));
    assert.deepEqual(missing, [], `settings without a README row: ${missing.join(', ')}`);
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

  it('the README links the security document', () => {
    assert.match(readme, /\[docs\/security\.md\]\(docs\/security\.md\)/);
  });
});
