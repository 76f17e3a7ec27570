import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, type WebTest } from '../helpers/browser.js';
import { echoBackend, memberPage, publishApi, startPortalWebTest, webOrg, type WebOrg } from '../portal/web-setup.js';

/**
 * Who sees what in the portal's pages: exactly what the portal API lets
 * each member see. A developer does not see a private API (not in the
 * catalogue, not by its address) until an admin puts them on its allow-list;
 * a member of another organization sees nothing of this one; someone else's
 * application is read only.
 */

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Developer portal navigation' }).getByRole('link', { name });
const apiNames = (page: Page) => page.getByRole('list', { name: 'APIs' }).getByRole('listitem').getByRole('link').allTextContents();

describe.runIf(hasChromium)('portal visibility in the browser', () => {
  let web: WebTest;
  let backend: Awaited<ReturnType<typeof echoBackend>>;
  let acme: WebOrg;
  let globex: WebOrg;
  let secret: { id: string };
  let weather: { id: string };
  let adminApp: string;
  let dev: Page;

  beforeAll(async () => {
    [web, backend] = await Promise.all([startPortalWebTest(), echoBackend()]);
    acme = await webOrg(web.platform, 'Acme');
    globex = await webOrg(web.platform, 'Globex');
    weather = await publishApi(web.platform, acme, 'weather', 'Weather API', backend.url);
    secret = await publishApi(web.platform, acme, 'secret', 'Secret API', backend.url, { visibility: 'private' });
    await publishApi(web.platform, globex, 'ledger', 'Ledger API', backend.url);
    const app = await web.platform.admin.post(`${acme.path}/portal/applications`, { name: 'Admin App' });
    adminApp = app.body.id;
    expect((await web.platform.admin.post(`${globex.path}/portal/applications`, { name: 'Globex App' })).status).toBe(201);
    dev = await memberPage(web, acme, 'dev@acme.test', 'developer');
  });
  afterAll(async () => {
    await web?.close();
    await backend?.close();
  });

  it('a developer sees the public API only: not the private one in the catalogue, by search or by its address', async () => {
    await dev.getByRole('list', { name: 'APIs' }).waitFor();
    expect(await apiNames(dev)).toEqual(['Weather API']);
    await dev.getByRole('searchbox', { name: 'Search APIs' }).fill('secret');
    await dev.getByText('No API matches "secret"').waitFor();
    await dev.goto(`/portal/o/${acme.handle}/apis/${secret.id}`);
    const alert = dev.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Could not load: APIAPI not found');
    expect(errors(dev)).toEqual([]);
  });

  it('an admin sees the private API, marked private; a developer on its allow-list sees it too', async () => {
    const admin = await web.signedInPage('admin', undefined, `/portal/o/${acme.handle}/apis`);
    await admin.getByRole('list', { name: 'APIs' }).waitFor();
    await expect.poll(() => apiNames(admin)).toEqual(['Secret API', 'Weather API']);
    expect(await admin.getByRole('listitem').filter({ hasText: 'Secret API' }).getByText('private', { exact: true }).count()).toBe(1);
    expect((await web.platform.admin.post(`${acme.path}/portal/apis/${secret.id}/access`, { email: 'dev@acme.test' })).status).toBe(200);
    await dev.goto(`/portal/o/${acme.handle}/apis/${secret.id}`);
    await dev.getByRole('heading', { name: 'Secret API', level: 2 }).waitFor();
    await nav(dev, 'APIs').click();
    await expect.poll(() => apiNames(dev)).toEqual(['Secret API', 'Weather API']);
  });

  it('a member of another organization sees nothing of this one', async () => {
    const outsider = await memberPage(web, globex, 'dev@globex.test', 'developer');
    await outsider.getByRole('list', { name: 'APIs' }).waitFor();
    expect(await apiNames(outsider)).toEqual(['Ledger API']);
    await nav(outsider, 'Applications').click();
    await outsider.getByRole('table', { name: 'Applications' }).waitFor();
    expect(await outsider.getByRole('table', { name: 'Applications' }).getByRole('link').allTextContents()).toEqual(['Globex App']);
    for (const path of [`/portal/o/${acme.handle}/apis`, `/portal/o/${acme.handle}/apis/${weather.id}`, `/portal/o/${acme.handle}/applications/${adminApp}`]) {
      await outsider.goto(path);
      const alert = outsider.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent(), path).toMatch(/Organization not found$/);
    }
    expect(await outsider.getByText('Weather API').count()).toBe(0);
  });

  it("someone else's application is read only: no Edit, Delete, Generate Credentials or Subscribe, and Try it needs an application of one's own", async () => {
    await dev.goto(`/portal/o/${acme.handle}/applications`);
    const row = dev.getByRole('table', { name: 'Applications' }).getByRole('row').filter({ hasText: 'Admin App' });
    expect(await row.textContent()).toBe('Admin Appadminread onlynone0');
    await row.getByRole('link', { name: 'Admin App' }).click();
    await dev.getByRole('heading', { name: 'Admin App', level: 2 }).waitFor();
    await dev.getByText("Only the application's owner (admin) or an admin can generate them.").waitFor();
    for (const name of ['Edit', 'Delete', 'Generate Credentials']) expect(await dev.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await dev.getByRole('tab', { name: 'Subscriptions' }).click();
    await dev.getByText('No subscriptions yet').waitFor();
    expect(await dev.getByRole('button', { name: 'Subscribe' }).count()).toBe(0);
    await dev.goto(`/portal/o/${acme.handle}/apis/${weather.id}?tab=try-it`);
    await dev.getByText('You need an application').waitFor();
    expect(await dev.getByRole('link', { name: 'Create an application' }).getAttribute('href')).toBe(`/portal/o/${acme.handle}/applications`);
    expect(errors(dev)).toEqual([]);
  });
});
