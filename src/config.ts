import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { fromRoot } from './paths.js';

/** CDS Hooks 2.0: clients sign with an asymmetric algorithm (ES384 and RS384 recommended), never `none` or HMAC. */
export const ASYMMETRIC_JWS_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'] as const;
export type AsymmetricJwsAlgorithm = (typeof ASYMMETRIC_JWS_ALGORITHMS)[number];

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
  // Issue 14: production refuses clients without a fhirServers list unless this says so deliberately.
  FHIR_ORIGINS_UNRESTRICTED: z.stringbool().default(false),
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
  // Security (issue 4): docs/security.md.
  CDS_CLIENTS_FILE: z.string().min(1).optional(),
  JWT_ALGORITHMS: z
    .string()
    .default('ES384,RS384')
    .transform((s) => s.split(',').map((a) => a.trim()).filter((a) => a !== ''))
    .pipe(z.array(z.enum(ASYMMETRIC_JWS_ALGORITHMS, { error: `must list asymmetric algorithms only (${ASYMMETRIC_JWS_ALGORITHMS.join(', ')}); never none or HMAC` })).min(1)),
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(60),
  JWT_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86400).default(3600),
  JWKS_CACHE_SECONDS: z.coerce.number().int().min(0).default(600),
  JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).default(30),
  JWKS_TIMEOUT_MS: z.coerce.number().int().min(1).default(3000),
  JWT_REPLAY_STORE: z.enum(['auto', 'memory', 'postgres', 'redis']).default('auto'),
  // SMART Backend Services: access tokens "SHALL be short-lived; the expires_in value SHOULD NOT exceed 300".
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_KEY_PREFIX: z.string().default('tecartus-cds:'),
  CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((s, ctx) => {
      if (s.trim() === '*') return '*' as const;
      const origins = s.split(',').map((o) => o.trim()).filter((o) => o !== '');
      for (const o of origins) {
        if (!/^https?:\/\/[^/]+$/.test(o)) ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin like https://ehr.example.org (no path, no trailing slash)` });
      }
      return origins;
    }),
  TRUST_PROXY: z.string().default('false'),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).optional(),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(30000),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(10000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10000),
  // The reviewer's page (/review, issue 13): docs/pas.md.
  REVIEWERS_FILE: z.string().min(1).optional(),
  REVIEW_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  REVIEW_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(12),
  // PAS subscription notifications (docs/pas.md "Notifications").
  PAS_NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(15),
  PAS_NOTIFICATION_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(10_000),
  PAS_NOTIFICATION_RETRY_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  PAS_NOTIFICATION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  PAS_NOTIFICATION_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(2_000),
  WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)], { error: 'must be a whole number from 1 to 64, or auto' }).default(1),
});

/** The names of every environment variable the service reads (docs/configuration.md lists each). */
export const SETTING_NAMES: readonly string[] = Object.keys(Env.shape);

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
  /** Let NODE_ENV=production start although some trusted client has no fhirServers list (it may then name any public https server). */
  readonly originsUnrestricted: boolean;
}

/** How PAS subscription notifications are sent and retried (src/pas/subscriptions/notification-delivery.ts). */
export interface NotificationConfig {
  /** Attempts at one event before its subscription is put in error (a handshake gets one). */
  readonly maxAttempts: number;
  /** The wait before the second attempt; each later wait doubles (with jitter), up to retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Longest wait for a subscriber endpoint's answer. */
  readonly timeoutMs: number;
  /** How often the outbox is looked at for rows no local event announced (other instances' rows, retries coming due). */
  readonly pollMs: number;
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
  /** JWT authentication of CDS clients (CDS Hooks 2.0 "Trusting CDS Clients"). */
  readonly auth: AuthConfig;
  /** Origins allowed to call from a browser: any (`*`, no credentials) or a list. */
  readonly corsOrigins: '*' | readonly string[];
  /** Express `trust proxy`: false, true, a hop count, or addresses/subnets. */
  readonly trustProxy: boolean | number | string;
  /** Serve HTTPS only (TLS 1.2 or later) with these PEM files. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Hook, feedback and look-up calls allowed per client (JWT iss) per minute; 0 = no limit. */
  readonly rateLimitPerMinute: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** How long a SIGTERM waits for in-flight requests before closing their connections. */
  readonly shutdownTimeoutMs: number;
  /** redis://… makes the JWT replay store and the rate limit shared through Redis. */
  readonly redisUrl?: string | undefined;
  readonly redisKeyPrefix: string;
  /** Processes serving on the one port (node:cluster, src/operations/workers.ts); 1 = this process serves. */
  readonly workers: number;
  /** The reviewer's page for the plan's UM staff (/review); off without a reviewers file. */
  readonly review: ReviewConfig;
  readonly pasNotifications: NotificationConfig;
}

