import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillTemplate, recordSources, sourcesFor } from '../../src/fhir/record-sources.js';
import { testDiscovery } from '../support/test-app.js';

/** CDS Hooks 2.0 prefetch tokens: root-level context fields and the user* tokens; nothing else. */
const CDS_HOOKS_2_0_TOKEN = /^\{\{context\.(patientId|encounterId|userId)\}\}$|^\{\{user(Practitioner|PractitionerRole|Patient|RelatedPerson)Id\}\}$/;

describe('The service queries exactly what discovery.json asks EHRs to prefetch (one source)', () => {
  it("every service's record sources are its own prefetch templates, key by key", () => {
    const discovery = testDiscovery();
    for (const service of discovery.document.services) {
      const sources = discovery.sources.get(service.id)!;
      assert.deepEqual(Object.fromEntries(sources.map((s) => [s.key, s.template])), service.prefetch, service.id);
    }
  });

  it('each template is read for its resource type, read or search, and the context fields it needs', () => {
    const [patient, encounter, conditions] = recordSources({
      patient: 'Patient/{{context.patientId}}',
      encounter: 'Encounter/{{context.encounterId}}',
      conditions: 'Condition?patient={{context.patientId}}',
    });
    assert.deepEqual(patient, { key: 'patient', part: 'patient', resourceType: 'Patient', kind: 'read', template: 'Patient/{{context.patientId}}', needs: ['patientId'], supplementary: false });
    assert.equal(encounter!.kind, 'read');
    assert.deepEqual(encounter!.needs, ['encounterId']);
    assert.equal(conditions!.kind, 'search');
    assert.equal(conditions!.resourceType, 'Condition');
  });

  it('a discovery document naming a key the policy does not read, or a template the service cannot run, stops start-up', () => {
    assert.throws(() => recordSources({ allergies: 'AllergyIntolerance?patient={{context.patientId}}' }), /"allergies" is not a part of the record/);
    assert.throws(() => recordSources({ conditions: 'https://elsewhere.example/Condition?patient={{context.patientId}}' }), /must be a relative FHIR read/);
    assert.throws(() => recordSources({ conditions: 'Condition?patient={{context.userId}}' }), /only patientId and encounterId/);
  });

  it('the templates are relative FHIR reads or searches using only CDS Hooks 2.0 tokens', () => {
    for (const source of testDiscovery().sources.get('order-sign-crd')!) {
      const tokens = source.template.match(/\{\{[^}]*\}\}/g) ?? [];
      assert.ok(tokens.length > 0, source.key);
      for (const token of tokens) assert.match(token, CDS_HOOKS_2_0_TOKEN, `${source.key}: ${token}`);
      const shape = source.kind === 'read' ? /^[A-Z][A-Za-z]+\/\{\{[^}]+\}\}$/ : /^[A-Z][A-Za-z]+\?[a-z_-]+=[^&]+(&[a-z_-]+=[^&]+)*$/;
      assert.match(source.template, shape, source.key);
    }
  });

  it('filled templates URL-encode the context values', () => {
    assert.equal(fillTemplate('Condition?patient={{context.patientId}}', { patientId: 'a&b=c/d' }), 'Condition?patient=a%26b%3Dc%2Fd');
  });

  it('the Encounter is asked for only when the context names one', () => {
    const sources = testDiscovery().sources.get('order-sign-crd')!;
    assert.ok(!sourcesFor(sources, { patientId: 'p' }).some((s) => s.key === 'encounter'));
    assert.ok(sourcesFor(sources, { patientId: 'p', encounterId: 'e' }).some((s) => s.key === 'encounter'));
  });
});
