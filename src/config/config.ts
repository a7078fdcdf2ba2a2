import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { POSTGRES_POOL_MAX } from '../db/pool';

/**
 * Everything the gateway needs, validated once at start. createGateway() takes this object,
 * never process.env, so tests can build several gateways with different settings side by side.
 */
export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgresql'; url: string };

export interface GatewayConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  database: DatabaseConfig;
  /** Unset: in-process cache. */
  redisUrl: string | null;
  jwtSecret: string;
  /** True when no JWT_SECRET was given and a random one was made (development only). */
  jwtSecretGenerated: boolean;
  /** Fill an empty database with demo data on start. */
  demoData: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  cache: {
    /** Default time to live of a cached answer (ms). */
    ttlMs: number;
    /** TTL per type or schema coordinate (ms); the lowest of those an answer touches applies. */
    ttlPerCoordinate: Record<string, number>;
    /** Prefix of every Redis key. */
    redisPrefix: string;
    /** Read budget: a Redis read slower than this answers from the database (ms). */
    redisTimeoutMs: number;
    /** Write bound: invalidations are retried until Redis confirms them, up to this long (ms). */
    redisWriteTimeoutMs: number;
    /** Redis counts as down (reads skip it) when a heartbeat goes unanswered this long (ms). */
    redisDeadMs: number;
    /** Share of cache hits recomputed in the background to check them (0 to 1). */
    verifyRate: number;
    /** Re-warm evicted hot answers this long after the last write of a burst; 0: off. */
    rewarmDelayMs: number;
    /** How long an expired answer is kept to be served, flagged stale, while the database is down. */
    staleMs: number;
    /** Bytes of each process's in-process tier over Redis (recently served answers); 0: off. */
    localMaxBytes: number;
  };
  /** Refusals of oversized or abusive requests. */
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxCost: number;
    maxBodyBytes: number;
    /** Schema introspection (the playground needs it). */
    introspection: boolean;
  };
  http: {
    /** Only requests naming a trusted document (`documentId`) run; query text is refused. */
    trustedDocumentsOnly: boolean;
  };
  /** Live changes (src/live): open `POST /graphql/stream` streams per process; past it, 503. */
  live: { maxStreams: number };
  /**
   * The bound on concurrent database work (src/backpressure): GraphQL requests that execute (not
   * cache hits) and background work take a slot; past the queue they are refused with a 503.
   */
  backpressure: {
    maxConcurrent: number;
    /** Requests waiting for a slot; one more is refused at once. */
    maxQueue: number;
    /** Longest wait for a slot before the request is refused (ms). */
    maxWaitMs: number;
  };
  /**
   * Capture of every committed change to the dashboard's tables, whoever wrote it (src/capture):
   * `auto` reads the database's change log; `off` sees only the gateway's own writes.
   */
  changeCapture: {
    mode: 'auto' | 'off';
    /** Cached answers are evicted within this of a commit (ms; p99 under a steady load). */
    boundMs: number;
    /**
     * Past this without a completed read of the change log (its reader died, or cannot reach the
     * database or Redis), cached answers are not served (ms).
     */
    failClosedMs: number;
    /** How often the change log is read (ms). */
    pollMs: number;
    /** Applied changes are kept in the log this long (ms), then pruned. */
    retentionMs: number;
  };
  /**
   * Per-operation and cluster-wide cache figures (src/figures): with Redis, each process
   * publishes its own every `publishMs`; they live `retainMs` after a process's last publication.
   * Absent: the defaults (5 s, 1 h).
   */
  figures: { publishMs: number; retainMs: number };
  jobs: {
    enabled: boolean;
    /** node-cron expressions with seconds. */
    dashboardCron: string;
    wardCron: string;
  };
}

