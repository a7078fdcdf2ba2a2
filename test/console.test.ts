/**
 * The cache console (/admin) in Debian's Chromium, against a gateway holding seeded data and
 * traffic the test sends itself: a viewer token gets a clear FORBIDDEN; an admin token sees the
 * charts of the last hour (uPlot, served by the gateway), the per-operation table with exactly
 * the test's hits and misses, this process in the processes panel, the dependency map as the
 * API declares it; it warms, finds an entry by operation in the key explorer and evicts it (the
 * next read of that answer is a miss), and invalidates a type. Nothing is asked of another host.
 * With Redis, two gateways share it: the console says its figures are cluster-wide, sums both
 * processes' traffic and lists both processes.
 *
 * Its screenshot goes to test-artifacts/console.png (ignored by git); with UPDATE_SCREENSHOTS=1
 * also docs/cache-console.png, the picture the README shows (so a plain test run leaves the
 * tree clean).
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { chartData, hourTotals } from '../src/ui/console/client/history';
import { chromiumAvailable, describeBrowser, openBrowser, screenshot, type BrowserSession } from './support/browser';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, REDIS_TEST_URL } from './support/services';

const ROOT = join(__dirname, '..');
const TIME = /^\d{2}:\d{2}:\d{2}$/;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface EntriesData {
  cacheEntries: { totalCount: number; entries: Array<{ id: string; operationName: string; variables: string }> };
}
interface Dependency {
  entity: string;
  change: string;
  property: string | null;
  evicts: string[];
  operations: string[];
}

let t: TestGateway;
let admin: string;
let viewer: string;

beforeAll(async () => {
  t = await startTestGateway(testConfig(sqliteDatabase()));
  await seedForCache(t);
  admin = await t.token('admin');
  viewer = await t.token('viewer');
});
afterAll(async () => {
  await t?.close();
});

/** A read as the dashboard sends it (with its operation name); whether the cache answered it. */
async function read(name: string, variables?: Record<string, unknown>): Promise<boolean> {
  const res = await t.gql(op(name), variables, viewer, name);
  expect(res.body.errors).toBeUndefined();
  const cache = res.body.extensions?.cache as { hit: boolean } | undefined;
  if (!cache) throw new Error(`${name} came back without extensions.cache`);
  return cache.hit;
}

async function adminData<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await t.gql<T>(query, variables, admin);
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

describe('console over HTTP', () => {
  it('serves /admin and its assets from /admin/assets/ only, under the CSP', async () => {
    const res = await fetch(`${t.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, path]) => path);
    expect(assets.sort()).toEqual(['/admin/assets/console.css', '/admin/assets/console.js', `/admin/assets/uplot-${readUplotVersion()}.min.css`]);
    for (const path of assets) {
      const asset = await fetch(`${t.url}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-security-policy')).toContain("default-src 'self'");
      // uPlot's bundle names the SVG namespace (not a request); nothing else names a host.
      expect(await asset.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i);
    }
  });

  it('hands the page the contract texts of CacheEntries and EvictCacheEntry', async () => {
    const html = await (await fetch(`${t.url}/admin`)).text();
    const config = JSON.parse(/<script type="application\/json" id="console-config">(.*?)<\/script>/.exec(html)?.[1] ?? '{}') as {
      operations: Record<string, string>;
      cachedOperations: string[];
    };
    expect(config.operations.entries).toBe(op('CacheEntries'));
    expect(config.operations.evict).toBe(op('EvictCacheEntry'));
    expect(config.operations.warm).toBe(op('WarmCache'));
    expect(config.operations.invalidate).toBe(op('InvalidateCache'));
    expect(config.cachedOperations).toEqual(['Dashboard', 'WardMapping', 'WardFilters', 'Patient']);
  });
});

