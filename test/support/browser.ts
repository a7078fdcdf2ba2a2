import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (package `chromium`) through playwright-core; no browser
 * is ever downloaded. Missing Chromium: CI=true fails the suite, elsewhere it is skipped loudly.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * These flags keep Chromium off the network of its own accord (update checks, sync, field
 * trials): the machines reach nothing outside, and the tests assert nothing leaves 127.0.0.1.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium is not installed at ${CHROMIUM_PATH} (Debian: apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`${message}: CI=true requires it`);
  process.stderr.write(`\n*** SKIPPING browser tests: ${message}. ***\n\n`);
  return false;
}

/** `describe` when Chromium is there, `describe.skip` (reported as skipped) when not. */
export const describeBrowser = (name: string, fn: () => void): void =>
  chromiumAvailable() ? describe(name, fn) : describe.skip(name, fn);

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Every request the pages tried outside 127.0.0.1 (each was aborted). */
  external: string[];
  /** Uncaught page errors and console errors (CSP violations show up here). */
  pageErrors: string[];
  close(): Promise<void>;
}

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return (protocol === 'http:' || protocol === 'https:' || protocol === 'ws:') && hostname === '127.0.0.1';
}

/** Headless Chromium with a fresh profile; every request outside 127.0.0.1 is recorded and aborted. */
export async function openBrowser(viewport = { width: 1280, height: 860 }): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'wardcache-chromium-'));
  // A persistent context is how Playwright takes an explicit --user-data-dir (a new, empty one).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: 30_000,
  });
  const external: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    external.push(url);
    return route.abort('blockedbyclient');
  });
  // Requests that bypass routing (service workers, say) are still seen here.
  context.on('request', (request) => {
    if (!isLocal(request.url()) && !external.includes(request.url())) external.push(request.url());
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    external,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of the page to each path (folders made as needed). */
export async function screenshot(page: Page, paths: string[]): Promise<void> {
  const image = await page.screenshot({ fullPage: true });
  for (const path of paths) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, image);
  }
}
