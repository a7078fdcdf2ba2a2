/**
 * The GraphiQL playground: served by the gateway for a browser's GET /graphql, from the installed
 * npm packages only. The HTTP checks run everywhere; the browser check needs Debian's Chromium
 * (test/support/browser.ts) and fails if any request leaves 127.0.0.1.
 */
import { openBrowser, describeBrowser, type BrowserSession } from './support/browser';
import { op, OPS, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway(testConfig(sqliteDatabase()));
  await seedForCache(t);
});
afterAll(async () => {
  await t?.close();
});

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('playground over HTTP', () => {
  it('answers a browser GET /graphql with the GraphiQL page, self-contained', async () => {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: HTML } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('id="graphiql"');
    // Nothing but the gateway's own paths: no CDN, no absolute URL of any kind.
    expect(html).not.toMatch(/(?:src|href)="(?!\/)/);
    expect(html).not.toMatch(/https?:\/\//);
    // Every contract operation is there (as a tab), the Dashboard first.
    const config = JSON.parse(/<script type="application\/json" id="playground-config">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}') as {
      tabs: Array<{ query: string; headers: string }>;
    };
    expect(config.tabs.map((tab) => tab.query)).toEqual(expect.arrayContaining([...OPS.values()]));
    expect(config.tabs).toHaveLength(OPS.size);
    expect(config.tabs[0].query).toBe(op('Dashboard'));
    expect(JSON.parse(config.tabs[0].headers)).toEqual({ Authorization: expect.stringMatching(/^Bearer /) });
  });

  it('serves every asset the page names with its type and a long cache', async () => {
    const html = await (await fetch(`${t.url}/playground`, { headers: { accept: HTML } })).text();
    const paths = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThanOrEqual(5);
    for (const path of paths) {
      const res = await fetch(`${t.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers.get('content-type')).toMatch(path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      const versioned = /-\d+\.\d+\.\d+/.test(path);
      expect(res.headers.get('cache-control')).toBe(versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
      const body = await res.text();
      expect(body).not.toMatch(/sourceMappingURL=/);
      const again = await fetch(`${t.url}${path}`, { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
      expect(again.status).toBe(304);
    }
  });

  it('leaves GraphQL requests to the handler', async () => {
    const viewer = await t.token('viewer');
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ dashboardStats { totalPatients } }')}`, {
      headers: { accept: `${HTML},application/json`, authorization: `Bearer ${viewer}` },
    });
    expect(get.headers.get('content-type')).toMatch(/json/);
    expect(((await get.json()) as { data: { dashboardStats: { totalPatients: number } } }).data.dashboardStats.totalPatients).toBeGreaterThan(0);

    const post = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { accept: HTML, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('content-type')).not.toMatch(/html/);
    const json = await fetch(`${t.url}/graphql`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).not.toMatch(/html/);
  });
});

describeBrowser('playground in Chromium', () => {
  let browser: BrowserSession;
  afterAll(async () => {
    await browser?.close();
  });

  it('runs the Dashboard operation with a viewer token from the header editor', async () => {
    const viewer = await t.token('viewer');
    const direct = await t.gql<{ dashboardStats: { totalPatients: number } }>(op('Dashboard'), undefined, viewer);
    const totalPatients = direct.body.data?.dashboardStats.totalPatients;
    expect(totalPatients).toBeGreaterThan(0);

    browser = await openBrowser();
    const { page } = browser;
    await page.goto(`${t.url}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    // One tab per contract operation; the Dashboard's is active.
    await page.locator('.graphiql-tab').nth(OPS.size - 1).waitFor();
    expect(await page.locator('.graphiql-tab').count()).toBe(OPS.size);
    await page.locator('.graphiql-query-editor', { hasText: 'query Dashboard' }).waitFor();

    // The headers editor is open (defaultEditorToolsVisibility): replace its placeholder.
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
    await headers.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // insertText bypasses CodeMirror's bracket auto-closing, so the JSON arrives as written.
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${viewer}` }));

    await page.getByRole('button', { name: /Execute query/ }).click();
    const result = page.locator('.result-window');
    await result.filter({ hasText: '"dashboardStats"' }).waitFor({ timeout: 20_000 });
    const text = (await result.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain(`"totalPatients": ${totalPatients}`);
    expect(text).not.toMatch(/UNAUTHENTICATED|"errors"/);

    // The schema came through introspection (no token needed): the docs explorer lists the root fields.
    await page.getByRole('button', { name: /Show Documentation Explorer/ }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer', { hasText: 'dashboardStats' }).waitFor();

    expect(browser.external).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
