import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

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
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (!e.JWT_SECRET && e.NODE_ENV === 'production') {
    throw new ConfigError(['JWT_SECRET: required when NODE_ENV=production']);
  }
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
  };
}
