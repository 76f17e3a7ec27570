/**
 * Browser tests: Debian's Chromium driven by playwright-core against the real
 * platform (the web app built by Vite, served by the control plane).
 *
 *     const web = await startWebTest();               // platform + browser; web app built if stale
 *     const page = await web.signedInPage();          // a fresh context signed in as admin, at /console/
 *     await page.getByRole('button', { name: 'Generate Keys' }).click();
 *     await web.close();
 *
 * Every page records the console errors and failed requests it saw (`errors(page)`),
 * and the CSP violations among them, so a test can assert none happened.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform, type TestPlatformOptions } from './platform.js';

const CHROMIUM = process.env.DRAWBRIDGE_TEST_CHROMIUM ?? '/usr/bin/chromium';
/** Browser tests run where Chromium is installed (`.ci/run` installs it). */
export const hasChromium = existsSync(CHROMIUM);

const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
}

const pageErrors = new WeakMap<Page, string[]>();

/** Console errors, uncaught exceptions and CSP violations the page reported. */
export const errors = (page: Page): string[] => pageErrors.get(page) ?? [];

export interface WebTest {
  platform: TestPlatform;
  browser: Browser;
  base: string;
  /** A fresh browser context (no cookies) with a page that records its errors. */
  newPage(): Promise<Page>;
  /** A fresh page signed in through the sign-in form; ends on `path` (default `/console/`). */
  signedInPage(username?: string, password?: string, path?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startWebTest(options: TestPlatformOptions = {}): Promise<WebTest> {
  await buildWeb({ ifStale: true, quiet: true });
  const platform = await startTestPlatform(options);
  const browser = await launchBrowser();
  const contexts: BrowserContext[] = [];
  const base = platform.url;
  const newPage = async () => {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    const seen: string[] = [];
    pageErrors.set(page, seen);
    page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
    // A refused API call (4xx) is the browser's own console line; the app shows those itself.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) seen.push(`console: ${m.text()}`);
    });
    return page;
  };
  return {
    platform,
    browser,
    base,
    newPage,
    async signedInPage(username = 'admin', password = ADMIN_PASSWORD, path = '/console/') {
      const page = await newPage();
      await signInThroughForm(page, path, username, password);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await platform.close();
    },
  };
}

/** Opens `path`, lands on the sign-in form, signs in, and waits to be back on `path`'s area. */
export async function signInThroughForm(page: Page, path: string, username: string, password: string): Promise<void> {
  await page.goto(path);
  await page.getByRole('textbox', { name: 'Username' }).fill(username);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.endsWith('/login'));
}

/** Invites `email` into `org` with `role` through the API and returns their temporary password. */
export async function inviteMember(platform: TestPlatform, org: string, email: string, role: 'admin' | 'developer'): Promise<string> {
  const invite = await platform.admin.post(`/api/v1/orgs/${org}/members`, { email, role });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${invite.text}`);
  return invite.body.temporaryPassword as string;
}
