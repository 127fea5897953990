import type { Express } from 'express';
import request from 'supertest';
import { PUBLIC_BASE_URL, signCdsJwt, type TestSigner, type TokenOptions } from './cds-clients.js';

/** SMART Backend Services clients in tests: the same key pairs as the CDS clients (one registration serves both). */

export const TOKEN_URL = `${PUBLIC_BASE_URL}/auth/token`;
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A SMART client assertion: header alg, kid, typ; claims iss = sub = the client_id, aud = the token URL, exp five minutes ahead, jti. */
export function signClientAssertion(signer: TestSigner, options: TokenOptions & { aud?: string | string[] } = {}): Promise<string> {
  return signCdsJwt(signer, options.aud ?? TOKEN_URL, { ...options, claims: { sub: signer.iss, ...options.claims } });
}

/** The token request's form fields (RFC 6749 section 4.4.2 with a private_key_jwt assertion). */
export function tokenForm(assertion: string, scope = 'system/Questionnaire.rs', extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, scope, ...extra };
}

export function postTokenRequest(app: Express, form: Record<string, string>): request.Test {
  return request(app).post('/auth/token').type('form').send(form);
}

/** An access token for `signer` with `scope`, from the app's own token endpoint. */
export async function accessTokenFor(app: Express, signer: TestSigner, scope = 'system/Questionnaire.rs'): Promise<string> {
  const res = await postTokenRequest(app, tokenForm(await signClientAssertion(signer), scope));
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return (res.body as { access_token: string }).access_token;
}
