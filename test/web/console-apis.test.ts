import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, inviteMember, signInThroughForm, startWebTest, type WebTest } from '../helpers/browser.js';

/**
 * The console's API proxy: defining an API (OpenAPI file upload, OpenAPI URL,
 * by hand), its resources with security and scopes, and Develop → Policies
 * (the policy picker, schema-generated forms, Apply to all resources, edit,
 * detach).
 */

const petsYaml = `openapi: 3.0.3
info:
  title: Pets
  version: 1.0.0
paths:
  /pets:
    get:
      summary: List pets
      security:
        - oauth: [pets:read]
    post:
      summary: Add a pet
      security:
        - oauth: [pets:write, pets:read]
  /pets/{petId}:
    get:
      summary: One pet
  /health:
    get:
      security: []
`;

const storeJson = JSON.stringify({
  openapi: '3.0.3',
  info: { title: 'Store', version: '1' },
  paths: { '/orders': { get: { summary: 'List orders', security: [{ oauth: ['store:read'] }] } }, '/status': { get: { security: [] } } },
});

describe.runIf(hasChromium)('console: API proxy', { timeout: 60_000 }, () => {
  let web: WebTest;
  let specs: Server;
  let specsUrl: string;
  let org: string;
  let developerPassword: string;

  const component = async (name: string) => {
    const res = await web.platform.admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'api-proxy', name, displayName: name[0]!.toUpperCase() + name.slice(1) });
    if (res.status !== 201) throw new Error(res.text);
  };
  const open = async (path: string) => {
    const page = await web.signedInPage('admin', undefined, path);
    page.setDefaultTimeout(15_000);
    return page;
  };
  const apiOf = async (name: string) => (await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/components/${name}/api`)).body;
  const resourceRows = async (page: Page) =>
    page
      .getByRole('table', { name: 'Resources' })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));

  beforeAll(async () => {
    web = await startWebTest({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    specs = createServer((req, res) => {
      if (req.url === '/store.json') res.writeHead(200, { 'content-type': 'application/json' }).end(storeJson);
      else res.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => specs.listen(0, '127.0.0.1', resolve));
    specsUrl = `http://127.0.0.1:${(specs.address() as AddressInfo).port}`;
    org = (await web.platform.admin.post('/api/v1/orgs', { name: 'Api Console' })).body.handle;
    for (const name of ['pets', 'store', 'orders', 'empty']) await component(name);
    developerPassword = await inviteMember(web.platform, org, 'dev@example.com', 'developer');
  });
  afterAll(async () => {
    specs?.close();
    await web?.close();
  });

  it('imports an uploaded OpenAPI file and lists the resources with their security and scopes', async () => {
    const page = await open(`/console/o/${org}/projects/default/apis/pets`);
    await page.getByRole('heading', { name: 'No API defined yet' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Context path' }).first().inputValue()).toBe('/pets');
    await page.locator('input[type=file]').setInputFiles({ name: 'pets.yaml', mimeType: 'application/yaml', buffer: Buffer.from(petsYaml) });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    expect(await resourceRows(page)).toEqual([
      ['GET', '/pets', 'List pets', 'OAuth2', 'pets:read'],
      ['POST', '/pets', 'Add a pet', 'OAuth2', 'pets:writepets:read'],
      ['GET', '/pets/{petId}', 'One pet', 'OAuth2', 'none'],
      ['GET', '/health', '', 'Public', ''],
    ]);
    expect(await page.getByText('OpenAPI document: Imported from a file').count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Pets', level: 2 }).count()).toBe(1);
    const api = await apiOf('pets');
    expect(api).toMatchObject({ contextPath: '/pets', version: 'v1', document: { source: 'imported', mediaType: 'application/yaml', sourceUrl: null } });
    const served = await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/components/pets/api/openapi`);
    expect(served.text).toBe(petsYaml);
    expect(errors(page)).toEqual([]);
  });

  it("imports from a URL the server fetches; a URL that does not answer shows the API's error", async () => {
    const page = await open(`/console/o/${org}/projects/default/apis/store`);
    await page.getByRole('tab', { name: 'From a URL' }).click();
    await page.getByRole('textbox', { name: 'OpenAPI URL' }).fill(`${specsUrl}/missing.json`);
    await page.getByRole('button', { name: 'Import' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`Fetching the OpenAPI document failed [http_status]: ${specsUrl} answered HTTP 404`);
    expect(await page.getByText(`${specsUrl} answered HTTP 404`, { exact: true }).count()).toBeGreaterThan(0);

    await page.getByRole('textbox', { name: 'OpenAPI URL' }).fill(`${specsUrl}/store.json`);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    expect(await resourceRows(page)).toEqual([
      ['GET', '/orders', 'List orders', 'OAuth2', 'store:read'],
      ['GET', '/status', '', 'Public', ''],
    ]);
    expect(await page.getByText(`OpenAPI document: Imported from ${specsUrl}/store.json`).count()).toBe(1);
    expect((await apiOf('store')).document).toMatchObject({ source: 'imported', mediaType: 'application/json', sourceUrl: `${specsUrl}/store.json` });
    // The refused import (502, the API's answer shown above) is the browser's own console line.
    expect(errors(page).filter((e) => !e.includes('the server responded with a status of 502'))).toEqual([]);
  });

  it("defines an API by hand; a bad path shows the API's message on the field", async () => {
    const page = await open(`/console/o/${org}/projects/default/apis/orders`);
    await page.getByRole('tab', { name: 'By hand' }).click();
    const form = page.getByRole('form', { name: 'API definition' });
    await form.getByRole('textbox', { name: 'Backend URL (Development)' }).fill('http://127.0.0.1:9/orders');
    await form.getByRole('textbox', { name: 'Path of resource 1' }).fill('items');
    await form.getByRole('textbox', { name: 'Summary of resource 1' }).fill('List items');
    await form.getByRole('combobox', { name: 'Scopes of resource 1' }).fill('orders:read');
    await form.getByRole('combobox', { name: 'Scopes of resource 1' }).press('Enter');
    await form.getByRole('button', { name: 'Add resource' }).click();
    await form.getByRole('combobox', { name: 'Method of resource 2' }).click();
    await page.getByRole('option', { name: 'POST' }).click();
    await form.getByRole('textbox', { name: 'Path of resource 2' }).fill('/items');
    await form.getByRole('combobox', { name: 'Scopes of resource 2' }).fill('orders:write');
    await form.getByRole('combobox', { name: 'Scopes of resource 2' }).press('Enter');
    await form.getByRole('button', { name: 'Add resource' }).click();
    await form.getByRole('textbox', { name: 'Path of resource 3' }).fill('/health');
    await form.getByRole('switch', { name: 'OAuth2 for resource 3' }).click({ force: true });
    await form.getByRole('button', { name: 'Define API' }).click();

    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Invalid resources: resources[0].path must start with /');
    expect(await form.getByText('must start with /', { exact: true }).count()).toBe(1);

    await form.getByRole('textbox', { name: 'Path of resource 1' }).fill('/items');
    await form.getByRole('button', { name: 'Define API' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    expect(await resourceRows(page)).toEqual([
      ['GET', '/items', 'List items', 'OAuth2', 'orders:read'],
      ['POST', '/items', '', 'OAuth2', 'orders:write'],
      ['GET', '/health', '', 'Public', ''],
    ]);
    expect(await page.getByText('OpenAPI document: Generated from the definition').count()).toBe(1);
    expect(await apiOf('orders')).toMatchObject({
      contextPath: '/orders',
      version: 'v1',
      visibility: 'public',
      backendUrls: { development: 'http://127.0.0.1:9/orders' },
      resources: [
        { method: 'GET', path: '/items', summary: 'List items', security: { oauth2: true, scopes: ['orders:read'] } },
        { method: 'POST', path: '/items', security: { oauth2: true, scopes: ['orders:write'] } },
        { method: 'GET', path: '/health', security: { oauth2: false, scopes: [] } },
      ],
    });

    // Editing in place: the definition form comes back filled in.
    await page.getByRole('button', { name: 'Edit definition' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit definition' });
    expect(await edit.getByRole('textbox', { name: 'Path of resource 3' }).inputValue()).toBe('/health');
    await edit.getByRole('button', { name: 'Remove resource 3' }).click();
    await edit.getByRole('button', { name: 'Save definition' }).click();
    await edit.waitFor({ state: 'detached' });
    expect((await resourceRows(page)).map((r) => r[1])).toEqual(['/items', '/items']);
    expect(errors(page)).toEqual([]);
  });

  it('attaches Outbound OAuth from the picker; a secret needs a ${parameter}; Apply to all resources, edit, detach', async () => {
    const page = await open(`/console/o/${org}/projects/default/apis/orders`);
    await page.getByRole('tab', { name: 'Develop' }).click();
    await page.waitForURL(`**/apis/orders/develop/policies`);
    await page.getByText('No policies here', { exact: true }).waitFor();
    await page.getByRole('navigation', { name: 'Resources' }).getByRole('button', { name: 'GET /items' }).click();
    await page.getByRole('button', { name: 'Attach Mediation Policy' }).click();
    const dialog = page.getByRole('dialog');
    const picker = dialog.getByRole('list', { name: 'Mediation policies' });
    await picker.waitFor();
    expect(await picker.getByRole('button').allTextContents()).toEqual(['Set headers (1.0.0)', 'Remove headers (1.0.0)', 'Outbound OAuth2 (client credentials) (1.0.1)']);
    await picker.getByRole('button', { name: 'Outbound OAuth2 (client credentials) (1.0.1)' }).click();

    const form = dialog.getByRole('form');
    expect(await form.getByRole('switch', { name: 'Apply to all resources' }).isChecked()).toBe(false);
    const secret = form.getByLabel('Client secret');
    expect(await secret.getAttribute('type')).toBe('password');
    expect(await form.getByText('Default: 10000').count()).toBe(1);
    expect(await form.getByText('Default: Authorization').count()).toBe(1);
    await form.getByRole('textbox', { name: 'Token URL' }).fill('https://idp.example.com/oauth2/token');
    await form.getByRole('textbox', { name: 'Client ID' }).fill('gateway');
    // Checked in the browser: the field says why, and no request carries the literal secret.
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.postData()?.includes('hunter2')) sent.push(`${request.method()} ${request.url()}`);
    });
    await secret.fill('hunter2');
    await form.getByRole('button', { name: 'Attach' }).click();
    await form.getByText('Use a ${parameter} reference: secrets are given at deploy', { exact: true }).waitFor();
    expect(await form.getByRole('alert').count()).toBe(0);
    await form.getByRole('button', { name: 'Attach' }).click();
    await page.waitForTimeout(300);
    expect(sent).toEqual([]);
    expect((await apiOf('orders')).policies).toEqual([]);

    await secret.fill('${clientSecret}');
    await form.getByRole('button', { name: 'Attach' }).click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.getByRole('region', { name: 'Outbound OAuth2 (client credentials) (1.0.1)' });
    await card.waitFor();
    expect(await card.getByText('GET /items', { exact: true }).count()).toBe(1);
    let [attached] = (await apiOf('orders')).policies;
    expect(attached).toEqual({
      id: expect.any(String),
      policy: 'outbound-oauth2@1.0.1',
      resources: ['GET /items'],
      phase: 'request',
      config: { tokenUrl: 'https://idp.example.com/oauth2/token', clientId: 'gateway', clientSecret: '${clientSecret}' },
    });

    // Only the resources it applies to show it.
    await page.getByRole('navigation', { name: 'Resources' }).getByRole('button', { name: 'POST /items' }).click();
    await page.getByText('No policies here', { exact: true }).waitFor();
    await page.getByRole('navigation', { name: 'Resources' }).getByRole('button', { name: 'GET /items' }).click();

    await card.getByRole('button', { name: 'Apply to all resources' }).click();
    await card.getByText('All resources', { exact: true }).waitFor();
    expect((await apiOf('orders')).policies[0]).toMatchObject({ id: attached.id, resources: 'all' });

    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Outbound OAuth2 (client credentials) (1.0.1)' });
    expect(await edit.getByRole('switch', { name: 'Apply to all resources' }).isChecked()).toBe(true);
    expect(await edit.getByLabel('Client secret').inputValue()).toBe('${clientSecret}');
    await edit.getByRole('textbox', { name: 'Scope' }).fill('orders.backend');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'detached' });
    await card.getByText('orders.backend', { exact: true }).waitFor();
    [attached] = (await apiOf('orders')).policies;
    expect(attached.config).toEqual({ tokenUrl: 'https://idp.example.com/oauth2/token', clientId: 'gateway', clientSecret: '${clientSecret}', scope: 'orders.backend' });

    await card.getByRole('button', { name: 'Detach Outbound OAuth2 (client credentials) (1.0.1)' }).click();
    const confirm = page.getByRole('dialog', { name: 'Detach Outbound OAuth2 (client credentials) (1.0.1)?' });
    await confirm.getByRole('button', { name: 'Detach Outbound OAuth2 (client credentials) (1.0.1)' }).click();
    await card.waitFor({ state: 'detached' });
    expect((await apiOf('orders')).policies).toEqual([]);
    expect(errors(page)).toEqual([]);
  });

  it('a set-headers list form: Apply to all resources when attaching, one group of inputs per header', async () => {
    const page = await open(`/console/o/${org}/projects/default/apis/orders/develop/policies`);
    await page.getByRole('button', { name: 'Attach Mediation Policy' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Set headers (1.0.0)' }).click();
    const form = dialog.getByRole('form');
    expect(await form.getByRole('switch', { name: 'Apply to all resources' }).isChecked()).toBe(true);
    await form.getByRole('combobox', { name: 'Phase' }).click();
    await page.getByRole('option', { name: 'Response' }).click();
    await form.getByRole('button', { name: 'Add header' }).click();
    await form.getByRole('textbox', { name: 'Headers 1 name' }).fill('X-Env');
    await form.getByRole('textbox', { name: 'Headers 1 value' }).fill('${envName}');
    await form.getByRole('button', { name: 'Attach' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await apiOf('orders')).policies).toEqual([
      { id: expect.any(String), policy: 'set-headers@1.0.0', resources: 'all', phase: 'response', config: { headers: [{ name: 'X-Env', value: '${envName}' }] } },
    ]);
  });

  it("the Develop and Deploy tabs of an API not defined yet point back to the Overview; a developer defines APIs too (every member may); an unknown component shows the API's error", async () => {
    const page = await web.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughForm(page, `/console/o/${org}/projects/default/apis/empty/deploy`, 'dev@example.com', developerPassword);
    await page.getByText('No API defined yet', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('tab', { name: 'Upload a file' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Overview', selected: true }).count()).toBe(1);
    await page.getByRole('textbox', { name: 'Context path' }).first().fill('/empty');
    await page.locator('input[type=file]').setInputFiles({ name: 'store.json', mimeType: 'application/json', buffer: Buffer.from(storeJson) });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    expect((await apiOf('empty')).resources).toHaveLength(2);
    await page.goto(`/console/o/${org}/projects/default/apis/nope`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Component not found');
  });
});