export interface ReviewConfig {
  /** The accounts (JSON: username, role, scrypt passwordHash). Without it /review is not served. */
  readonly reviewersFile?: string | undefined;
  /** A session unused this long ends. */
  readonly sessionIdleMinutes: number;
  /** No session lasts longer than this from sign-in. */
  readonly sessionMaxHours: number;
}

export interface AuthConfig {
  /** The trusted clients (JSON). Without it the service runs in open development mode. */
  readonly clientsFile?: string | undefined;
  readonly algorithms: readonly AsymmetricJwsAlgorithm[];
  readonly clockSkewSeconds: number;
  /** Tokens older than this (by iat) are refused; it also bounds how long a jti is remembered. */
  readonly maxAgeSeconds: number;
  readonly jwksCacheSeconds: number;
  /** Least time between two fetches of one JWKS URL when a token names an unknown kid. */
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly replayStore: 'auto' | 'memory' | 'postgres' | 'redis';
  /** Lifetime of the SMART access tokens to the FHIR API (expires_in). */
  readonly accessTokenTtlSeconds: number;
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
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) throw new Error('invalid configuration: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) throw new Error('invalid configuration: HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS');
  if (e.JWT_REPLAY_STORE === 'redis' && !e.REDIS_URL) throw new Error('invalid configuration: JWT_REPLAY_STORE=redis needs REDIS_URL');
  if (e.JWT_REPLAY_STORE === 'postgres' && databaseSettings(e).kind !== 'postgres') throw new Error('invalid configuration: JWT_REPLAY_STORE=postgres needs DATABASE_URL=postgres://…');
  return {
    port: e.PORT,
    // Open development mode stays on loopback; with trusted clients configured the service is meant to be reached (docs/security.md).
    host: e.HOST ?? (e.CDS_CLIENTS_FILE ? '0.0.0.0' : '127.0.0.1'),
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
      originsUnrestricted: e.FHIR_ORIGINS_UNRESTRICTED,
    },
    database: databaseSettings(e),
    retentionDays: e.RETENTION_DAYS,
    previewPage: e.PREVIEW_PAGE === 'on',
    auth: {
      clientsFile: e.CDS_CLIENTS_FILE,
      algorithms: e.JWT_ALGORITHMS,
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS,
      maxAgeSeconds: e.JWT_MAX_AGE_SECONDS,
      jwksCacheSeconds: e.JWKS_CACHE_SECONDS,
      jwksCooldownSeconds: e.JWKS_COOLDOWN_SECONDS,
      jwksTimeoutMs: e.JWKS_TIMEOUT_MS,
      replayStore: e.JWT_REPLAY_STORE,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    },
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    // Off by default in open development mode, where every caller is the same anonymous client.
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE ?? (e.CDS_CLIENTS_FILE ? 3000 : 0),
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    workers: e.WORKERS === 'auto' ? availableParallelism() : e.WORKERS,
    review: { reviewersFile: e.REVIEWERS_FILE, sessionIdleMinutes: e.REVIEW_SESSION_IDLE_MINUTES, sessionMaxHours: e.REVIEW_SESSION_MAX_HOURS },
    pasNotifications: {
      maxAttempts: e.PAS_NOTIFICATION_MAX_ATTEMPTS,
      retryBaseMs: e.PAS_NOTIFICATION_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.PAS_NOTIFICATION_RETRY_MAX_MS, e.PAS_NOTIFICATION_RETRY_BASE_MS),
      timeoutMs: e.PAS_NOTIFICATION_TIMEOUT_MS,
      pollMs: e.PAS_NOTIFICATION_POLL_MS,
    },
  };
}

function databaseSettings(e: z.infer<typeof Env>): DatabaseSettings {
  const url = e.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url, schema: e.DATABASE_SCHEMA, poolMax: e.DATABASE_POOL_MAX };
  // `sqlite:<path>` or a bare path; `:memory:` keeps nothing (tests).
  const path = url?.replace(/^sqlite:(\/\/)?/i, '') || DEFAULT_SQLITE_PATH;
  return { kind: 'sqlite', path, synchronous: e.SQLITE_SYNCHRONOUS };
}

/** Express's `trust proxy` values: true/false, a hop count, or a comma list of addresses, subnets or names like `loopback`. */
function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
