import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseTrustedClients } from '../../src/auth/trusted-clients.js';
import { SETTING_NAMES } from '../../src/config.js';
import { fromRoot } from '../../src/paths.js';

const readme = readFileSync(fromRoot('README.md'), 'utf8');

describe('README documents the security settings', () => {
  it('every setting the service reads has a row in the Settings table', () => {
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    const missing = SETTING_NAMES.filter((name) => !rows.has(name));
    assert.deepEqual(missing, [], `settings without a README row: ${missing.join(', ')}`);
  });

  it('the example clients file in the Security section is a valid clients file', () => {
    const section = readme.slice(readme.indexOf('### The clients file'));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    assert.ok(json, 'an example clients file');
    const clients = parseTrustedClients(JSON.parse(json), 'README example');
    assert.equal(clients.size, 3);
    assert.ok([...clients.values()].some((c) => c.jwks) && [...clients.values()].some((c) => c.jwksUrl) && [...clients.values()].some((c) => c.jku.length > 0));
  });
});
