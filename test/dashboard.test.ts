/**
 * The ward dashboard (/dashboard) in Debian's Chromium, against a gateway holding seeded data:
 * the page shows exactly the API's numbers and names, follows live changes (an admission shows
 * within 2 s without a reload), filters as the API filters, and asks nothing of any other host.
 * Screenshots go to test-artifacts/dashboard*.png; with UPDATE_SCREENSHOTS=1 also to
 * docs/dashboard.png (1920×1080, a wall screen) and docs/dashboard-laptop.png (1366×768).
 */
import { join } from 'node:path';
import type { Page, Request, Route } from 'playwright-core';
import { createDocumentRegistry } from '../src/contract/documents';
import { loadContractOperations } from '../src/contract/operations';
import { seedDatabase } from '../src/seed/seed';
import { describeBrowser, openBrowser, screenshot, type BrowserSession } from './support/browser';
import { sqliteDatabase, startTestGateway, testConfig, type TestGateway } from './support/gateway';

const ROOT = join(__dirname, '..');
const OPERATIONS = loadContractOperations();
const op = (name: string): string => OPERATIONS.get(name) ?? '';

interface Ward {
  ward: { id: string; name: string };
  capacityEstimate: number;
  patients: Array<{ patient: { id: string; name: string }; bed: string }>;
}
interface MapData {
  wardMapping: { totalPatients: number; totalWards: number; wards: Ward[] };
}
interface DashData {
  dashboardStats: { totalPatients: number; inpatients: number; outpatients: number };
  recentPatients: Array<{ id: string; name: string; status: string }>;
}

let t: TestGateway;
let viewer: string;

beforeAll(async () => {
  t = await startTestGateway(testConfig(sqliteDatabase()));
  await seedDatabase(t.gateway.orm, { hospitals: 2, wards: 4, patients: 150, events: 3, seed: 7, now: new Date() });
  viewer = await t.token('viewer');
});
afterAll(async () => {
  await t?.close();
});

async function api<T>(name: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await t.gql<T>(op(name), variables, viewer);
  expect(res.body.errors).toBeUndefined();
  return res.body.data as T;
}

/** The API's map as the page should show it: ward id → patients' names in bed order. */
const namesByWard = (m: MapData): Record<string, string[]> =>
  Object.fromEntries(m.wardMapping.wards.map((w) => [w.ward.id, w.patients.map((p) => p.patient.name)]));

async function pageNamesByWard(page: Page): Promise<Record<string, string[]>> {
  return page.$$eval('[data-testid="ward"]', (wards) =>
    Object.fromEntries(wards.map((w) => [w.getAttribute('data-ward-id') ?? '', [...w.querySelectorAll('[data-testid="bed-name"]')].map((n) => n.textContent ?? '')])),
  );
}

/** Waits until the map panel is idle and shows the API's totals for this filter. */
async function mapShows(page: Page, expected: MapData, filtered: boolean): Promise<void> {
  const text = `${expected.wardMapping.totalPatients} patients in ${expected.wardMapping.totalWards} wards${filtered ? ' (filtered)' : ''}`;
  await page.locator('[data-testid="panel-map"][aria-busy="false"] [data-testid="map-totals"]', { hasText: text }).waitFor({ timeout: 5000 });
  expect(await page.getByTestId('map-totals').innerText()).toBe(text);
}

