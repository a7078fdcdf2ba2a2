import { Client } from 'pg';
import Redis from 'ioredis';

/**
 * Suites that need PostgreSQL or Redis call these in a beforeAll-free way (at module load):
 * unreachable → fail under CI=true, skip loudly otherwise.
 */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_TEST_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function unavailable(service: string, reason: string): false {
  const message = `${service} is not reachable (${reason})`;
  if (process.env.CI === 'true') throw new Error(`${message}: CI=true requires it`);
  // eslint-disable-next-line no-console
  console.warn(`\n*** SKIPPING ${service} tests: ${message}. Start it to run them. ***\n`);
  return false;
}

export async function postgresAvailable(url = PG_ADMIN_URL): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    return unavailable('PostgreSQL', (err as Error).message);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisAvailable(url = REDIS_TEST_URL): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, enableOfflineQueue: false });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch (err) {
    return unavailable('Redis', (err as Error).message);
  } finally {
    redis.disconnect();
  }
}

/** A PostgreSQL database of the suite's own, emptied: suites never see each other's rows. */
export async function freshPostgresDatabase(name: string, adminUrl = PG_ADMIN_URL): Promise<string> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Synchronous probes, so a suite can pick `describe` or `describe.skip` while Jest collects
 * tests: unreachable → throws under CI=true, otherwise warns loudly and skips.
 */
import { spawnSync } from 'node:child_process';

function probe(cmd: string, args: string[], expect?: string): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && (!expect || r.stdout.includes(expect));
}

export function describeWith(service: 'PostgreSQL' | 'Redis'): jest.Describe {
  const up =
    service === 'PostgreSQL'
      ? probe('pg_isready', ['-h', '127.0.0.1', '-p', '5432'])
      : probe('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping'], 'PONG');
  if (up) return describe;
  return unavailable(service, 'probe failed') || describe.skip;
}
