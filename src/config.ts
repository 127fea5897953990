import { z } from 'zod';
import { fromRoot } from './paths.js';

/**
 * Service settings, from environment variables, validated once at start-up.
 * Every setting has a default that runs the service on one machine with
 * nothing installed (the open development mode).
 */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  PUBLIC_BASE_URL: z
    .url()
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'like 10mb')
    .default('10mb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
  POLICY_DIR: z.string().default(fromRoot('policies', 'tecartus-carepartners-ct')),
  DISCOVERY_FILE: z.string().default(fromRoot('discovery.json')),
  PREVIEW_PAGE: z.enum(['on', 'off']).default('on'),
});

export interface Config {
  readonly port: number;
  /** Interface to listen on; loopback unless set. */
  readonly host: string;
  /** This service's URL as clients see it (behind a proxy, the proxy's). Without it, derived from each request. */
  readonly publicBaseUrl?: string | undefined;
  readonly bodyLimit: string;
  readonly logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  readonly production: boolean;
  readonly policyDir: string;
  readonly discoveryFile: string;
  /** Serve the card preview page at / (issue 7). */
  readonly previewPage: boolean;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST ?? '127.0.0.1',
    publicBaseUrl: e.PUBLIC_BASE_URL,
    bodyLimit: e.BODY_LIMIT,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    policyDir: e.POLICY_DIR,
    discoveryFile: e.DISCOVERY_FILE,
    previewPage: e.PREVIEW_PAGE === 'on',
  };
}
