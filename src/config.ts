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
  // Security (issue 4): README "Security".
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
  DATABASE_URL: z.string().min(1).optional(),
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
});

/** The names of every environment variable the service reads (the README's Settings table lists each). */
export const SETTING_NAMES: readonly string[] = Object.keys(Env.shape);

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
  /** postgres://… makes the JWT replay store shared through PostgreSQL. */
  readonly databaseUrl?: string | undefined;
  /** redis://… makes the JWT replay store and the rate limit shared through Redis. */
  readonly redisUrl?: string | undefined;
  readonly redisKeyPrefix: string;
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
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) throw new Error('invalid configuration: set both TLS_CERT_FILE and TLS_KEY_FILE, or neither');
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) throw new Error('invalid configuration: HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS');
  return {
    port: e.PORT,
    // Open development mode stays on loopback; with trusted clients configured the service is meant to be reached (README "Security").
    host: e.HOST ?? (e.CDS_CLIENTS_FILE ? '0.0.0.0' : '127.0.0.1'),
    publicBaseUrl: e.PUBLIC_BASE_URL,
    bodyLimit: e.BODY_LIMIT,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    policyDir: e.POLICY_DIR,
    discoveryFile: e.DISCOVERY_FILE,
    auth: {
      clientsFile: e.CDS_CLIENTS_FILE,
      algorithms: e.JWT_ALGORITHMS,
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS,
      maxAgeSeconds: e.JWT_MAX_AGE_SECONDS,
      jwksCacheSeconds: e.JWKS_CACHE_SECONDS,
      jwksCooldownSeconds: e.JWKS_COOLDOWN_SECONDS,
      jwksTimeoutMs: e.JWKS_TIMEOUT_MS,
      replayStore: e.JWT_REPLAY_STORE,
    },
    corsOrigins: e.CORS_ORIGINS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    // Off by default in open development mode, where every caller is the same anonymous client.
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE ?? (e.CDS_CLIENTS_FILE ? 3000 : 0),
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
  };
}

/** Express's `trust proxy` values: true/false, a hop count, or a comma list of addresses, subnets or names like `loopback`. */
function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
