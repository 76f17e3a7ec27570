import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, startWebTest, type WebTest } from '../helpers/browser.js';
import { ADMIN_PASSWORD } from '../helpers/platform.js';

/** Page titles and focus on navigation, the session's edges (401s, a stale CSRF token) and personal API tokens. */
describe.runIf(hasChromium)('console: navigation and session', () => {
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
  const focused = (page: Page) => page.evaluate('`${document.activeElement?.tagName} ${document.activeElement?.textContent}`') as Promise<string>;

  it("each page names the browser tab, most specific first, and navigation moves the focus to the page's heading", async () => {
    const page = await open(`/console/o/${org}/projects`);
    await page.getByRole('heading', { level: 2, name: 'Projects' }).waitFor();
    await expect.poll(() => page.title()).toBe('Projects · Acme — Drawbridge');

    await page.getByRole('link', { name: 'Default project' }).click();
    await page.getByRole('heading', { level: 2, name: 'Default project' }).waitFor();
    await expect.poll(() => page.title()).toBe('Default project · Acme — Drawbridge');
    await expect.poll(() => focused(page)).toBe('H2 Default project');

    await page.getByRole('tab', { name: 'Connections' }).click();
    await page.getByRole('heading', { level: 2, name: 'Connections' }).waitFor();
    await expect.poll(() => page.title()).toBe('Connections · Default project · Acme — Drawbridge');
    await expect.poll(() => focused(page)).toBe('H2 Connections');

    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { level: 2, name: 'Members' }).waitFor();
    await expect.poll(() => page.title()).toBe('Members · Acme — Drawbridge');
    await expect.poll(() => focused(page)).toBe('H2 Members');
    expect(errors(page)).toEqual([]);
  });

  it('a 401 that is not the API\'s "unauthenticated" (an OAuth error passed on) shows its message and keeps the user signed in', async () => {
    const page = await open(`/console/o/${org}/projects`);
    await page.getByRole('heading', { level: 2, name: 'Projects' }).waitFor();
    await page.route('**/api/v1/orgs/acme/members', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ error: 'invalid_token', error_description: 'The upstream token was refused' }),
      }),
    );
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('alert').getByText('The upstream token was refused').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/o/${org}/members`);
    await page.unroute('**/api/v1/orgs/acme/members');
    // The API's own 401 does sign out, back to the page afterwards.
    await page.route('**/api/v1/orgs/acme/audit*', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: JSON.stringify({ code: 'unauthenticated', message: 'Sign in first' }),
      }),
    );
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL('**/console/login?next=*');
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/console/o/${org}/audit`);
  });

  it('a CSRF token that no longer matches the session (signed in again elsewhere) is refreshed and the call retried once', async () => {
    const page = await open(`/console/o/${org}/projects`);
    await page.getByRole('heading', { level: 2, name: 'Projects' }).waitFor();
    // A new sign-in (another tab) replaces the browser's session cookie: the page still holds the old session's token.
    const again = await fetch(`${web.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(again.status).toBe(200);
    const [name, value] = again.headers.getSetCookie()[0]!.split(';')[0]!.split('=') as [string, string];
    expect(name).toBe('drawbridge_session');
    await page.context().addCookies([{ name, value, url: web.base, httpOnly: true, sameSite: 'Strict' }]);
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith(`/api/v1/orgs/${org}/projects`) && r.request().method() === 'POST') statuses.push(r.status());
    });
    await page.getByRole('button', { name: '+ Create project' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a project' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Mobile');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 2, name: 'Mobile' }).waitFor();
    expect(statuses).toEqual([403, 201]);
    expect((await web.platform.admin.get(`/api/v1/orgs/${org}/projects/mobile`)).status).toBe(200);
    expect(errors(page).filter((e) => !e.includes('403'))).toEqual([]);
  });

  it('API tokens in the account menu: create one (shown once), it signs in the API, revoke it after confirming', async () => {
    const page = await open(`/console/o/${org}/projects`);
    await page.getByRole('button', { name: 'Administrator', exact: true }).click();
    await page.getByRole('menuitem', { name: 'API tokens' }).click();
    const dialog = page.getByRole('dialog', { name: 'API tokens' });
    await dialog.getByRole('textbox', { name: 'Token name' }).fill('ci-deploy');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByRole('alert').getByText('You will not see this token again.').waitFor();
    await dialog.getByRole('button', { name: 'Show API token ci-deploy' }).click();
    const token = await dialog.getByRole('textbox', { name: 'API token ci-deploy' }).inputValue();
    const me = await fetch(`${web.base}/api/v1/orgs`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    await dialog.getByRole('button', { name: 'I have copied the token' }).click();
    await dialog.getByRole('textbox', { name: 'API token ci-deploy' }).waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);
    await dialog.getByRole('table', { name: 'API tokens' }).getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor();

    await dialog.getByRole('button', { name: 'Revoke ci-deploy' }).click();
    await page.getByRole('dialog', { name: 'Revoke the API token "ci-deploy"?' }).getByRole('button', { name: 'Revoke ci-deploy' }).click();
    await dialog.getByRole('cell', { name: 'ci-deploy', exact: true }).waitFor({ state: 'detached' });
    expect((await fetch(`${web.base}/api/v1/orgs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(errors(page)).toEqual([]);
  });
});
