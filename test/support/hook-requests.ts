import { randomUUID } from 'node:crypto';
import type { FhirResource } from 'fhir/r4.js';
import { buildTecartusOrder, PATIENT_ID } from './fhir-factories.js';
import { asPrefetch, eligibleMantleCellRecord, type TestRecord } from './patient-scenarios.js';

export const ORDER_SIGN = 'order-sign-crd';
export const ORDER_SELECT = 'order-select-crd';

export interface HookRequestOptions {
  hook?: 'order-sign' | 'order-select';
  orders?: FhirResource[];
  /** Extra non-order resources in draftOrders (e.g. Medication). */
  draftExtras?: FhirResource[];
  record?: TestRecord;
  /** Replaces the prefetch built from `record`. */
  prefetch?: Record<string, unknown>;
  /** Added to the prefetch (built from `record` or given), e.g. a `medications` key. */
  extraPrefetch?: Record<string, unknown>;
  selections?: string[];
  encounterId?: string;
  extension?: Record<string, unknown>;
  fhirServer?: string;
  accessToken?: string;
}

/** A CDS Hooks 2.0 order-sign (or order-select) request, with a fresh hookInstance. */
export function buildHookRequest(options: HookRequestOptions = {}): Record<string, unknown> {
  const hook = options.hook ?? 'order-sign';
  const orders = options.orders ?? [buildTecartusOrder()];
  const record = options.record ?? eligibleMantleCellRecord();
  const context: Record<string, unknown> = {
    userId: 'Practitioner/prac-1',
    patientId: PATIENT_ID,
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [...orders, ...(options.draftExtras ?? [])].map((resource) => ({ resource })) },
  };
  if (options.encounterId) context['encounterId'] = options.encounterId;
  if (hook === 'order-select') context['selections'] = options.selections ?? orders.map((o) => `${o.resourceType}/${o.id}`);
  const request: Record<string, unknown> = { hookInstance: randomUUID(), hook, context, prefetch: { ...(options.prefetch ?? asPrefetch(record)), ...options.extraPrefetch } };
  if (options.fhirServer) request['fhirServer'] = options.fhirServer;
  if (options.accessToken) {
    request['fhirAuthorization'] = { access_token: options.accessToken, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'tecartus-cds' };
  }
  if (options.extension) request['extension'] = options.extension;
  return request;
}
