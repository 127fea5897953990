import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { recordSources, type RecordSource } from '../fhir/record-sources.js';
import type { CdsDiscoveryResponse } from './types.js';

const ConfigurationOption = z.object({
  code: z.string().regex(/^[A-Za-z][\w-]*$/),
  type: z.enum(['boolean', 'integer']),
  name: z.string().min(1),
  description: z.string().min(1),
  default: z.union([z.boolean(), z.number().int()]),
});
export type ConfigurationOption = z.infer<typeof ConfigurationOption>;

const Service = z.object({
  hook: z.enum(['order-sign', 'order-select']),
  id: z.string().regex(/^[A-Za-z0-9][\w-]*$/),
  title: z.string().min(1),
  description: z.string().min(1),
  usageRequirements: z.string().optional(),
  prefetch: z.record(z.string(), z.string()),
  extension: z.looseObject({
    'davinci-crd.version': z.array(z.enum(['2.0', '2.2'])).min(1),
    'davinci-crd.configuration-options': z.array(ConfigurationOption).min(1),
  }),
});
const DiscoveryDocument = z.object({ services: z.array(Service).min(1) });

export type DiscoveryService = z.infer<typeof Service>;

/** The discovery document (discovery.json), checked once at start-up. */
export interface Discovery {
  /** Served as is at GET /cds-services. */
  readonly document: CdsDiscoveryResponse;
  readonly services: ReadonlyMap<string, DiscoveryService>;
  /** Each service's record sources, from its own prefetch templates: what it asks the EHR for is what it queries itself. */
  readonly sources: ReadonlyMap<string, readonly RecordSource[]>;
}

export function loadDiscovery(file: string): Discovery {
  const parsed = DiscoveryDocument.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`invalid discovery document ${file}: ${z.prettifyError(parsed.error)}`);
  const sources = new Map<string, RecordSource[]>();
  for (const s of parsed.data.services) {
    try {
      sources.set(s.id, recordSources(s.prefetch));
    } catch (error) {
      throw new Error(`invalid discovery document ${file}: service ${s.id}: ${(error as Error).message}`);
    }
  }
  return { document: parsed.data, services: new Map(parsed.data.services.map((s) => [s.id, s])), sources };
}

export function configurationOptions(service: DiscoveryService): readonly ConfigurationOption[] {
  return service.extension['davinci-crd.configuration-options'];
}
