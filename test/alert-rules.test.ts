import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { seedDatabase } from '../src/seed/seed';
import { op } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

/**
 * ops/alerts.yml, the Prometheus alert rules of the operator's guide: it parses, every rule has
 * what Prometheus requires, and every metric an expression names is one the gateway exports
 * (read from a running gateway's /metrics, histograms by their _bucket series).
 */

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const RULES = parse(readFileSync(join(__dirname, '..', 'ops', 'alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
/** PromQL functions and keywords an expression may use besides metric names. */
const PROMQL = new Set(['sum', 'rate', 'increase', 'by', 'and', 'or', 'unless', 'clamp_min', 'histogram_quantile', 'min_over_time', 'max_over_time', 'le', 'event', 'outcome', 'state', 'target', 'hit', 'miss', 'failed', 'down']);

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway(testConfig(sqliteDatabase(), { changeCapture: { mode: 'auto', boundMs: 1000, failClosedMs: 3000, pollMs: 100, retentionMs: 3_600_000 } }));
  await seedDatabase(t.gateway.orm, { hospitals: 1, wards: 2, patients: 20, events: 1, seed: 2, now: new Date() });
  const viewer = await t.token('viewer');
  await t.gql(op('Dashboard'), {}, viewer); // a request, so that the request histogram has series
});
afterAll(() => t.close());

describe('ops/alerts.yml', () => {
  it('parses into rules with an alert name, an expression, a severity and a summary', () => {
    const rules = RULES.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'WardcacheHitRateLow',
      'WardcacheLatencyP95High',
      'WardcacheWarmFailing',
      'WardcacheRedisDegraded',
      'WardcacheCaptureLagHigh',
      'WardcacheCaptureDown',
    ]);
    for (const r of rules) {
      expect({ alert: r.alert, expr: typeof r.expr, severity: r.labels?.severity, summary: typeof r.annotations?.summary }).toEqual({
        alert: r.alert,
        expr: 'string',
        severity: expect.stringMatching(/^(warning|critical)$/),
        summary: 'string',
      });
    }
  });

  it('names only metrics the gateway exports', async () => {
    const exported = new Set((await (await fetch(`${t.url}/metrics`)).text()).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
    for (const r of RULES.groups.flatMap((g) => g.rules)) {
      const names = [...r.expr.replace(/"[^"]*"/g, '').replace(/\[[^\]]*\]/g, '').replace(/\b\d[\d.]*(e[+-]?\d+)?/g, '').matchAll(/[a-z_][a-z0-9_]*/g)].map((m) => m[0]).filter((w) => !PROMQL.has(w) && !/^\d/.test(w));
      expect({ alert: r.alert, missing: names.filter((n) => !exported.has(n)) }).toEqual({ alert: r.alert, missing: [] });
      expect(names.length).toBeGreaterThan(0);
    }
  });
});
