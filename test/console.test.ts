/**
 * The cache console (/admin) in Debian's Chromium: a viewer token gets a clear FORBIDDEN; an
 * admin token sees the stats, warms every target and invalidates a type. Its screenshot goes to
 * test-artifacts/console.png (ignored by git); with UPDATE_SCREENSHOTS=1 also
 * docs/cache-console.png, the picture the README shows (so a plain test run leaves the tree clean).
 */
import { join } from 'node:path';
import { describeBrowser, openBrowser, screenshot, type BrowserSession } from './support/browser';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

const ROOT = join(__dirname, '..');
const TIME = /^\d{2}:\d{2}:\d{2}$/;

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway(testConfig(sqliteDatabase()));
  await seedForCache(t);
});
afterAll(async () => {
  await t?.close();
});

describe('console over HTTP', () => {
  it('serves /admin and its assets from the gateway only', async () => {
    const res = await fetch(`${t.url}/admin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const [, path] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      expect(path.startsWith('/admin/assets/')).toBe(true);
      expect((await fetch(`${t.url}${path}`)).status).toBe(200);
    }
  });
});

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

  it('shows FORBIDDEN for a viewer token', async () => {
    browser = await openBrowser({ width: 1120, height: 760 });
    const { page } = browser;
    await page.goto(`${t.url}/admin`);
    await signIn(await t.token('viewer'));
    const error = page.getByTestId('error');
    await error.waitFor();
    expect(await page.locator('#error-code').innerText()).toBe('FORBIDDEN');
    expect(await error.innerText()).toMatch(/admin role/);
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
  });

  it('warms all targets with an admin token and shows the new warm time', async () => {
    const { page } = browser;
    const viewer = await t.token('viewer');
    // Some traffic first, so the hit rate is not zero: a miss, then hits.
    for (let i = 0; i < 4; i++) await t.gql(op('Dashboard'), undefined, viewer);

    await signIn(await t.token('admin'));
    const lastWarm = page.getByTestId('last-warm');
    await page.locator('#dashboard').waitFor();
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(await lastWarm.innerText()).toBe('never');
    expect(await page.getByTestId('backend').innerText()).toBe('memory');
    expect(await page.locator('#targets tr').count()).toBe(3);

    await page.getByRole('button', { name: 'Warm all' }).click();
    await lastWarm.filter({ hasNotText: 'never' }).waitFor();
    expect(await lastWarm.innerText()).toMatch(TIME);
    await page.locator('#notice', { hasText: 'Dashboard: OK' }).waitFor();
    for (const row of await page.locator('#targets tr').all()) {
      expect(await row.locator('.badge').innerText()).toBe('OK');
      expect(await row.getByTestId('target-last-warm').innerText()).toMatch(TIME);
    }
    const targets = [join(ROOT, 'test-artifacts', 'console.png')];
    if (process.env.UPDATE_SCREENSHOTS === '1') targets.push(join(ROOT, 'docs', 'cache-console.png'));
    await screenshot(page, targets);
  });

  it('invalidates a type and refreshes', async () => {
    const { page } = browser;
    await page.locator('#typename').selectOption('DashboardStats');
    await page.getByRole('button', { name: 'Invalidate type' }).click();
    await page.locator('#notice', { hasText: /Invalidated \d+ cached answer\(s\) showing DashboardStats/ }).waitFor();
    expect(await page.locator('#error').isHidden()).toBe(true);
    expect(browser.external).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