/** `Query.wardFilters=600,Patient=60` (seconds) → { 'Query.wardFilters': 600000, Patient: 60000 } */
function parseTtlOverrides(text: string | undefined): Record<string, number> | string {
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)=(\d+)$/.exec(part);
    if (!m) return `"${part}" is not Type=seconds or Type.field=seconds`;
    out[m[1]] = Number(m[2]) * 1000;
  }
  return out;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: or postgres://')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  DEMO_DATA: bool.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86400).default(300),
  CACHE_TTL_OVERRIDES: z.string().optional(),
  CACHE_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]*$/, 'letters, digits, : _ - only').default('wardcache:'),
  CACHE_REDIS_TIMEOUT_MS: z.coerce.number().int().min(5).max(5000).default(50),
  CACHE_REDIS_WRITE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  CACHE_REDIS_DEAD_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  CACHE_VERIFY_RATE: z.coerce.number().min(0).max(1).default(0.001),
  CACHE_LOCAL_MAX_MB: z.coerce.number().int().min(0).max(65536).default(64),
  CACHE_REWARM_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(1),
  CACHE_STALE_SECONDS: z.coerce.number().int().min(0).max(7 * 86400).default(3600),
  CHANGE_CAPTURE: z.enum(['auto', 'off']).default('auto'),
  CHANGE_CAPTURE_BOUND_MS: z.coerce.number().int().min(200).max(600_000).default(1000),
  CHANGE_CAPTURE_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(100),
  CHANGE_CAPTURE_FAIL_CLOSED_MS: z.coerce.number().int().min(200).max(3_600_000).default(3000),
  CHANGE_CAPTURE_RETENTION_HOURS: z.coerce.number().min(0.01).max(24 * 90).default(24),
  FIGURES_PUBLISH_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  FIGURES_RETAIN_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  WARM_JOBS: bool.default('true'),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(100_000),
  GRAPHQL_INTROSPECTION: bool.optional(),
  TRUSTED_DOCUMENTS_ONLY: bool.default('false'),
  LIVE_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(1000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  DB_MAX_CONCURRENT: z.coerce.number().int().min(1).max(1000).default(POSTGRES_POOL_MAX),
  DB_QUEUE_MAX: z.coerce.number().int().min(0).max(100_000).default(200),
  DB_QUEUE_WAIT_MS: z.coerce.number().int().min(1).max(60_000).default(2000),
  WARM_DASHBOARD_CRON: z.string().refine((v) => cron.validate(v), 'not a valid cron expression').default('0 */5 * * * *'),
  WARM_WARDS_CRON: z.string().refine((v) => cron.validate(v), 'not a valid cron expression').default('30 2-59/5 * * * *'),
});

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses `file:/abs/path.sqlite` (or a relative path) and `postgres://…`. */
export function parseDatabaseUrl(url: string | undefined, cwd = process.cwd()): DatabaseConfig {
  if (!url) return { kind: 'sqlite', path: resolve(cwd, 'data', 'wardcache.sqlite') };
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    return { kind: 'sqlite', path: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  return { kind: 'postgresql', url };
}

/** Reads and validates the environment; throws one ConfigError listing every wrong variable. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // `REDIS_URL=` (empty, as compose files and shells leave it) means unset.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const ttlCheck = parseTtlOverrides(env.CACHE_TTL_OVERRIDES);
  if (typeof ttlCheck === 'string') problems.push(`CACHE_TTL_OVERRIDES: ${ttlCheck}`);
  if (!parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  if (!e.JWT_SECRET && e.NODE_ENV === 'production') problems.push('JWT_SECRET: required when NODE_ENV=production');
  // A read every poll must fit a few times in the bound, or answers would flap unserved.
  if (e.CHANGE_CAPTURE_POLL_MS * 4 > e.CHANGE_CAPTURE_BOUND_MS) {
    problems.push(`CHANGE_CAPTURE_POLL_MS: ${e.CHANGE_CAPTURE_POLL_MS} must be at most a quarter of CHANGE_CAPTURE_BOUND_MS (${e.CHANGE_CAPTURE_BOUND_MS})`);
  }
  if (e.CHANGE_CAPTURE_FAIL_CLOSED_MS < e.CHANGE_CAPTURE_BOUND_MS) {
    problems.push(`CHANGE_CAPTURE_FAIL_CLOSED_MS: ${e.CHANGE_CAPTURE_FAIL_CLOSED_MS} must be at least CHANGE_CAPTURE_BOUND_MS (${e.CHANGE_CAPTURE_BOUND_MS})`);
  }
  // Figures must outlive a few publications, or a live process would blink out of the list.
  if (e.FIGURES_RETAIN_SECONDS * 1000 < 3 * e.FIGURES_PUBLISH_MS) {
    problems.push(`FIGURES_RETAIN_SECONDS: ${e.FIGURES_RETAIN_SECONDS} must be at least three FIGURES_PUBLISH_MS (${e.FIGURES_PUBLISH_MS} ms)`);
  }
  const ttlPerCoordinate = ttlCheck;
  if (problems.length > 0 || typeof ttlPerCoordinate === 'string') throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    database: parseDatabaseUrl(e.DATABASE_URL),
    redisUrl: e.REDIS_URL ?? null,
    jwtSecret: e.JWT_SECRET ?? randomBytes(32).toString('hex'),
    jwtSecretGenerated: !e.JWT_SECRET,
    demoData: e.DEMO_DATA ?? e.NODE_ENV !== 'production',
    logLevel: e.LOG_LEVEL,
    cache: {
      ttlMs: e.CACHE_TTL_SECONDS * 1000,
      ttlPerCoordinate,
      redisPrefix: e.CACHE_REDIS_PREFIX,
      redisTimeoutMs: e.CACHE_REDIS_TIMEOUT_MS,
      redisWriteTimeoutMs: e.CACHE_REDIS_WRITE_TIMEOUT_MS,
      redisDeadMs: e.CACHE_REDIS_DEAD_MS,
      verifyRate: e.CACHE_VERIFY_RATE,
      rewarmDelayMs: e.CACHE_REWARM_DELAY_MS,
      staleMs: e.CACHE_STALE_SECONDS * 1000,
      localMaxBytes: e.CACHE_LOCAL_MAX_MB * 1024 * 1024,
    },
    backpressure: { maxConcurrent: e.DB_MAX_CONCURRENT, maxQueue: e.DB_QUEUE_MAX, maxWaitMs: e.DB_QUEUE_WAIT_MS },
    changeCapture: {
      mode: e.CHANGE_CAPTURE,
      boundMs: e.CHANGE_CAPTURE_BOUND_MS,
      failClosedMs: e.CHANGE_CAPTURE_FAIL_CLOSED_MS,
      pollMs: e.CHANGE_CAPTURE_POLL_MS,
      retentionMs: Math.round(e.CHANGE_CAPTURE_RETENTION_HOURS * 3600_000),
    },
    figures: { publishMs: e.FIGURES_PUBLISH_MS, retainMs: e.FIGURES_RETAIN_SECONDS * 1000 },
    jobs: { enabled: e.WARM_JOBS, dashboardCron: e.WARM_DASHBOARD_CRON, wardCron: e.WARM_WARDS_CRON },
    limits: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxBodyBytes: e.MAX_BODY_BYTES,
      introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
    },
    http: { trustedDocumentsOnly: e.TRUSTED_DOCUMENTS_ONLY },
    live: { maxStreams: e.LIVE_MAX_STREAMS },
  };
}