describe('dashboard over HTTP', () => {
  it('serves /dashboard with its assets, the trusted-document ids and the CSP, from the gateway only', async () => {
    const res = await fetch(`${t.url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, path]) => path);
    expect(assets.sort()).toEqual(['/dashboard/assets/dashboard.css', '/dashboard/assets/dashboard.js']);
    for (const path of assets) {
      const asset = await fetch(`${t.url}${path}`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i);
    }
    const config = JSON.parse(/<script type="application\/json" id="dashboard-config">(.*?)<\/script>/.exec(html)?.[1] ?? '{}') as { documents: Record<string, string> };
    const ids = createDocumentRegistry().ids();
    expect(config.documents).toEqual({ Dashboard: ids.Dashboard, WardMapping: ids.WardMapping, WardFilters: ids.WardFilters, DashboardChanges: ids.DashboardChanges });
  });
});

describeBrowser('dashboard in Chromium', () => {
  let browser: BrowserSession;
  const requests: Request[] = [];

  beforeAll(async () => {
    browser = await openBrowser({ width: 1920, height: 1080 });
    browser.page.on('request', (request) => requests.push(request));
    await browser.page.goto(`${t.url}/dashboard#token=${viewer}`);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the same counts, recent patients and ward patients as the API', async () => {
    const { page } = browser;
    const dash = await api<DashData>('Dashboard');
    const map = await api<MapData>('WardMapping');
    await page.locator('[data-testid="panel-counts"][aria-busy="false"] [data-testid="count-total"]', { hasText: String(dash.dashboardStats.totalPatients) }).waitFor();
    expect(await page.getByTestId('count-total').innerText()).toBe(String(dash.dashboardStats.totalPatients));
    expect(await page.getByTestId('count-inpatients').innerText()).toBe(String(dash.dashboardStats.inpatients));
    expect(await page.getByTestId('count-outpatients').innerText()).toBe(String(dash.dashboardStats.outpatients));
    expect(await page.getByTestId('recent-name').allInnerTexts()).toEqual(dash.recentPatients.map((p) => p.name));
    expect(dash.recentPatients).toHaveLength(30);
    await mapShows(page, map, false);
    expect(await pageNamesByWard(page)).toEqual(namesByWard(map));
    // Every ward is a block of its beds: one per bed of its capacity.
    for (const w of map.wardMapping.wards) expect(await page.locator(`[data-ward-id="${w.ward.id}"] .bed`).count()).toBe(w.capacityEstimate);
    // Signed in from the fragment, which is gone from the address bar; every panel shows its age.
    expect(page.url()).toBe(`${t.url}/dashboard`);
    expect(await page.getByTestId('age').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^updated \d+ s ago$/)]));
    await page.locator('[data-testid="live-state"]', { hasText: 'live' }).waitFor();
  });

  it('shows a patient admitted through the API within 2 s, without a reload', async () => {
    const { page } = browser;
    const dash = await api<DashData>('Dashboard', { recentLimit: 100 });
    const map = await api<MapData>('WardMapping');
    const patient = dash.recentPatients.find((p) => p.status === 'OUTPATIENT');
    const ward = map.wardMapping.wards.find((w) => w.patients.length < w.capacityEstimate);
    if (!patient || !ward) throw new Error('the seed has no outpatient or no free bed');
    const taken = new Set(ward.patients.map((p) => Number(p.bed)));
    const free = Array.from({ length: ward.capacityEstimate }, (_, i) => i + 1).find((n) => !taken.has(n)) ?? 0;
    const bed = String(free).padStart(3, '0');
    const navigations = requests.filter((r) => r.isNavigationRequest()).length;

    const admitted = await t.gql(op('AdmitPatient'), { input: { patientId: patient.id, wardId: ward.ward.id, bed } }, await t.token('clinician'));
    expect(admitted.body.errors).toBeUndefined();
    const started = Date.now();
    const block = page.locator(`[data-ward-id="${ward.ward.id}"] [data-testid="bed"][data-patient-id="${patient.id}"]`);
    await block.waitFor({ timeout: 2000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await block.locator('[data-testid="bed-name"]').innerText()).toBe(patient.name);
    await page.getByTestId('count-inpatients').filter({ hasText: String(dash.dashboardStats.inpatients + 1) }).waitFor({ timeout: 2000 });
    expect(requests.filter((r) => r.isNavigationRequest()).length).toBe(navigations);
    expect(await pageNamesByWard(page)).toEqual(namesByWard(await api<MapData>('WardMapping')));
  });

  it('filters by ward, tag and name search exactly as the API does', async () => {
    const { page } = browser;
    const options = await api<{ wardFilters: { wards: Array<{ id: string }>; tags: Array<{ id: string }> } }>('WardFilters');
    const [ward] = options.wardFilters.wards;
    const tags = options.wardFilters.tags.slice(0, 2).map((tag) => tag.id);

    await page.locator(`[data-testid="filter-ward"][data-ward-id="${ward.id}"]`).click();
    const byWard = await api<MapData>('WardMapping', { filter: { wardIds: [ward.id] } });
    await mapShows(page, byWard, true);
    expect(await pageNamesByWard(page)).toEqual(namesByWard(byWard));
    expect(Object.keys(namesByWard(byWard))).toEqual([ward.id]);

    for (const tag of tags) await page.locator(`[data-testid="filter-tag"][data-tag-id="${tag}"]`).click();
    const byTag = await api<MapData>('WardMapping', { filter: { wardIds: [ward.id], tagIds: tags } });
    await mapShows(page, byTag, true);
    expect(await pageNamesByWard(page)).toEqual(namesByWard(byTag));

    await page.getByTestId('filter-clear').click();
    await page.getByTestId('filter-search').fill('an');
    const bySearch = await api<MapData>('WardMapping', { filter: { search: 'an' } });
    expect(bySearch.wardMapping.totalPatients).toBeLessThan((await api<MapData>('WardMapping')).wardMapping.totalPatients);
    await mapShows(page, bySearch, true);
    expect(await pageNamesByWard(page)).toEqual(namesByWard(bySearch));
  });

  it('sends every request to the gateway, reads by trusted-document id, and never puts the token in a URL', async () => {
    const origin = new URL(t.url).origin;
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.map((r) => new URL(r.url()).origin).filter((o) => o !== origin)).toEqual([]);
    expect(browser.external).toEqual([]);
    expect(requests.filter((r) => r.url().includes(viewer))).toEqual([]);
    const reads = requests.filter((r) => new URL(r.url()).pathname === '/graphql');
    expect(reads.length).toBeGreaterThan(0);
    const ids = new Set(Object.values(createDocumentRegistry().ids()));
    for (const r of reads) {
      expect(r.method()).toBe('GET');
      expect(ids.has(new URL(r.url()).searchParams.get('documentId') ?? '')).toBe(true);
      expect(await r.headerValue('authorization')).toBe(`Bearer ${viewer}`);
    }
    const stream = requests.filter((r) => new URL(r.url()).pathname === '/graphql/stream');
    expect(stream.length).toBeGreaterThan(0);
    expect(stream[0].method()).toBe('POST');
    expect(JSON.parse(stream[0].postData() ?? '{}')).toEqual({ documentId: createDocumentRegistry().ids().DashboardChanges, operationName: 'DashboardChanges' });
    expect(browser.pageErrors).toEqual([]);
  });

  it('refetches only the panels an event names, and that refetch is a hit once another client has refilled the cache', async () => {
    const { page } = browser;
    if (await page.getByTestId('filter-clear').isVisible()) await page.getByTestId('filter-clear').click();
    await mapShows(page, await api<MapData>('WardMapping'), false);
    const ids = createDocumentRegistry().ids();
    const nameOf = (url: string) => Object.entries(ids).find(([, id]) => id === new URL(url).searchParams.get('documentId'))?.[0];
    // The page's reads are held at the browser until the other client has read.
    const held: Route[] = [];
    await page.route('**/graphql?*', (route) => void held.push(route));
    try {
      const dash = await api<DashData>('Dashboard');
      const patient = dash.recentPatients[dash.recentPatients.length - 1];
      const recorded = await t.gql(op('RecordEvent'), { input: { patientId: patient.id, kind: 'vitals' } }, await t.token('clinician'));
      expect(recorded.body.errors).toBeUndefined();
      const giveUpAt = Date.now() + 3000;
      while (!held.some((r) => nameOf(r.request().url()) === 'Dashboard') && Date.now() < giveUpAt) await page.waitForTimeout(20);
      await page.waitForTimeout(300); // anything else the event made the page ask for
      // A clinical event feeds the Dashboard answer, not the ward map or the filter lists.
      expect(held.map((r) => nameOf(r.request().url()))).toEqual(['Dashboard']);

      // Another client reads the same document with the same variables first: a miss that refills.
      const url = held[0].request().url();
      const other = await fetch(url, { headers: { authorization: `Bearer ${viewer}` } });
      expect(((await other.json()) as { extensions: { cache: { hit: boolean } } }).extensions.cache.hit).toBe(false);
      const answered = page.waitForResponse((r) => r.url() === url);
      for (const route of held) await route.continue();
      await page.unroute('**/graphql?*');
      const response = await answered;
      expect(response.status()).toBe(200);
      const body = (await response.json()) as { data: { recentPatients: Array<{ id: string }> }; extensions: { cache: { hit: boolean } } };
      expect(body.extensions.cache.hit).toBe(true);
      expect(body.data.recentPatients[0].id).toBe(patient.id);
      await page.getByTestId('recent-name').first().filter({ hasText: patient.name }).waitFor({ timeout: 2000 });
    } finally {
      await page.unroute('**/graphql?*').catch(() => undefined);
    }
  });

  it('a refresh button shows "updating…" while it refetches, then the age of the new data', async () => {
    const { page } = browser;
    const ids = createDocumentRegistry().ids();
    const nameOf = (url: string) => Object.entries(ids).find(([, id]) => id === new URL(url).searchParams.get('documentId'))?.[0];
    const held: Route[] = [];
    await page.route('**/graphql?*', (route) => void held.push(route));
    try {
      await page.getByRole('button', { name: 'Refresh Patients' }).click();
      const counts = page.locator('[data-testid="panel-counts"]');
      await page.locator('[data-testid="panel-counts"][aria-busy="true"]').waitFor({ timeout: 2000 });
      expect(await counts.getByTestId('age').innerText()).toBe('updating…');
      expect(held.map((r) => nameOf(r.request().url()))).toEqual(['Dashboard']);
      for (const route of held.splice(0)) await route.continue();
      await page.locator('[data-testid="panel-counts"][aria-busy="false"]').waitFor({ timeout: 2000 });
      expect(await counts.getByTestId('age').innerText()).toMatch(/^updated \d+ s ago$/);
    } finally {
      await page.unroute('**/graphql?*');
    }
  });

  it('when its live stream connects only after failing, the page reads every panel again (events are not replayed)', async () => {
    const fresh = await openBrowser({ width: 1280, height: 860 });
    try {
      const { page } = fresh;
      const ids = createDocumentRegistry().ids();
      const nameOf = (url: string) => Object.entries(ids).find(([, id]) => id === new URL(url).searchParams.get('documentId'))?.[0];
      const reads: string[] = [];
      page.on('request', (r) => {
        const name = r.url().includes('/graphql?') ? nameOf(r.url()) : undefined;
        if (name) reads.push(name);
      });
      let refused = 0;
      await page.route('**/graphql/stream', (route) => {
        refused += 1;
        void route.abort();
      });
      await page.goto(`${t.url}/dashboard#token=${viewer}`);
      await page.locator('[data-testid="panel-counts"][aria-busy="false"] [data-testid="count-total"]').waitFor();
      const waitUntil = Date.now() + 5000;
      while (refused === 0 && Date.now() < waitUntil) await page.waitForTimeout(50);
      expect(refused).toBeGreaterThan(0);
      expect(await page.getByTestId('live-state').innerText()).not.toBe('● live');
      const before = reads.length;
      await page.unroute('**/graphql/stream');
      await page.locator('[data-testid="live-state"]', { hasText: /^● live$/ }).waitFor({ timeout: 20_000 });
      const giveUpAt = Date.now() + 3000;
      while (new Set(reads.slice(before)).size < 3 && Date.now() < giveUpAt) await page.waitForTimeout(50);
      expect([...new Set(reads.slice(before))].sort()).toEqual(['Dashboard', 'WardFilters', 'WardMapping']);
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it('signs in from the box: a bad token is refused and the box stays; a pasted token is kept in this tab only', async () => {
    const fresh = await openBrowser({ width: 1280, height: 860 }); // its own tab: nothing stored yet
    try {
      const { page } = fresh;
      const urls: string[] = [];
      page.on('request', (r) => urls.push(r.url()));
      await page.goto(`${t.url}/dashboard`);
      await page.getByTestId('sign-in').waitFor();
      await page.locator('#token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();
      expect(await page.getByTestId('sign-in').isVisible()).toBe(true);

      await page.locator('#token').fill(viewer);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const dash = await api<DashData>('Dashboard');
      await page.locator('[data-testid="count-total"]', { hasText: String(dash.dashboardStats.totalPatients) }).waitFor();
      // A string, evaluated in the page: the tests are typed for Node, without the DOM's names.
      const stored: unknown = await page.evaluate('({ session: Object.values(sessionStorage), local: Object.keys(localStorage).length, cookie: document.cookie })');
      expect(stored).toEqual({ session: [viewer], local: 0, cookie: '' });
      expect(urls.filter((u) => u.includes(viewer) || u.includes('not-a-token'))).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('takes screenshots on a wall screen and on a laptop', async () => {
    const { page } = browser;
    if (await page.getByTestId('filter-clear').isVisible()) await page.getByTestId('filter-clear').click();
    const map = await api<MapData>('WardMapping');
    await mapShows(page, map, false);
    const update = process.env.UPDATE_SCREENSHOTS === '1';
    await screenshot(page, [join(ROOT, 'test-artifacts', 'dashboard.png'), ...(update ? [join(ROOT, 'docs', 'dashboard.png')] : [])]);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForTimeout(200);
    await screenshot(page, [join(ROOT, 'test-artifacts', 'dashboard-laptop.png'), ...(update ? [join(ROOT, 'docs', 'dashboard-laptop.png')] : [])]);
  });
});
