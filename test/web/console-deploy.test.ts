import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, startWebTest, type WebTest } from '../helpers/browser.js';

/**
 * The console's Deploy tab: Configure & Deploy asks for every ${parameter}
 * (a missing one shows the API's error), Save & Deploy makes the gateway
 * serve the API (called with a token of a subscribed application), values
 * the environment holds are reused, the history, rollback, and Promote
 * asking for the next environment's values.
 */

interface Backend {
  server: Server;
  url: string;
  seen: IncomingHttpHeaders[];
}

async function backend(): Promise<Backend> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tenant: req.headers['x-tenant'] ?? null, apiKey: req.headers['x-api-key'] ?? null, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe.runIf(hasChromium)('console: deploy and promote', { timeout: 60_000 }, () => {
  let web: WebTest;
  let dev: Backend;
  let prod: Backend;
  let org: string;
  let base: string;
  let consumer: { key: string; secret: string };
  let page: Page;

  beforeAll(async () => {
    [dev, prod] = await Promise.all([backend(), backend()]);
    web = await startWebTest();
    const admin = web.platform.admin;
    org = (await admin.post('/api/v1/orgs', { name: 'Deploy Console' })).body.handle;
    await admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders' });
    await admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' });
    base = `/api/v1/orgs/${org}/projects/default/components/orders/api`;
    const defined = await admin.put(base, {
      contextPath: '/orders',
      version: 'v1',
      resources: [{ method: 'GET', path: '/items', security: { oauth2: true, scopes: [] } }],
      backendUrls: { development: `${dev.url}/svc` },
      policies: [
        {
          policy: 'set-headers@1.0.0',
          config: {
            headers: [
              { name: 'X-Tenant', value: '${tenant}' },
              { name: 'X-Api-Key', value: '${apiKey}' },
            ],
          },
        },
      ],
    });
    if (defined.status !== 201) throw new Error(defined.text);
    await admin.post(`${base}/lifecycle`, { state: 'published' });
    // A subscribed application with keys: the consumer's connection to the API (its keys in every environment).
    const connection = await admin.post(`/api/v1/orgs/${org}/projects/default/connections`, { name: 'mobile-orders', api: 'default/orders', component: 'mobile' });
    if (connection.status !== 201) throw new Error(connection.text);
    const params = connection.body.environments[0].params;
    consumer = { key: params.ConsumerKey, secret: params.ConsumerSecret };
    page = await web.signedInPage('admin', undefined, `/console/o/${org}/projects/default/apis/orders/deploy`);
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await web?.close();
    for (const b of [dev, prod]) b?.server.close();
  });

  async function token(): Promise<string> {
    const res = await fetch(`${web.platform.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${consumer.key}:${consumer.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token: string };
    if (res.status !== 200) throw new Error(JSON.stringify(body));
    return body.access_token;
  }

  /** Calls GET /items through the development gateway until it answers `want` (the snapshot follows within moments). */
  async function callUntil(want: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const url = `${web.platform.runtime.gateway('development')!.url}/${org}/orders/v1/items`;
    const bearer = await token();
    let last: { status: number; body: unknown } = { status: 0, body: null };
    for (let i = 0; i < 50; i++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
      last = { status: res.status, body: await res.json() };
      if (res.status === 200 && JSON.stringify(last.body) === JSON.stringify(want)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  }

  const section = (name: string) => page.getByRole('region', { name });
  const historyRows = (env: string) =>
    page
      .getByRole('table', { name: `Deployment history (${env})` })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => (td.textContent ?? '').trim())));

  it("Configure & Deploy asks for every parameter, shows the API's error for a missing one, then Save & Deploy serves the API", async () => {
    const development = section('Development');
    await development.getByText('Not deployed', { exact: true }).waitFor();
    const endpoint = (await web.platform.admin.get(base)).body.endpoints[0].url;
    expect(await development.getByRole('textbox', { name: 'Endpoint URL (Development)' }).inputValue()).toBe(endpoint);
    await development.getByRole('button', { name: 'Configure & Deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Configure & Deploy: Development' });
    expect(await dialog.getByRole('textbox', { name: 'Endpoint URL' }).inputValue()).toBe(endpoint);
    expect(await dialog.getByRole('textbox', { name: 'Backend URL' }).inputValue()).toBe(`${dev.url}/svc`);
    await dialog.getByRole('textbox', { name: 'tenant' }).waitFor();
    expect(await dialog.getByRole('textbox', { name: 'apiKey' }).count()).toBe(1);
    await dialog.getByRole('textbox', { name: 'tenant' }).fill('acme');
    await dialog.getByRole('button', { name: 'Save & Deploy' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Missing values for parameters: apiKey');
    expect(await dialog.getByText('is required', { exact: true }).count()).toBe(1);
    expect((await web.platform.admin.get(`${base}/deployments`)).body).toEqual([]);

    // Marked secret, the value is masked and stored sealed.
    await dialog.getByRole('checkbox', { name: 'apiKey is secret' }).check();
    const apiKey = dialog.locator('input[type=password]');
    await apiKey.fill('k-123');
    await dialog.getByRole('button', { name: 'Save & Deploy' }).click();
    await dialog.waitFor({ state: 'detached' });
    await development.getByText('Active: revision 1', { exact: true }).waitFor();
    const [deployment] = (await web.platform.admin.get(`${base}/deployments?environment=development`)).body;
    expect(deployment).toMatchObject({ revision: 1, status: 'active', backendUrl: `${dev.url}/svc`, params: { tenant: { secret: false, value: 'acme' }, apiKey: { secret: true } } });

    expect(await callUntil({ tenant: 'acme', apiKey: 'k-123', path: '/svc/items' })).toEqual({ status: 200, body: { tenant: 'acme', apiKey: 'k-123', path: '/svc/items' } });
    expect(errors(page).filter((e) => !e.includes('status of 4'))).toEqual([]);
  });

  it('redeploys with the values the environment holds, lists the history and rolls back', async () => {
    const development = section('Development');
    await development.getByRole('button', { name: 'Configure & Deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Configure & Deploy: Development' });
    const tenant = dialog.getByRole('textbox', { name: 'tenant' });
    await tenant.waitFor();
    expect(await tenant.inputValue()).toBe('acme');
    const apiKey = dialog.locator('input[type=password]');
    expect(await apiKey.inputValue()).toBe('');
    expect(await apiKey.getAttribute('placeholder')).toBe('Keep the current value');
    await tenant.fill('globex');
    await dialog.getByRole('button', { name: 'Save & Deploy' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.waitForFunction(`document.querySelectorAll('table[aria-label="Deployment history (Development)"] tbody tr').length === 2`);
    expect(await historyRows('Development')).toEqual([
      ['1', 'active', 'tenant=globexapiKey=••••'],
      ['1', 'superseded', 'tenant=acmeapiKey=••••'],
    ]);
    expect((await callUntil({ tenant: 'globex', apiKey: 'k-123', path: '/svc/items' })).body).toEqual({ tenant: 'globex', apiKey: 'k-123', path: '/svc/items' });

    await development.getByRole('button', { name: 'Roll back', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Roll back Development?' });
    await confirm.getByRole('button', { name: 'Roll back Development' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.waitForFunction(`document.querySelectorAll('table[aria-label="Deployment history (Development)"] tbody tr').length === 3`);
    expect((await historyRows('Development'))[0]).toEqual(['1', 'active', 'tenant=acmeapiKey=••••']);
    expect((await callUntil({ tenant: 'acme', apiKey: 'k-123', path: '/svc/items' })).body).toEqual({ tenant: 'acme', apiKey: 'k-123', path: '/svc/items' });
    expect(await page.getByRole('table', { name: 'Revisions' }).locator('tbody tr td').first().textContent()).toBe('1');
  });

  it("a deploy that fails (a required parameter left empty) changes neither the API's backend URLs nor its deployments", async () => {
    const before = (await web.platform.admin.get(base)).body;
    const deploymentsBefore = (await web.platform.admin.get(`${base}/deployments`)).body;
    const production = section('Production');
    await production.getByRole('button', { name: 'Configure & Deploy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Configure & Deploy: Production' });
    await dialog.getByRole('textbox', { name: 'Backend URL' }).fill(`${prod.url}/changed`);
    await dialog.getByRole('textbox', { name: 'tenant' }).waitFor();
    await dialog.getByRole('textbox', { name: 'tenant' }).fill('acme-prod');
    // apiKey left empty.
    await dialog.getByRole('button', { name: 'Save & Deploy' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Missing values for parameters: apiKey');
    const after = (await web.platform.admin.get(base)).body;
    expect(after.backendUrls).toEqual({ development: `${dev.url}/svc` });
    expect(after.updatedAt).toBe(before.updatedAt);
    expect((await web.platform.admin.get(`${base}/deployments`)).body).toEqual(deploymentsBefore);
    expect((await web.platform.admin.get(`${base}/deployments?environment=production`)).body).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("Promote opens a dialog asking for the next environment's values, then runs the same revision there", async () => {
    const development = section('Development');
    expect(await section('Production').getByRole('button', { name: 'Promote' }).count()).toBe(0);
    await development.getByRole('button', { name: 'Promote' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote from Development to Production' });
    await dialog.getByText("Revision 1, which runs in Development, will run in Production with Production's values.").waitFor();
    expect(await dialog.getByRole('textbox', { name: 'Backend URL' }).inputValue()).toBe('');
    await dialog.getByRole('textbox', { name: 'Backend URL' }).fill(prod.url);
    const tenant = dialog.getByRole('textbox', { name: 'tenant' });
    await tenant.waitFor();
    // apiKey is secret in Development: masked here, and stored sealed in Production.
    const apiKey = dialog.locator('input[type=password]');
    expect(await apiKey.count()).toBe(1);
    await dialog.getByRole('button', { name: 'Promote to Production' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Missing values for parameters: tenant, apiKey');

    await tenant.fill('acme-prod');
    await apiKey.fill('prod-key');
    await dialog.getByRole('button', { name: 'Promote to Production' }).click();
    // Either the dialog closes or it shows why not; a failure names the reason.
    await dialog.waitFor({ state: 'detached' }).catch(async (e: Error) => {
      throw new Error(`the dialog stayed open, showing ${JSON.stringify(await dialog.getByRole('alert').allTextContents())}: ${e.message}`);
    });
    await section('Production').getByText('Active: revision 1', { exact: true }).waitFor();
    const [promoted] = (await web.platform.admin.get(`${base}/deployments?environment=production`)).body;
    expect(promoted).toMatchObject({ revision: 1, status: 'active', backendUrl: prod.url, params: { tenant: { secret: false, value: 'acme-prod' }, apiKey: { secret: true } } });
    expect((await web.platform.admin.get(base)).body.backendUrls).toEqual({ development: `${dev.url}/svc`, production: prod.url });
    expect(errors(page).filter((e) => !e.includes('status of 4'))).toEqual([]);
  });

  it('Roll back to revision N in the history asks first: Cancel changes nothing, confirming redeploys that revision', async () => {
    const changed = await web.platform.admin.patch(base, {
      resources: [
        { method: 'GET', path: '/items', security: { oauth2: true, scopes: [] } },
        { method: 'GET', path: '/items/{id}', security: { oauth2: true, scopes: [] } },
      ],
    });
    expect(changed.status, changed.text).toBe(200);
    const deployed = await web.platform.admin.post(`${base}/deployments`, { environment: 'development', params: { tenant: 'acme', apiKey: 'k-123' } });
    expect(deployed.status, deployed.text).toBe(201);
    expect(deployed.body.revision).toBe(2);
    await page.reload();
    const development = section('Development');
    await development.getByText('Active: revision 2', { exact: true }).waitFor();
    const before = (await web.platform.admin.get(`${base}/deployments?environment=development`)).body.length;

    await development.getByRole('button', { name: 'Roll back to revision 1' }).first().click();
    const confirm = page.getByRole('dialog', { name: 'Roll back Development to revision 1?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await web.platform.admin.get(`${base}/deployments?environment=development`)).body.length).toBe(before);

    await development.getByRole('button', { name: 'Roll back to revision 1' }).first().click();
    await confirm.getByRole('button', { name: 'Roll back to revision 1' }).click();
    await confirm.waitFor({ state: 'detached' });
    await development.getByText('Active: revision 1', { exact: true }).waitFor();
    expect((await web.platform.admin.get(`${base}/deployments?environment=development`)).body[0]).toMatchObject({ revision: 1, status: 'active' });
  });

  it('Deprecate and Publish ask first, naming the API; Cancel leaves the lifecycle as it was', async () => {
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Deprecate', exact: true }).click();
    const deprecate = page.getByRole('dialog', { name: 'Deprecate /orders/v1?' });
    await deprecate.getByRole('button', { name: 'Cancel' }).click();
    await deprecate.waitFor({ state: 'detached' });
    expect((await web.platform.admin.get(base)).body.lifecycle).toBe('published');

    await page.getByRole('button', { name: 'Deprecate', exact: true }).click();
    await deprecate.getByRole('button', { name: 'Deprecate /orders/v1' }).click();
    await deprecate.waitFor({ state: 'detached' });
    expect((await web.platform.admin.get(base)).body.lifecycle).toBe('deprecated');

    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByRole('dialog', { name: 'Publish /orders/v1?' }).getByRole('button', { name: 'Publish /orders/v1' }).click();
    await page.getByRole('button', { name: 'Deprecate', exact: true }).waitFor();
    expect((await web.platform.admin.get(base)).body.lifecycle).toBe('published');
    expect(errors(page).filter((e) => !e.includes('status of 4'))).toEqual([]);
  });
});