describe('chart columns from the history', () => {
  const point = (i: number, p: { hits: number; misses: number; invalidations: number; hitP95Ms?: number | null; missP95Ms?: number | null }) => ({
    at: new Date(Date.UTC(2026, 0, 1, 12, 0, i * 10)).toISOString(),
    requests: p.hits + p.misses + 1,
    hits: p.hits,
    misses: p.misses,
    hitRate: p.hits + p.misses === 0 ? null : p.hits / (p.hits + p.misses),
    hitP95Ms: p.hitP95Ms ?? null,
    missP95Ms: p.missP95Ms ?? null,
    invalidations: p.invalidations,
  });
  const points = [
    point(0, { hits: 3, misses: 1, invalidations: 1, hitP95Ms: 0.5, missP95Ms: 40 }),
    point(1, { hits: 0, misses: 0, invalidations: 0 }),
    point(2, { hits: 9, misses: 0, invalidations: 2, hitP95Ms: 0 }),
    point(3, { hits: 0, misses: 2, invalidations: 0, missP95Ms: 25 }),
    point(4, { hits: 0, misses: 0, invalidations: 0 }),
    point(5, { hits: 0, misses: 0, invalidations: 0 }),
    point(6, { hits: 1, misses: 1, invalidations: 3 }),
    point(7, { hits: 0, misses: 0, invalidations: 0 }),
  ];

  it('gives per-second rates, percentages, positive latencies and per-minute invalidations', () => {
    const d = chartData(points);
    expect(d.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => Date.UTC(2026, 0, 1, 12, 0, i * 10) / 1000));
    expect(d.hitRatePct).toEqual([75, null, 100, 0, null, null, 50, null]);
    expect(d.requestsPerS).toEqual([0.5, 0.1, 1, 0.3, 0.1, 0.1, 0.3, 0.1]);
    expect(d.missesPerS).toEqual([0.1, 0, 0, 0.2, 0, 0, 0.1, 0]);
    // A latency of 0 has no place on a logarithmic scale: it is left out, like a missing one.
    expect(d.hitP95Ms).toEqual([0.5, null, null, null, null, null, null, null]);
    expect(d.missP95Ms).toEqual([40, null, null, 25, null, null, null, null]);
    // The sum over the point and the five before it: the 60 seconds ending there.
    expect(d.invalidationsPerMin).toEqual([1, 1, 3, 3, 3, 3, 5, 5]);
  });

  it('sums the hour', () => {
    expect(hourTotals(points)).toEqual({
      requests: 25,
      hits: 13,
      misses: 4,
      invalidations: 6,
      hitRate: 13 / 17,
      peakRequestsPerS: 1,
      lastHitP95Ms: 0,
      lastMissP95Ms: 25,
    });
    expect(hourTotals([])).toEqual({ requests: 0, hits: 0, misses: 0, invalidations: 0, hitRate: null, peakRequestsPerS: 0, lastHitP95Ms: null, lastMissP95Ms: null });
  });
});

function readUplotVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string }).version;
}

