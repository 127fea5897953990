import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillTemplate, RECORD_SOURCES, sourcesFor } from '../../src/fhir/record-sources.js';
import { testDiscovery } from '../support/test-app.js';

/** CDS Hooks 2.0 prefetch tokens: root-level context fields and the user* tokens; nothing else. */
const CDS_HOOKS_2_0_TOKEN = /^\{\{context\.(patientId|encounterId|userId)\}\}$|^\{\{user(Practitioner|PractitionerRole|Patient|RelatedPerson)Id\}\}$/;

describe('discovery.json advertises exactly the queries the service runs itself', () => {
  it('every service\'s prefetch templates equal record-sources.ts, key by key', () => {
    const expected = Object.fromEntries(RECORD_SOURCES.map((s) => [s.key, s.template]));
    for (const service of testDiscovery().document.services) assert.deepEqual(service.prefetch, expected, service.id);
  });

  it('the templates are relative FHIR reads or searches using only CDS Hooks 2.0 tokens', () => {
    for (const source of RECORD_SOURCES) {
      const tokens = source.template.match(/\{\{[^}]*\}\}/g) ?? [];
      assert.ok(tokens.length > 0, source.key);
      for (const token of tokens) assert.match(token, CDS_HOOKS_2_0_TOKEN, `${source.key}: ${token}`);
      const shape = source.kind === 'read' ? /^[A-Z][A-Za-z]+\/\{\{[^}]+\}\}$/ : /^[A-Z][A-Za-z]+\?[a-z_-]+=[^&]+(&[a-z_-]+=[^&]+)*$/;
      assert.match(source.template, shape, source.key);
      assert.ok(source.template.startsWith(`${source.resourceType}`), source.key);
    }
  });

  it('filled templates URL-encode the context values', () => {
    assert.equal(fillTemplate('Condition?patient={{context.patientId}}', { patientId: 'a&b=c/d' }), 'Condition?patient=a%26b%3Dc%2Fd');
  });

  it('the Encounter is asked for only when the context names one', () => {
    assert.ok(!sourcesFor({ patientId: 'p' }).some((s) => s.key === 'encounter'));
    assert.ok(sourcesFor({ patientId: 'p', encounterId: 'e' }).some((s) => s.key === 'encounter'));
  });
});
