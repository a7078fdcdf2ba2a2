import { Writable } from 'node:stream';
import type { Plugin } from '@envelop/core';
import pino from 'pino';
import { ConfigError, loadConfig } from '../src/config/config';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('observability', () => {
  let t: TestGateway;
  const logs = captureLogs();
  let viewer: string;
  // A bug stand-in: any execution of the operation named Explode throws a plain Error.
  const explode: Plugin = {
    onExecute({ args, setExecuteFn }) {
      if (args.operationName === 'Explode') setExecuteFn(() => Promise.reject(new Error('secret detail: select * from patient')));
    },
  };

  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase()), { logger: logs.logger, envelopPlugins: [explode] });
    await seedForCache(t);
    viewer = await t.token('viewer');
  });
  afterAll(() => t?.close());

  it('exposes Prometheus metrics for requests, cache events, SQL per request and warm runs', async () => {
    await t.gql(op('Dashboard'), {}, viewer, 'Dashboard');
    await t.gql(op('Dashboard'), {}, viewer, 'Dashboard');
    await t.gateway.warmer.warm(1, ['WARD_FILTERS']);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/wardcache_requests_total\{operation="Dashboard",outcome="ok",cache="miss"\} 1/);
    expect(text).toMatch(/wardcache_requests_total\{operation="Dashboard",outcome="ok",cache="hit"\} 1/);
    expect(text).toMatch(/wardcache_cache_events_total\{event="hit"\} 1/);
    expect(text).toMatch(/wardcache_cache_events_total\{event="store"\} 2/);
    expect(text).toMatch(/wardcache_sql_statements_per_request_bucket\{le="1"\} 0/);
    expect(text).toMatch(/wardcache_sql_statements_per_request_bucket\{le="2"\} 1/); // the miss: 2 statements
    expect(text).toMatch(/wardcache_warm_runs_total\{target="WARD_FILTERS",outcome="ok"\} 1/);
    expect(text).toMatch(/wardcache_cache_store_up 1/);
    expect(text).toMatch(/wardcache_cache_entries 2/);
    expect(text).toMatch(/wardcache_request_duration_seconds_bucket/);
  });

  it('logs one structured line per request with its id, operation, hospital, cache outcome and duration', async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}`, 'x-request-id': 'req-observed-1' },
      body: JSON.stringify({ query: op('WardMapping'), variables: { filter: { search: 'nobody is called this' } }, operationName: 'WardMapping' }),
    });
    expect(res.headers.get('x-request-id')).toBe('req-observed-1');
    const line = logs.lines.find((l) => l.requestId === 'req-observed-1');
    // Wards, open-admission counts, admissions: no patient matches, so no tags query.
    expect(line).toMatchObject({ msg: 'graphql request', operation: 'WardMapping', hospitalId: 1, cache: 'miss', status: 200, outcome: 'ok', sql: 3 });
    expect(typeof line?.durationMs).toBe('number');
  });

  it('masks internal errors: no detail to the client, the request id in both answer and log', async () => {
    const r = await t.gql('query Explode { wardFilters { updatedAt } }', {}, viewer, 'Explode');
    const error = r.body.errors?.[0];
    expect(error?.message).toBe('Internal server error');
    expect(error?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(r.body)).not.toMatch(/secret detail|select \*|stack/);
    const requestId = error?.extensions?.requestId as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = logs.lines.find((l) => l.requestId === requestId && l.msg === 'internal error while executing an operation');
    expect(JSON.stringify(logged)).toContain('secret detail');
  });
});

describe('configuration', () => {
  it('lists every wrong variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', CACHE_TTL_OVERRIDES: 'Patient=soon', WARM_DASHBOARD_CRON: 'every day' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'CACHE_TTL_OVERRIDES', 'WARM_DASHBOARD_CRON']) expect(problems).toContain(name);
  });

  it('needs a JWT secret in production and treats empty values as unset', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required/);
    const c = loadConfig({ REDIS_URL: '', DATABASE_URL: '' });
    expect(c.redisUrl).toBeNull();
    expect(c.database.kind).toBe('sqlite');
  });
});
