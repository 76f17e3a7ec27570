import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, startWebTest, type WebTest } from '../helpers/browser.js';

/** What a new user sees at an address that does not exist, and the frame in a phone-sized window. */
describe.runIf(hasChromium)('web: unknown addresses and narrow windows', () => {
  let web: WebTest;
  const org = 'acme';
  beforeAll(async () => {
    web = await startWebTest();
    expect((await web.platform.admin.post('/api/v1/orgs', { name: 'Acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await web?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await web.signedInPage('admin', undefined, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  it('an unknown address in either area says "Page not found" and links back to that area (not a crashed page)', async () => {
    for (const [path, back, home] of [
      [`/console/o/${org}/no/such/page`, 'Back to the console', '/console/'],
      ['/portal/no-such-page', 'Back to the portal', '/portal/'],
    ] as const) {
      const page = await open(path);
      await page.getByRole('heading', { level: 2, name: 'Page not found' }).waitFor();
      expect(await page.getByText('There is no page at this address.').isVisible()).toBe(true);
      expect(await page.getByRole('link', { name: back }).getAttribute('href')).toBe(home);
      await expect.poll(() => page.title()).toBe('Page not found — Drawbridge');
      expect(errors(page)).toEqual([]);
    }
  });

  it('in a 390-pixel window the header stays one row; the organization and the other area are in the navigation', async () => {
    const page = await open(`/console/o/${org}/projects`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { level: 2, name: 'Projects' }).waitFor();
    const header = (await page.locator('header').boundingBox())!;
    const account = (await page.getByRole('button', { name: 'Administrator', exact: true }).boundingBox())!;
    expect(account.y + account.height).toBeLessThanOrEqual(header.y + header.height);
    const inHeader = page.locator('header');
    expect(await inHeader.getByRole('link', { name: 'Developer portal' }).isVisible()).toBe(false);
    expect(await inHeader.getByLabel('Organization', { exact: true }).isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    const nav = page.getByRole('navigation', { name: 'Console navigation' });
    await nav.getByRole('link', { name: 'Developer portal' }).waitFor();
    expect(await nav.getByLabel('Organization', { exact: true }).inputValue()).toBe('Acme');
    await nav.getByRole('link', { name: 'Developer portal' }).click();
    await page.waitForURL(`**/portal/o/${org}/**`);
    expect(errors(page)).toEqual([]);
  });
});
