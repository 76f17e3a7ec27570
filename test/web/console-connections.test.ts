import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, inviteMember, signInThroughForm, startWebTest, type WebTest } from '../helpers/browser.js';

/**
 * A project's Connections: connect a consumer (a component, or the project)
 * to a published API, see the connection parameters per environment as
 * environment variables, Copy as .env (the clipboard holds exactly the lines
 * shown), the secret once; the API's refusals shown with their message.
 */

describe.runIf(hasChromium)('console: connections', { timeout: 60_000 }, () => {
  let web: WebTest;
  let org: string;
  let developerPassword: string;

  const openAs = async (page: Page) => {
    page.setDefaultTimeout(15_000);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.base });
    return page;
  };
  const clipboard = (page: Page) => page.evaluate('navigator.clipboard.readText()') as Promise<string>;
  const connectionsUrl = () => `/console/o/${org}/projects/default/connections`;

  beforeAll(async () => {
    web = await startWebTest();
    const admin = web.platform.admin;
    org = (await admin.post('/api/v1/orgs', { name: 'Connections Console' })).body.handle;
    const components = `/api/v1/orgs/${org}/projects/default/components`;
    await admin.post(components, { type: 'api-proxy', name: 'orders', displayName: 'Orders' });
    await admin.post(components, { type: 'api-proxy', name: 'drafts', displayName: 'Drafts' });
    await admin.post(components, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' });
    const base = `${components}/orders/api`;
    await admin.put(base, {
      contextPath: '/orders',
      version: 'v1',
      resources: [{ method: 'GET', path: '/items', security: { oauth2: true, scopes: ['orders:read'] } }],
      backendUrls: { development: 'http://127.0.0.1:9/orders' },
    });
    await admin.post(`${base}/deployments`, { environment: 'development' });
    await admin.post(`${base}/lifecycle`, { state: 'published' });
    await admin.put(`${components}/drafts/api`, { contextPath: '/drafts', version: 'v1', resources: [{ method: 'GET', path: '/' }] });
    developerPassword = await inviteMember(web.platform, org, 'dev@example.com', 'developer');
  });
  afterAll(async () => {
    await web?.close();
  });

  it('connects a component to a published API and shows the parameters as .env lines, the secret once', async () => {
    const page = await openAs(await web.signedInPage('admin', undefined, connectionsUrl()));
    await page.getByText('No connections yet', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Create Connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Connection' });
    await dialog.getByRole('combobox', { name: 'API' }).click();
    // Only published APIs are offered.
    expect(await page.getByRole('option').allTextContents()).toEqual(['Orders (default/orders) /orders/v1']);
    await page.getByRole('option', { name: 'Orders (default/orders) /orders/v1' }).click();
    expect(await dialog.getByRole('textbox', { name: 'Connection name' }).inputValue()).toBe('orders');
    // The scopes its resources need are said before any key is made (a token without them gets 403 insufficient_scope).
    const scopes = dialog.getByRole('note', { name: 'Scopes the API needs' });
    expect(await scopes.textContent()).toContain('Orders:orders:read');
    expect(await scopes.textContent()).toContain('insufficient_scope');
    await dialog.getByRole('combobox', { name: 'Consumer' }).click();
    await page.getByRole('option', { name: 'Mobile (mobile)' }).click();
    expect(await dialog.getByText('Already connected').count()).toBe(0);
    await dialog.getByRole('textbox', { name: 'Connection name' }).fill('mobile-orders');
    await dialog.getByRole('button', { name: 'Connect' }).click();

    const created = page.getByRole('dialog', { name: 'Connection mobile-orders created' });
    await created.getByText('You will not see this secret again.', { exact: false }).waitFor();
    await created.getByRole('button', { name: 'Show Consumer secret (Development)' }).click();
    const secret = await created.getByRole('textbox', { name: 'Consumer secret (Development)' }).inputValue();
    const [connection] = (await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/connections`)).body;
    const development = connection.environments.find((e: { environment: string }) => e.environment === 'development');
    const { ServiceURL, TokenURL, ConsumerKey } = development.params;
    expect(Object.keys(development.params)).toEqual(['ServiceURL', 'TokenURL', 'ConsumerKey']);
    expect(secret).toMatch(/^\S{20,}$/);

    // On screen the secret is masked; the copy holds it.
    expect(await created.locator('pre').textContent()).toBe(`ServiceURL=${ServiceURL}\nTokenURL=${TokenURL}\nConsumerKey=${ConsumerKey}\nConsumerSecret=••••••••••••\n`);
    await created.getByRole('button', { name: 'Copy as .env' }).click();
    expect(await clipboard(page)).toBe(`ServiceURL=${ServiceURL}\nTokenURL=${TokenURL}\nConsumerKey=${ConsumerKey}\nConsumerSecret=${secret}\n`);
    await created.getByRole('button', { name: 'Done' }).click();

    // Listed afterwards, without the secret: the lines shown are the lines copied.
    const card = page.getByRole('region', { name: 'mobile-orders' });
    const env = `ServiceURL=${ServiceURL}\nTokenURL=${TokenURL}\nConsumerKey=${ConsumerKey}\n`;
    expect(await card.locator('pre').textContent()).toBe(env);
    await card.getByRole('button', { name: 'Copy as .env' }).click();
    expect(await clipboard(page)).toBe(env);
    expect(await card.getByText('Component level', { exact: true }).count()).toBe(1);

    // Production: not deployed there; its own URL and keys.
    await card.locator('label', { hasText: 'Production' }).click();
    expect(await card.getByRole('radio', { name: 'Production' }).isChecked()).toBe(true);
    const production = connection.environments.find((e: { environment: string }) => e.environment === 'production');
    expect(await card.locator('pre').textContent()).toBe(`ServiceURL=${production.params.ServiceURL}\nTokenURL=${TokenURL}\nConsumerKey=${production.params.ConsumerKey}\n`);
    expect(await card.getByText('Not deployed in Production', { exact: true }).count()).toBe(1);
    expect(errors(page)).toEqual([]);
  });

  it('warns when the consumer is already connected to the chosen API', async () => {
    const page = await openAs(await web.signedInPage('admin', undefined, connectionsUrl()));
    await page.getByRole('region', { name: 'mobile-orders' }).waitFor();
    await page.getByRole('button', { name: 'Create Connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Connection' });
    await dialog.getByRole('combobox', { name: 'API' }).click();
    await page.getByRole('option', { name: 'Orders (default/orders) /orders/v1' }).click();
    await dialog.getByRole('combobox', { name: 'Consumer' }).click();
    await page.getByRole('option', { name: 'Mobile (mobile)' }).click();
    const warning = dialog.getByRole('note', { name: 'Already connected' });
    expect(await warning.textContent()).toContain('The connection mobile-orders already connects mobile to this API');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("refuses a duplicate name with the API's message on the field; connects the project itself", async () => {
    const page = await openAs(await web.signedInPage('admin', undefined, connectionsUrl()));
    await page.getByRole('button', { name: 'Create Connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Connection' });
    await dialog.getByRole('combobox', { name: 'API' }).click();
    await page.getByRole('option', { name: 'Orders (default/orders) /orders/v1' }).click();
    await dialog.getByRole('textbox', { name: 'Connection name' }).fill('mobile-orders');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('A connection named "mobile-orders" already exists in project "default"');
    expect(await dialog.getByText('is taken', { exact: true }).count()).toBe(1);

    await dialog.getByRole('textbox', { name: 'Connection name' }).fill('shared-orders');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    const created = page.getByRole('dialog', { name: 'Connection shared-orders created' });
    await created.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('region', { name: 'shared-orders' }).getByText('Project level', { exact: true }).waitFor();
    expect((await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/connections/shared-orders`)).body).toMatchObject({ level: 'project', component: null });
  });

  it("a developer sees the connections and gets the API's refusal for an application they do not own; deleting is the owner's", async () => {
    const page = await web.newPage();
    await openAs(page);
    await signInThroughForm(page, connectionsUrl(), 'dev@example.com', developerPassword);
    const card = page.getByRole('region', { name: 'mobile-orders' });
    await card.waitFor();
    await page.getByRole('button', { name: 'Create Connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Connection' });
    await dialog.getByRole('combobox', { name: 'API' }).click();
    await page.getByRole('option', { name: 'Orders (default/orders) /orders/v1' }).click();
    await dialog.getByRole('combobox', { name: 'Consumer' }).click();
    await page.getByRole('option', { name: 'Mobile (mobile)' }).click();
    await dialog.getByRole('textbox', { name: 'Connection name' }).fill('dev-orders');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Only the owner of application "mobile" or an organization admin can connect it or remove its connections');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await card.getByRole('button', { name: 'Delete connection mobile-orders' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete connection mobile-orders?' });
    await confirm.getByRole('button', { name: 'Delete mobile-orders' }).click();
    await confirm.getByRole('alert').waitFor();
    expect(await confirm.getByRole('alert').textContent()).toContain('Only the owner of application "mobile" or an organization admin');
    expect((await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/connections/mobile-orders`)).status).toBe(200);
  });

  it('the admin deletes a connection', async () => {
    const page = await openAs(await web.signedInPage('admin', undefined, connectionsUrl()));
    const card = page.getByRole('region', { name: 'shared-orders' });
    await card.getByRole('button', { name: 'Delete connection shared-orders' }).click();
    await page.getByRole('dialog', { name: 'Delete connection shared-orders?' }).getByRole('button', { name: 'Delete shared-orders' }).click();
    await card.waitFor({ state: 'detached' });
    expect((await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/connections`)).body.map((c: { name: string }) => c.name)).toEqual(['mobile-orders']);
    expect(errors(page)).toEqual([]);
  });

  it('keys generated for a connected consumer show in its connection without a reload (the connections list is refreshed)', async () => {
    const admin = web.platform.admin;
    expect((await admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'tablet', displayName: 'Tablet' })).status).toBe(201);
    expect((await admin.post(`/api/v1/orgs/${org}/projects/default/connections`, { name: 'tablet-orders', api: 'default/orders', component: 'tablet', generateKeys: false })).status).toBe(201);
    const page = await openAs(await web.signedInPage('admin', undefined, connectionsUrl()));
    const card = page.getByRole('region', { name: 'tablet-orders' });
    await card.getByText('No keys in Development').waitFor();

    // Within the same page (no reload, and well inside the lists' 10 s freshness), generate the keys and come back.
    await card.getByRole('link', { name: 'tablet' }).click();
    await page
      .getByRole('table', { name: 'Authentication Configurations' })
      .getByRole('row', { name: /^Development/ })
      .getByRole('button', { name: 'Configure' })
      .click();
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await page.goBack();
    await page.goBack();
    const [connection] = (await admin.get(`/api/v1/orgs/${org}/projects/default/connections/tablet-orders`)).body.environments.filter((e: { environment: string }) => e.environment === 'development');
    await card.getByText(`ConsumerKey=${connection.params.ConsumerKey}`).waitFor();
    expect(await card.getByText('No keys in Development').count()).toBe(0);
  });
});
