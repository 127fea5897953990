import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import request from 'supertest';
import { fromRoot } from '../../src/paths.js';
import { ORDER_SELECT, ORDER_SIGN } from '../support/hook-requests.js';
import { createTestApp } from '../support/test-app.js';

const { app } = createTestApp();

interface ConfigurationOption {
  code: string;
  type: string;
  name: string;
  description: string;
  default: unknown;
}
interface Service {
  hook: string;
  id: string;
  title?: string;
  description?: string;
  prefetch?: Record<string, string>;
  extension?: Record<string, unknown>;
}

async function discoveryDocument(): Promise<{ services: Service[] }> {
  const res = await request(app).get('/cds-services').expect(200);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  return res.body as { services: Service[] };
}

/** Every card topic the policy's findings use, plus the Instructions (coverage-info) and External Reference (guideline) cards. */
function cardTopicsTheServiceReturns(): Set<string> {
  const policy = JSON.parse(readFileSync(fromRoot('policies', 'tecartus-carepartners-ct', 'policy.json'), 'utf8')) as { findings: Record<string, { cardTopic: string }> };
  return new Set([...Object.values(policy.findings).map((f) => f.cardTopic), 'coverage-info', 'guideline']);
}

describe('Discovery: GET /cds-services (CDS Hooks 2.0 discovery, CRD found-*/dev-*)', () => {
  it('serves discovery.json as it is on disk', async () => {
    const onDisk = JSON.parse(readFileSync(fromRoot('discovery.json'), 'utf8')) as unknown;
    assert.deepEqual(await discoveryDocument(), onDisk);
  });

  it('lists the order-sign and order-select services, each with hook, id, title and description', async () => {
    const { services } = await discoveryDocument();
    const byId = new Map(services.map((s) => [s.id, s]));
    assert.equal(byId.get(ORDER_SIGN)?.hook, 'order-sign');
    assert.equal(byId.get(ORDER_SELECT)?.hook, 'order-select');
    for (const service of services) {
      assert.ok(typeof service.title === 'string' && service.title.length > 0, `${service.id} has a title`);
      assert.ok(typeof service.description === 'string' && service.description.length > 0, `${service.id} has a description`);
      assert.match(service.description, /Tecartus/, `${service.id} says what it is for`);
    }
    assert.equal(new Set(services.map((s) => s.id)).size, services.length, 'service ids are unique');
  });

  it('prefetch asks for everything the decision reads (Patient, Coverage, Encounter, Condition, Procedure, medication, service order, observation and encounter history)', async () => {
    for (const service of (await discoveryDocument()).services) {
      const asked = new Set(Object.values(service.prefetch ?? {}).map((t) => /^[A-Za-z]+/.exec(t)![0]));
      for (const type of ['Patient', 'Coverage', 'Encounter', 'Condition', 'Procedure', 'MedicationRequest', 'MedicationAdministration', 'MedicationStatement', 'ServiceRequest', 'Observation']) {
        assert.ok(asked.has(type), `${service.id}: ${type}`);
      }
    }
  });

  it('prefetch templates use only CDS Hooks 2.0 tokens: no FHIRPath, no %, no resolve()', async () => {
    for (const service of (await discoveryDocument()).services) {
      for (const [key, template] of Object.entries(service.prefetch ?? {})) {
        const tokens = template.match(/\{\{[^}]*\}\}/g) ?? [];
        assert.ok(tokens.length > 0, `${service.id} ${key} is parameterised by the context`);
        for (const token of tokens) assert.ok(['{{context.patientId}}', '{{context.encounterId}}'].includes(token), `${service.id} ${key}: ${token} is not a CDS Hooks 2.0 token`);
        assert.doesNotMatch(template, /%/, `${service.id} ${key}: no FHIRPath %variables`);
        assert.doesNotMatch(template, /resolve\(\)/, `${service.id} ${key}: no .resolve()`);
        assert.doesNotMatch(template, /\{\{(?!context\.)/, `${service.id} ${key}: only context tokens`);
      }
    }
  });

  it('davinci-crd.version lists CRD 2.0 and 2.2 (dev-1, dev-2)', async () => {
    for (const service of (await discoveryDocument()).services) assert.deepEqual([...(service.extension?.['davinci-crd.version'] as string[])].sort(), ['2.0', '2.2'], service.id);
  });

  describe('davinci-crd.configuration-options', () => {
    it('every option has code, type, name, description and a default of its type (dev-4)', async () => {
      for (const service of (await discoveryDocument()).services) {
        const options = service.extension?.['davinci-crd.configuration-options'] as ConfigurationOption[];
        assert.ok(Array.isArray(options) && options.length > 0, service.id);
        for (const o of options) {
          assert.deepEqual(Object.keys(o).sort(), ['code', 'default', 'description', 'name', 'type'], `${service.id} ${o.code}`);
          for (const field of ['code', 'name', 'description'] as const) assert.ok(typeof o[field] === 'string' && o[field].length > 0, `${service.id} ${o.code}.${field}`);
          assert.ok(['boolean', 'integer'].includes(o.type), `${service.id} ${o.code}.type`);
          if (o.type === 'boolean') assert.equal(typeof o.default, 'boolean', `${service.id} ${o.code}.default`);
          else assert.ok(Number.isInteger(o.default), `${service.id} ${o.code}.default`);
        }
      }
    });

    it('one boolean per card type the service returns (dev-5), plus coverage-info and an integer max-cards', async () => {
      const topics = cardTopicsTheServiceReturns();
      for (const service of (await discoveryDocument()).services) {
        const options = service.extension?.['davinci-crd.configuration-options'] as ConfigurationOption[];
        const booleans = new Set(options.filter((o) => o.type === 'boolean').map((o) => o.code));
        for (const topic of topics) assert.ok(booleans.has(topic), `${service.id} has a boolean option for card type ${topic}`);
        assert.ok(booleans.has('coverage-info'), `${service.id} coverage-info`);
        assert.equal(options.find((o) => o.code === 'max-cards')?.type, 'integer', `${service.id} max-cards is an integer`);
        const extra = [...booleans].filter((code) => !topics.has(code));
        assert.deepEqual(extra, [], `${service.id}: no option for a card type the service never returns`);
      }
    });

    it('codes are valid JSON property names and codes, names and descriptions are unique (dev-7, dev-8)', async () => {
      for (const service of (await discoveryDocument()).services) {
        const options = service.extension?.['davinci-crd.configuration-options'] as ConfigurationOption[];
        for (const field of ['code', 'name', 'description'] as const) {
          assert.equal(new Set(options.map((o) => o[field])).size, options.length, `${service.id}: ${field}s are unique`);
        }
        for (const o of options) assert.match(o.code, /^[A-Za-z][A-Za-z0-9_-]*$/, `${service.id} ${o.code}`);
      }
    });
  });
});
