import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { GatewayConfig, DatabaseConfig } from '../../src/config/config';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway';
import type { Role } from '../../src/auth/roles';

export const TEST_SECRET = 'test-secret-test-secret-test-secret-0123456789';

export function sqliteDatabase(): Extract<DatabaseConfig, { kind: 'sqlite' }> {
  return { kind: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'wardcache-')), 'test.sqlite') };
}

export function testConfig(database: DatabaseConfig, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    env: 'test',
    host: '127.0.0.1',
    port: 0,
    database,
    redisUrl: null,
    jwtSecret: TEST_SECRET,
    jwtSecretGenerated: false,
    demoData: false,
    logLevel: 'silent',
    cache: { ttlMs: 300_000, ttlPerCoordinate: {}, redisPrefix: `wardcache-test-${process.pid}-${Date.now()}:`, redisTimeoutMs: 50, redisWriteTimeoutMs: 5000, redisDeadMs: 2000, verifyRate: 0, rewarmDelayMs: 0, staleMs: 3_600_000, localMaxBytes: 64 * 1024 * 1024 },
    // The ORM path alone: suites that count hits and misses after a write would otherwise see
    // the capture's second (redundant) eviction of the same write land between two reads.
    // test/change-capture*.test.ts and every suite that starts `src/main.ts` run it, as shipped.
    changeCapture: { mode: 'off', boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 86_400_000 },
    jobs: { enabled: false, dashboardCron: '0 */5 * * * *', wardCron: '30 2-59/5 * * * *' },
    limits: { maxDepth: 10, maxAliases: 15, maxCost: 100_000, maxBodyBytes: 1024 * 1024, introspection: true },
    http: { trustedDocumentsOnly: false },
    live: { maxStreams: 1000 },
    figures: { publishMs: 5000, retainMs: 3_600_000 },
    // The production defaults (DB_MAX_CONCURRENT = the pool size, DB_QUEUE_MAX, DB_QUEUE_WAIT_MS).
    backpressure: { maxConcurrent: 10, maxQueue: 200, maxWaitMs: 2000 },
    ...overrides,
  };
}

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  body: {
    data?: T | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** SQL statements the ORM has sent since start (or since the last reset). */
  sql: { count: number; statements: string[] };
  token(role: Role, hospitalId?: string): Promise<string>;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null, operationName?: string): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

/** A real gateway on a free port, with an SQL statement counter hooked into the ORM. */
export async function startTestGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<TestGateway> {
  const sql = { count: 0, statements: [] as string[] };
  const gateway = await createGateway(config, {
    ...options,
    logger: options.logger ?? pino({ level: 'silent' }),
    ormOverrides: {
      onQuery: (statement: string) => {
        sql.count += 1;
        sql.statements.push(statement);
        return statement;
      },
    },
  });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    sql,
    token: (role, hospitalId = '1') => gateway.tokens.sign({ sub: `test-${role}`, hospitalId, role }),
    async gql(query, variables, token, operationName) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables, operationName }),
      });
      return { status: res.status, body: (await res.json()) as GqlResult['body'] } as GqlResult<never>;
    },
    close: () => gateway.close(),
  };
}