describeBrowser('console in Chromium', () => {
  let browser: BrowserSession;
  afterAll(async () => {
    await browser?.close();
  });

  async function signIn(token: string): Promise<void> {
    const { page } = browser;
    await page.locator('#token').fill(token);
    await page.getByRole('button', { name: 'Connect' }).click();
  }

  /** The text of one cell of the operations table. */
  const opCell = (operation: string, col: string) => browser.page.locator(`[data-testid="operation-row"][data-operation="${operation}"] [data-col="${col}"]`);

  it('shows FORBIDDEN for a viewer token', async () => {
    browser = await openBrowser({ width: 1280, height: 900 });
    const { page } = browser;
    await page.goto(`${t.url}/admin`);
    await signIn(viewer);
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await page.locator('#error-code').innerText()).toBe('FORBIDDEN');
    expect(await error.innerText()).toMatch(/admin role/);
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    // The refused token is gone: the sign-in form is back.
    expect(await page.locator('#token').isVisible()).toBe(true);
  });

  it('draws the last hour and the per-operation table from the traffic sent', async () => {
    const { page } = browser;
    // Each operation: one miss, then hits.
    expect([await read('Dashboard'), await read('Dashboard'), await read('Dashboard'), await read('Dashboard')]).toEqual([false, true, true, true]);
    expect([await read('WardMapping'), await read('WardMapping'), await read('WardMapping')]).toEqual([false, true, true]);
    expect([await read('WardFilters'), await read('WardFilters')]).toEqual([false, true]);

    await signIn(admin);
    await page.locator('#dashboard').waitFor();
    expect(await page.locator('#error').count()).toBe(0);
    expect(await page.getByTestId('backend').innerText()).toBe('memory');
    expect(await page.getByTestId('figures-scope').first().innerText()).toMatch(/^This process only/);

    // The table: exactly the test's traffic, nothing cached was evicted in between.
    await opCell('Dashboard', 'hits').filter({ hasText: /^3$/ }).waitFor();
    const expected: Record<string, [hits: string, misses: string, rate: string]> = {
      Dashboard: ['3', '1', '75.0 %'],
      WardMapping: ['2', '1', '66.7 %'],
      WardFilters: ['1', '1', '50.0 %'],
    };
    for (const [name, [hits, misses, rate]] of Object.entries(expected)) {
      expect(await opCell(name, 'hits').innerText()).toBe(hits);
      expect(await opCell(name, 'misses').innerText()).toBe(misses);
      expect(await opCell(name, 'hit-rate').innerText()).toBe(rate);
      expect(await opCell(name, 'entries').innerText()).toBe('1');
      expect(await opCell(name, 'miss-p50').innerText()).toMatch(/^\d+(\.\d+)? m?s$/);
    }

    // The charts: four uPlot canvases holding the hour's points; the totals are the API's.
    const api = await adminData<{ cacheStats: { history: Array<{ requests: number; hits: number; misses: number }> } }>(
      'query { cacheStats { history(minutes: 60) { requests hits misses } } }',
    );
    const sum = (f: (p: { requests: number; hits: number; misses: number }) => number): number => api.cacheStats.history.reduce((a, p) => a + f(p), 0);
    expect(sum((p) => p.hits)).toBe(6);
    expect(sum((p) => p.misses)).toBe(3);
    for (const id of ['hit-rate', 'requests', 'latency', 'invalidations']) {
      const chart = page.getByTestId(`chart-${id}`);
      expect(await chart.locator('canvas').count()).toBe(1);
      const box = await chart.locator('canvas').boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      expect(Number(await chart.getAttribute('data-points'))).toBe(api.cacheStats.history.length);
    }
    expect(api.cacheStats.history.length).toBe(360);
    // The hit rate chart counts lookups (hits and misses): exactly the test's nine reads.
    await page.locator('[data-testid="chart-hit-rate"][data-total="9"]').waitFor();
    // Requests are every GraphQL request of the hospital: the test's reads and the console's own.
    expect(Number(await page.getByTestId('chart-requests').getAttribute('data-total'))).toBeGreaterThan(9);
    expect(await page.getByTestId('chart-hit-rate').getByTestId('chart-headline').innerText()).toBe('66.7 % over the hour');
    expect(Number(await page.getByTestId('chart-latency').getAttribute('data-total'))).toBeGreaterThan(0);
  });

  it('lists this process in the processes panel', async () => {
    const { page } = browser;
    const rows = page.getByTestId('process-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    const self = page.locator('[data-testid="process-row"][data-self="true"]');
    expect(await self.getByTestId('process-self').innerText()).toBe('this process');
    expect(await self.locator('[data-col="version"]').innerText()).toBe(VERSION);
    expect(await self.innerText()).toContain(`pid ${process.pid}`);
    expect(await self.locator('[data-col="last-heard"]').innerText()).toMatch(/^\d+ s ago$/);
  });

  it('shows the dependency map as the API declares it', async () => {
    const { page } = browser;
    const { cacheDependencies } = await adminData<{ cacheDependencies: Dependency[] }>('query { cacheDependencies { entity change property evicts operations } }');
    const rows = page.getByTestId('dep-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(cacheDependencies.length);
    // A known row: registering a patient changes the Dashboard's counts (and a Patient read that was null).
    const created = page.locator('[data-testid="dep-row"][data-entity="Patient"][data-change="create"]');
    expect(await created.getAttribute('data-operations')).toBe('Dashboard,Patient');
    expect(await created.locator('td.cell.hit').count()).toBe(2);
    expect(await created.locator('td.evicts').innerText()).toContain('dashboardStats (every answer)');
    for (const [i, d] of cacheDependencies.entries()) {
      const row = rows.nth(i);
      expect([await row.getAttribute('data-entity'), await row.getAttribute('data-change'), await row.getAttribute('data-property')]).toEqual([d.entity, d.change, d.property ?? '']);
      expect(await row.getAttribute('data-operations')).toBe(d.operations.join(','));
      expect(await row.locator('td.cell.hit').count()).toBe(d.operations.length);
    }
  });

  it('warms all targets and shows the new warm time', async () => {
    const { page } = browser;
    const lastWarm = page.getByTestId('last-warm');
    expect(await lastWarm.innerText()).toBe('never');
    expect(await page.locator('#targets tr').count()).toBe(3);

    await page.getByRole('button', { name: 'Warm all' }).click();
    await lastWarm.filter({ hasNotText: 'never' }).waitFor();
    expect(await lastWarm.innerText()).toMatch(TIME);
    await page.locator('#notice', { hasText: 'Dashboard: OK' }).waitFor();
    for (const row of await page.locator('#targets tr').all()) {
      expect(await row.locator('.badge').innerText()).toBe('OK');
      expect(await row.getByTestId('target-last-warm').innerText()).toMatch(TIME);
    }
    // The picture: the page from its top (the header is sticky), with every panel filled.
    await page.getByTestId('entry-row').first().waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await page.locator('#notice').waitFor({ state: 'detached' });
    await page.evaluate('window.scrollTo(0, 0)');
    const targets = [join(ROOT, 'test-artifacts', 'console.png')];
    if (process.env.UPDATE_SCREENSHOTS === '1') targets.push(join(ROOT, 'docs', 'cache-console.png'));
    await screenshot(page, targets);
  });

  it('finds a Dashboard answer in the key explorer and evicts it: the next read of it is a miss', async () => {
    const { page } = browser;
    // Two Dashboard answers: the default one (recentLimit 30) and another; only the first goes.
    expect(await read('Dashboard')).toBe(true);
    expect(await read('Dashboard', { recentLimit: 5 })).toBe(false);
    const listed = await adminData<EntriesData>(op('CacheEntries'), { operationName: 'Dashboard', first: 50 });
    expect(listed.cacheEntries.entries.map((e) => e.variables).sort()).toEqual(['{"recentLimit":30}', '{"recentLimit":5}']);

    await page.locator('#explorer-operation').selectOption('Dashboard');
    await page.getByTestId('explorer-count').filter({ hasText: /^2 of 2$/ }).waitFor();
    const rows = page.getByTestId('entry-row');
    expect(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-entry-id'), e.getAttribute('data-operation')]))).toEqual(
      listed.cacheEntries.entries.map((e) => [e.id, 'Dashboard']),
    );
    const target = page.locator('[data-testid="entry-row"][data-variables=\'{"recentLimit":30}\']');
    expect(await target.locator('td.vars').innerText()).toBe('{"recentLimit":30}');
    expect(await target.locator('[data-col="size"]').innerText()).toMatch(/^\d+(\.\d+)? (B|KiB)$/);
    expect(await target.locator('.tag').first().innerText()).toBe('Q:dashboardStats');

    await target.getByRole('button', { name: 'Evict' }).click();
    await page.locator('#notice', { hasText: 'Evicted a cached Dashboard answer.' }).waitFor();
    await page.getByTestId('explorer-count').filter({ hasText: /^1 of 1$/ }).waitFor();
    expect(await rows.getAttribute('data-variables')).toBe('{"recentLimit":5}');

    expect(await read('Dashboard')).toBe(false);
    expect(await read('Dashboard', { recentLimit: 5 })).toBe(true);
  });

  it('invalidates a type and refreshes', async () => {
    const { page } = browser;
    await page.locator('#typename').selectOption('DashboardStats');
    await page.getByRole('button', { name: 'Invalidate type' }).click();
    await page.locator('#notice', { hasText: /Invalidated \d+ cached answer\(s\) showing DashboardStats/ }).waitFor();
    expect(await page.locator('#error').count()).toBe(0);
    expect(browser.external).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});

/** Redis and Chromium both (each fails under CI=true when missing, and is skipped loudly otherwise). */
const describeRedisBrowser = chromiumAvailable() ? describeWith('Redis') : describe.skip;

describeRedisBrowser('console of two processes sharing one Redis', () => {
  let a: TestGateway;
  let b: TestGateway;
  let browser: BrowserSession;

  beforeAll(async () => {
    // One database, one Redis prefix: two gateways of one deployment; figures published every 200 ms.
    const database = sqliteDatabase();
    const shared = { redisUrl: REDIS_TEST_URL, figures: { publishMs: 200, retainMs: 3_600_000 } };
    const config = testConfig(database, shared);
    a = await startTestGateway(config);
    await seedForCache(a);
    b = await startTestGateway(config);
  });
  afterAll(async () => {
    await browser?.close();
    await b?.close();
    await a?.close();
  });

  const hitOf = async (g: TestGateway, name: string): Promise<boolean> => {
    const res = await g.gql(op(name), undefined, await g.token('viewer'), name);
    expect(res.body.errors).toBeUndefined();
    return (res.body.extensions?.cache as { hit: boolean }).hit;
  };

  it('says the figures are cluster-wide, sums both processes and lists both, marking its own', async () => {
    // A computes and stores the answer, B is served it from the shared Redis.
    expect([await hitOf(a, 'Dashboard'), await hitOf(a, 'Dashboard'), await hitOf(b, 'Dashboard'), await hitOf(b, 'WardFilters')]).toEqual([false, true, true, false]);

    browser = await openBrowser({ width: 1280, height: 900 });
    const { page } = browser;
    await page.goto(`${a.url}/admin#token=${await a.token('admin')}`);
    await page.locator('#dashboard').waitFor();
    expect(await page.getByTestId('backend').innerText()).toBe('redis');
    const scope = page.getByTestId('figures-scope').first();
    await scope.filter({ hasText: 'Cluster-wide: 2 gateway processes sharing this Redis' }).waitFor();

    const cell = (operation: string, col: string) => page.locator(`[data-testid="operation-row"][data-operation="${operation}"] [data-col="${col}"]`);
    await cell('WardFilters', 'misses').filter({ hasText: /^1$/ }).waitFor();
    expect([await cell('Dashboard', 'hits').innerText(), await cell('Dashboard', 'misses').innerText()]).toEqual(['2', '1']);
    await page.locator('[data-testid="chart-hit-rate"][data-total="4"]').waitFor();
    // The headline cards too: both processes' hits and misses, not only the answering one's (1 / 1).
    await page.getByTestId('hits-misses').filter({ hasText: /^2 \/ 2$/ }).waitFor();
    expect(await page.getByTestId('hit-rate').innerText()).toBe('50.0 %');
    expect(await page.locator('#stat-hits-misses ~ .sub').innerText()).toBe('all 2 processes, since each started');

    const rows = page.getByTestId('process-row');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().getAttribute('data-self')).toBe('true');
    expect(await rows.nth(1).getAttribute('data-self')).toBe('false');
    expect(await page.getByTestId('process-self').count()).toBe(1);
    expect(browser.external).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
