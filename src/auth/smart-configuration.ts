import type { AsymmetricJwsAlgorithm } from '../config.js';
import { OFFERED_SCOPES } from './smart-scopes.js';

/** Where the token endpoint is, below the service's base URL. */
export const TOKEN_PATH = '/auth/token';

/**
 * The SMART configuration (SMART App Launch 2.x "Conformance", served at
 * `.well-known/smart-configuration` below the FHIR base): Backend Services
 * only, so a token endpoint and no authorization endpoint, the
 * client_credentials grant, and clients authenticating with a JWT signed by
 * the key the clients file holds for them, in an algorithm JWT_ALGORITHMS accepts.
 */
export function smartConfiguration(baseUrl: string, algorithms: readonly AsymmetricJwsAlgorithm[]) {
  return {
    token_endpoint: `${baseUrl}${TOKEN_PATH}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...algorithms],
    scopes_supported: [...OFFERED_SCOPES],
    capabilities: ['client-confidential-asymmetric'],
  };
}
