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
  // CRD found-2: answer within 5 s; the FHIR queries of one call get well under that.
  FHIR_DEADLINE_MS: z.coerce.number().int().min(100).max(30_000).default(3000),
  FHIR_QUERY_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2000),
  FHIR_MAX_PAGES: z.coerce.number().int().min(1).max(1000).default(10),
  FHIR_MAX_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  FHIR_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  FHIR_ALLOW_HTTP: z.stringbool().default(false),
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(u) || /^(postgres|postgresql|sqlite):\/\//i.test(u), 'postgres://..., sqlite:<file>, a file path or :memory:')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL schema name')
    .default('public'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  SQLITE_SYNCHRONOUS: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['NORMAL', 'FULL']))
    .default('NORMAL'),
  RETENTION_DAYS: z.coerce.number().int().min(1).default(3650),
  PREVIEW_PAGE: z.enum(['on', 'off']).default('on'),
});

/** How the service queries the EHR's FHIR server for what prefetch lacks (src/fhir/fhir-record-fetcher.ts). */
export interface FhirQueryConfig {
  /** One deadline for all FHIR queries of a hook call, counted from the start of the call. */
  readonly deadlineMs: number;
  /** Longest wait for one HTTP request (each page of a search is one). */
  readonly queryTimeoutMs: number;
  /** Most pages read for one search, the first included. */
  readonly maxPages: number;
  /** Most entries kept for one search. */
  readonly maxEntries: number;
  /** Largest response body accepted; larger ones are refused. */
  readonly maxResponseBytes: number;
  /** Allow a plain-http fhirServer (local testing only; CDS Hooks: https for production data). */
  readonly allowHttp: boolean;
}

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
  readonly fhirQueries: FhirQueryConfig;
  /** Where decisions and feedback are kept (src/store). */
  readonly database: DatabaseSettings;
  /** Records older than this many days are purged. */
  readonly retentionDays: number;
  /** Serve the card preview page at / (issue 7). */
  readonly previewPage: boolean;
}

/**
 * The decision store: PostgreSQL when DATABASE_URL is a postgres:// URL (a
 * fleet shares it), otherwise an SQLite file (the default needs no setup).
 */
export type DatabaseSettings =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: 'NORMAL' | 'FULL' }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly poolMax: number };

export const DEFAULT_SQLITE_PATH = fromRoot('data', 'tecartus-cds.sqlite');

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
    fhirQueries: {
      deadlineMs: e.FHIR_DEADLINE_MS,
      queryTimeoutMs: e.FHIR_QUERY_TIMEOUT_MS,
      maxPages: e.FHIR_MAX_PAGES,
      maxEntries: e.FHIR_MAX_ENTRIES,
      maxResponseBytes: e.FHIR_MAX_RESPONSE_BYTES,
      allowHttp: e.FHIR_ALLOW_HTTP,
    },
    database: databaseSettings(e),
    retentionDays: e.RETENTION_DAYS,
    previewPage: e.PREVIEW_PAGE === 'on',
  };
}

function databaseSettings(e: z.infer<typeof Env>): DatabaseSettings {
  const url = e.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url, schema: e.DATABASE_SCHEMA, poolMax: e.DATABASE_POOL_MAX };
  // `sqlite:<path>` or a bare path; `:memory:` keeps nothing (tests).
  const path = url?.replace(/^sqlite:(\/\/)?/i, '') || DEFAULT_SQLITE_PATH;
  return { kind: 'sqlite', path, synchronous: e.SQLITE_SYNCHRONOUS };
}
