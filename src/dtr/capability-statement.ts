import type { CapabilityStatement } from 'fhir/r4.js';
import { subscriptionCapability } from '../pas/subscriptions/subscription-capability.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';

/**
 * GET /fhir/metadata: what the payer's FHIR API offers (DTR 2.2 payer
 * service: $questionnaire-package, $log-questionnaire-errors and
 * ValueSet/$expand SHALL; $next-question, for adaptive forms, is not offered).
 */
export function capabilityStatement(policy: CompiledPolicy, baseUrl: string, software: { name: string; version: string }, at: string): CapabilityStatement {
  const DTR = 'http://hl7.org/fhir/us/davinci-dtr/OperationDefinition';
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: at,
    publisher: policy.definition.payer.name,
    kind: 'instance',
    instantiates: ['http://hl7.org/fhir/us/davinci-dtr/CapabilityStatement/dtr-payer-service|2.2.0'],
    software,
    implementation: { description: `${policy.definition.payer.name}: prior authorization documentation (Da Vinci DTR) for ${policy.definition.title}`, url: `${baseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Protected with SMART Backend Services (DTR spec-120): a bearer token from POST /auth/token; see /.well-known/smart-configuration.',
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: 'SMART Backend Services (client_credentials, private_key_jwt)',
        },
        resource: [
          {
            type: 'Questionnaire',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              { name: 'url', type: 'uri' },
              { name: 'version', type: 'token' },
            ],
            operation: [
              { name: 'questionnaire-package', definition: `${DTR}/questionnaire-package` },
              { name: 'log-questionnaire-errors', definition: `${DTR}/log-questionnaire-errors` },
            ],
          },
          { type: 'Library', interaction: [{ code: 'read' }] },
          { type: 'ValueSet', interaction: [{ code: 'read' }], operation: [{ name: 'expand', definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand' }] },
          subscriptionCapability(),
        ],
      },
    ],
  };
}
