import pino from 'pino';
import { loadConfig, type GatewayConfig } from '../config/config';
import { createGateway, type Gateway } from '../gateway';
import type { JobLedger } from '../jobs/ledger';
import { Hospital } from '../modules/hospital/hospital.entity';
import { describeDatabase } from '../seed/cli';
import { CliFailure, stdio, type Output } from './output';

export interface HospitalRow {
  id: number;
  name: string;
}

export interface CliContext extends Output {
  config: GatewayConfig;
  /** Built, never listening: ORM, cache store, warmer. */
  gateway: Gateway;
  /** The warm ledger the gateways share (through Redis; in memory without REDIS_URL); checked ready. */
  ledger: JobLedger;
  /** `redis redis://host:6379 prefix "wardcache:"` or `memory (this process only)`. */
  describeCache(): string;
  /** Every hospital, or the given one (CliFailure, exit 2, when it does not exist). */
  hospitals(id: number | null): Promise<HospitalRow[]>;
  close(): Promise<void>;
}

/** Slower than the gateway's 50 ms default: a command-line tool would rather wait than fail open. */
const CLI_REDIS_TIMEOUT_MS = 2000;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Builds the gateway's pieces from the environment, as a gateway process would, but with no
 * HTTP listener, no cron jobs, no demo data, no re-warm after invalidations and no change
 * capture (the gateways read the change log; a command that read it too could evict, or on a
 * cache it never read for, purge, while asked only to look): the command does exactly what it
 * was asked. Logs go to stderr (level LOG_LEVEL, default `error`).
 */
export async function openContext(env: NodeJS.ProcessEnv, io: Output = stdio): Promise<CliContext> {
  const loaded = loadConfig(env);
  const config: GatewayConfig = {
    ...loaded,
    demoData: false,
    jobs: { ...loaded.jobs, enabled: false },
    changeCapture: { ...loaded.changeCapture, mode: 'off' },
    cache: { ...loaded.cache, rewarmDelayMs: 0, redisTimeoutMs: Math.max(loaded.cache.redisTimeoutMs, CLI_REDIS_TIMEOUT_MS) },
  };
  const logger = pino({ level: env.LOG_LEVEL ?? 'error', base: { service: 'wardcache-cli' } }, pino.destination({ fd: 2, sync: true }));

  if (!config.redisUrl) {
    io.err(
      'cache: WARNING: REDIS_URL is not set, so this command uses an in-process cache of its own. A running ' +
        "gateway's in-process cache cannot be reached from another process: nothing done here affects it, and " +
        'nothing it cached is visible here.',
    );
  }
  const gateway = await createGateway(config, {
    logger,
    // Keep stdout for results: the ORM (migrator) logs to stderr.
    ormOverrides: { logger: (msg: string) => void process.stderr.write(`${msg}\n`) },
  });
  const { ledger } = gateway;

  let all: HospitalRow[] | null = null;
  return {
    ...io,
    config,
    gateway,
    ledger,
    describeCache: () =>
      config.redisUrl
        ? `redis ${redactUrl(config.redisUrl)} prefix "${config.cache.redisPrefix}"`
        : 'memory (this process only: not a running gateway\'s cache)',
    async hospitals(id) {
      all ??= (await gateway.orm.em.fork().find(Hospital, {}, { fields: ['id', 'name'], orderBy: { id: 'asc' } })).map((h) => ({
        id: h.id,
        name: h.name,
      }));
      if (id === null) return all;
      const found = all.filter((h) => h.id === id);
      if (found.length === 0) {
        const ids = all.map((h) => h.id);
        const known = ids.length === 0 ? 'the database has no hospitals' : `known ids: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`;
        throw new CliFailure(`hospital ${id} does not exist in ${describeDatabase(config.database)} (${known})`, 2);
      }
      return found;
    },
    async close() {
      await gateway.close();
    },
  };
}
