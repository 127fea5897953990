import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fhirAccessFor, grantScopes, listedFhirCalls, OFFERED_SCOPES, scopesAllow } from '../../src/auth/smart-scopes.js';
import { loadConfig } from '../../src/config.js';
import type { DtrContent } from '../../src/dtr/dtr-content.js';
import { fhirRoutes } from '../../src/http/fhir-routes.js';
import { subscriptionRoutes } from '../../src/http/subscription-routes.js';
import type { PasNotifications } from '../../src/pas/subscriptions/pas-notifications.js';
import { createLogger } from '../../src/logger.js';
import type { QuestionnaireErrorStore } from '../../src/store/questionnaire-error-store.js';
import { testPolicy } from '../support/test-app.js';

/** Every route src/http/fhir-routes.ts and src/http/subscription-routes.ts serve, as method and path below /fhir (Express's `\\$` unescaped). */
function fhirRouteList(): { method: string; path: string }[] {
  const subscriptions = subscriptionRoutes({ config: loadConfig({}), notifications: { subscriptions: {} } as PasNotifications, clientOf: () => undefined });
  const router = fhirRoutes({
    config: loadConfig({}),
    logger: createLogger('silent'),
    packages: { content: {} as DtrContent, policy: testPolicy(), reader: {} as never, findAssertion: async () => undefined, now: () => new Date() },
    errors: {} as QuestionnaireErrorStore,
    clientOf: () => undefined,
  });
  type Routes = { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  return [router, subscriptions].flatMap((r) => (r as unknown as Routes).stack).flatMap((layer) =>
    layer.route ? Object.keys(layer.route.methods).map((m) => ({ method: m.toUpperCase(), path: layer.route!.path.replace(/^\/fhir\//, '').replaceAll('\\$', '$') })) : [],
  );
}

describe('The FHIR API access table (src/auth/smart-scopes.ts)', () => {
  it('lists every route the FHIR API serves, so none is open or closed by accident', () => {
    const routes = fhirRouteList();
    assert.ok(routes.length >= 10);
    const unlisted = routes.filter((r) => fhirAccessFor(r.method, `/${r.path}`).kind === 'unoffered');
    assert.deepEqual(unlisted, [], 'routes missing from the access table');
    const open = routes.filter((r) => fhirAccessFor(r.method, `/${r.path}`).kind === 'open').map((r) => r.path);
    assert.deepEqual(open, ['metadata'], 'only the CapabilityStatement is open');
  });

  it('every scope a listed call needs is one the token endpoint offers', () => {
    for (const call of listedFhirCalls()) {
      const access = fhirAccessFor(call.method, `/${call.path.replaceAll(':id', 'x')}`);
      if (access.kind !== 'scope') continue;
      assert.ok(scopesAllow(OFFERED_SCOPES, access.scope), `${call.method} ${call.path}`);
    }
  });

  it('calls are matched as Express routes them: any case, a trailing slash, HEAD as GET; an id is one segment', () => {
    assert.deepEqual(fhirAccessFor('POST', '/questionnaire/$QUESTIONNAIRE-PACKAGE/'), { kind: 'scope', scope: { resourceType: 'Questionnaire', permission: 'r' } });
    assert.deepEqual(fhirAccessFor('HEAD', '/metadata'), { kind: 'open' });
    assert.deepEqual(fhirAccessFor('GET', '/ValueSet/vs-1/$expand'), { kind: 'scope', scope: { resourceType: 'ValueSet', permission: 'r' } });
    assert.deepEqual(fhirAccessFor('GET', '/Questionnaire/a/b'), { kind: 'unoffered' });
    assert.deepEqual(fhirAccessFor('GET', '/Questionnaire//'), { kind: 'unoffered' });
    assert.deepEqual(fhirAccessFor('POST', '/metadata'), { kind: 'unoffered' });
    assert.deepEqual(fhirAccessFor('GET', '/'), { kind: 'unoffered' });
  });

  it('PAS (issue 13): Claim/$submit needs system/Claim.c, $inquire system/Claim.r, Subscription its own interaction', () => {
    assert.deepEqual(fhirAccessFor('POST', '/Claim/$submit'), { kind: 'scope', scope: { resourceType: 'Claim', permission: 'c' } });
    assert.deepEqual(fhirAccessFor('POST', '/Claim/$inquire'), { kind: 'scope', scope: { resourceType: 'Claim', permission: 'r' } });
    assert.deepEqual(fhirAccessFor('DELETE', '/Subscription/s-1'), { kind: 'scope', scope: { resourceType: 'Subscription', permission: 'd' } });
    for (const [method, path] of [['GET', '/Subscription/$status'], ['POST', '/Subscription/$status'], ['GET', '/Subscription/s-1/$status'], ['POST', '/Subscription/s-1/$status']]) {
      assert.deepEqual(fhirAccessFor(method!, path!), { kind: 'scope', scope: { resourceType: 'Subscription', permission: 'r' } }, `${method} ${path}`);
    }
  });
});

describe('Granting scopes', () => {
  it('a token granted system/Claim.c may submit but not inquire', () => {
    const grant = grantScopes('system/Claim.c');
    assert.ok('granted' in grant);
    assert.ok(scopesAllow(grant.granted, { resourceType: 'Claim', permission: 'c' }));
    assert.ok(!scopesAllow(grant.granted, { resourceType: 'Claim', permission: 'r' }));
  });

  it('repeated and overlapping scopes are granted once', () => {
    assert.deepEqual(grantScopes('system/ValueSet.r  system/ValueSet.rs system/*.read'), {
      granted: ['system/Questionnaire.rs', 'system/Library.rs', 'system/ValueSet.rs', 'system/QuestionnaireResponse.rs', 'system/Claim.rs', 'system/Subscription.rs'],
    });
  });

  it('letters out of SMART v2 order are not a scope', () => {
    assert.ok('refused' in grantScopes('system/Questionnaire.sr'));
  });
});
