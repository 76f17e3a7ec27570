import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, type WebTest } from '../helpers/browser.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { browserStorage, echoBackend, memberPage, publishApi, startPortalWebTest, webOrg, type WebOrg } from '../portal/web-setup.js';

/**
 * The developer portal in the browser, the whole story against the real
 * platform and a real external IdP (oidc-provider): a developer finds an API,
 * creates an application, generates credentials with the token-exchange
 * grant, pastes a token of the IdP under User Keys, runs the ://Curl command
 * in a shell as copied, clicks Generate Test Token, subscribes, and calls the
 * API through Try it.
 */

const run = promisify(execFile);
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Developer portal navigation' }).getByRole('link', { name });
const DEV = 'dana@story.test';

describe.runIf(hasChromium)('developer portal in the browser', () => {
  let web: WebTest;
  let idp: TestIdp;
  let backend: Awaited<ReturnType<typeof echoBackend>>;
  let org: WebOrg;
  let page: Page;
  const requested: string[] = [];
  let consumerKey = '';
  let consumerSecret = '';
  let idpToken = '';
  let appUrl = '';

  beforeAll(async () => {
    [web, idp, backend] = await Promise.all([startPortalWebTest(), startTestIdp({ audience: 'https://api.story.test' }), echoBackend()]);
    org = await webOrg(web.platform, 'Story Org');
    const registered = await web.platform.admin.post(`${org.path}/identity-providers`, {
      name: 'corp-idp',
      kind: 'generic-oidc',
      description: 'Corporate SSO',
      wellKnownUrl: idp.wellKnownUrl,
      audiences: [idp.audience],
    });
    expect(registered.status, registered.text).toBe(201);
    await publishApi(web.platform, org, 'orders', 'Orders API', backend.url, {
      description: 'Orders of the shop',
      resources: [
        { method: 'GET', path: '/items/{id}', summary: 'One item', security: { oauth2: true, scopes: [] } },
        { method: 'POST', path: '/items', summary: 'Create an item', security: { oauth2: true, scopes: ['orders:write'] } },
      ],
    });
    await publishApi(web.platform, org, 'billing', 'Billing API', backend.url);
    page = await memberPage(web, org, DEV, 'developer');
    page.setDefaultTimeout(10_000);
    page.on('request', (r) => requested.push(r.url()));
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  });
  afterAll(async () => {
    await web?.close();
    await idp?.close();
    await backend?.close();
  });

  it("lists the published APIs with search, and shows an API's endpoints and the scopes of each resource", async () => {
    await page.waitForURL(`**/portal/o/${org.handle}/apis`);
    const cards = page.getByRole('list', { name: 'APIs' }).getByRole('listitem');
    await expect.poll(() => cards.count()).toBe(2);
    await page.getByRole('searchbox', { name: 'Search APIs' }).fill('bill');
    await expect.poll(() => cards.allTextContents()).toEqual([expect.stringContaining('Billing API')]);
    await page.getByRole('searchbox', { name: 'Search APIs' }).fill('');
    await expect.poll(() => cards.count()).toBe(2);
    await page.getByRole('link', { name: 'Orders API' }).click();
    await page.getByRole('heading', { name: 'Orders API', level: 2 }).waitFor();
    const endpoints = page.getByRole('table', { name: 'Endpoints' }).getByRole('row');
    const cells = async (n: number) => endpoints.nth(n).getByRole('cell').allTextContents();
    expect(await endpoints.count()).toBe(3);
    expect(await cells(1)).toEqual(['Development', `${web.platform.runtime.gateway('development')!.url}/${org.handle}/orders/v1`, '1']);
    expect(await cells(2)).toEqual(['Production', `${web.platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1`, '1']);
    expect(await endpoints.nth(2).getByRole('button', { name: 'Copy Production URL' }).count()).toBe(1);
    const resources = page.getByRole('table', { name: 'Resources' });
    expect(await resources.getByRole('row').allTextContents()).toEqual(['MethodPathSummarySecurityScopes', 'GET/items/{id}One itemOAuth2none', 'POST/itemsCreate an itemOAuth2orders:write']);
    expect(errors(page)).toEqual([]);
  });

  it("renders the API's documentation from its OpenAPI document (generated for an API defined by hand)", async () => {
    await page.getByRole('tab', { name: 'Documentation' }).click();
    const doc = page.getByRole('article', { name: 'API documentation' });
    await doc.waitFor();
    expect(await doc.getByRole('heading', { level: 3 }).textContent()).toBe('Orders API');
    const servers = await doc.getByRole('region', { name: 'Servers' }).textContent();
    expect(servers).toContain(`${web.platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1`);
    await doc.getByRole('button', { name: 'POST /items' }).click();
    await doc.getByText('Needs a token with the scopes orders:write.').waitFor();
    await doc.getByRole('button', { name: 'GET /items/{id}' }).click();
    const params = doc.getByRole('region', { name: 'Parameters of GET /items/{id}' });
    await params.getByRole('row').nth(1).waitFor();
    expect(await params.getByRole('row').allTextContents()).toEqual(['NameInTypeDescription', expect.stringMatching(/^idrequiredpathstring/)]);
    expect(await doc.getByRole('link', { name: 'Download the OpenAPI document' }).getAttribute('href')).toBe(
      `/api/v1/orgs/${org.handle}/portal/apis/${new URL(page.url()).pathname.split('/').pop()}/openapi`,
    );
    expect(errors(page)).toEqual([]);
  });

  it("creates an application, refusing a duplicate name with the API's message", async () => {
    await nav(page, 'Applications').click();
    await page.getByRole('button', { name: 'Create Application' }).click();
    await page.getByRole('textbox', { name: 'Application name' }).fill('Mobile App');
    await page.getByRole('textbox', { name: 'Description' }).fill('The iOS client');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/portal\/o\/[^/]+\/applications\/[^/?]+/);
    appUrl = new URL(page.url()).pathname;
    await page.getByRole('heading', { name: 'Mobile App', level: 2 }).waitFor();
    // Production Keys first, then Development Keys: one tab per environment of the chain.
    await page.getByRole('tab', { name: 'OAuth2 Tokens' }).waitFor();
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Production Keys', 'Development Keys', 'Subscriptions', 'OAuth2 Tokens', 'User Keys']);
    expect(await page.getByRole('tab', { name: 'Production Keys' }).getAttribute('aria-selected')).toBe('true');

    await nav(page, 'Applications').click();
    await page.getByRole('button', { name: 'Create Application' }).click();
    await page.getByRole('textbox', { name: 'Application name' }).fill('mobile app');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = page.getByRole('alert', { name: 'The application was not created' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('An application named "mobile app" already exists in this organization');
    expect(await alert.textContent()).toContain('name is taken');
    expect(await page.getByRole('textbox', { name: 'Application name' }).getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('table', { name: 'Applications' }).getByRole('row').allTextContents()).toEqual(['NameOwnerKeysSubscriptions', `Mobile AppThe iOS client${DEV}none0`]);
  });

  it('generates Production Keys with the token-exchange grant and shows the consumer secret once', async () => {
    await page.goto(appUrl);
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    await page.getByRole('checkbox', { name: 'Token Exchange' }).check();
    expect(await page.getByRole('checkbox', { name: 'Client Credentials' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Generate Credentials' }).click();
    const dialog = page.getByRole('dialog', { name: 'Production Keys' });
    await dialog.waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('You will not see this secret again');
    consumerKey = await dialog.getByRole('textbox', { name: 'Consumer Key' }).inputValue();
    expect(consumerKey).toMatch(/^dbc_/);
    expect(await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue()).toMatch(/^•+$/);
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    consumerSecret = await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    expect(consumerSecret).toMatch(/^dbs_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Gone from the page, never in storage or in a URL.
    expect(await page.content()).not.toContain(consumerSecret);
    expect(await browserStorage(page)).not.toContain(consumerSecret);
    expect(requested.filter((u) => u.includes(consumerSecret))).toEqual([]);

    const keys = page.getByRole('region', { name: 'Production Keys' });
    expect(await keys.getByRole('textbox', { name: 'Consumer Key' }).inputValue()).toBe(consumerKey);
    expect(await keys.textContent()).toContain('Grant types:Client CredentialsToken ExchangeToken lifetime: 3600 s');
    const curl = await page.getByLabel('Client credentials curl', { exact: true }).textContent();
    expect(curl).toBe(
      `curl -sS -X POST '${web.platform.config.publicUrl}/oauth2/token' \\\n  -u "${consumerKey}:\${CONSUMER_SECRET}" \\\n  -H 'Content-Type: application/x-www-form-urlencoded' \\\n  --data-urlencode 'grant_type=client_credentials'`,
    );
    // The copied client-credentials curl works in a shell as printed.
    const { stdout } = await run('bash', ['-c', curl!], { env: { ...process.env, CONSUMER_SECRET: consumerSecret } });
    expect(JSON.parse(stdout)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });

  it('User Keys: the ://Curl command runs in a shell as copied, and Generate Test Token exchanges the pasted IdP token', async () => {
    idpToken = await idp.clientCredentialsToken();
    await page.getByRole('tab', { name: 'User Keys' }).click();
    const provider = page.getByRole('combobox', { name: 'Identity Provider' });
    await provider.click();
    await page.getByRole('option', { name: 'corp-idp — Corporate SSO' }).click();
    const steps = page.getByRole('region', { name: 'Steps' });
    await steps.waitFor();
    expect(await steps.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/^Get a token from corp-idpRequest an access token from http:\/\/127\.0\.0\.1:\d+\/token with resource=https:\/\/api\.story\.test\./),
      expect.stringContaining('Provide the consumer secret'),
      expect.stringContaining('Exchange the token'),
      expect.stringContaining('Call the API'),
    ]);
    await page.getByRole('textbox', { name: 'corp-idp Token' }).fill(idpToken);

    await page.getByRole('button', { name: '://Curl' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toContain(`-u "${consumerKey}:\${CONSUMER_SECRET}"`);
    expect(copied).toContain(`--data-urlencode 'subject_token=${idpToken}'`);
    const { stdout } = await run('bash', ['-c', copied], { env: { ...process.env, CONSUMER_SECRET: consumerSecret } });
    const exchanged = JSON.parse(stdout);
    expect(exchanged).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' });

    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill(consumerSecret);
    await page.getByRole('button', { name: 'Generate Test Token' }).click();
    const token = page.getByRole('region', { name: 'Platform token' });
    await token.waitFor();
    const claims = JSON.parse((await token.getByLabel('Claims', { exact: true }).textContent())!);
    expect(claims).toMatchObject({ iss: web.platform.config.publicUrl, sub: idp.clientId, client_id: consumerKey, env: 'production', org_id: org.id, aud: `urn:drawbridge:${org.id}:production` });
    // A token exchange never outlives the subject token.
    const subjectExp = JSON.parse(Buffer.from(idpToken.split('.')[1]!, 'base64url').toString()).exp;
    expect(claims.exp).toBeLessThanOrEqual(subjectExp);
    expect(claims.exp).toBeGreaterThan(subjectExp - 5);
    expect(JSON.parse((await token.getByLabel('Header', { exact: true }).textContent())!)).toMatchObject({ typ: 'at+jwt' });
    expect(await token.getByText(/^Expires .* \(\d+ min \d+ s left\)$/).count()).toBe(1);
    expect(await token.getByRole('button', { name: 'Copy Access Token' }).count()).toBe(1);
    // Neither the IdP token nor the secret is kept in storage or sent in a URL.
    const storage = await browserStorage(page);
    expect(storage).not.toContain(idpToken);
    expect(storage).not.toContain(consumerSecret);
    expect(requested.filter((u) => u.includes(consumerSecret) || u.includes(idpToken.slice(0, 40)) || /token=/.test(u))).toEqual([]);
    expect(errors(page)).toEqual([]);
  });

  it('subscribes the application to the API and lists the subscription', async () => {
    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    await page.getByText('No subscriptions yet').waitFor();
    await page.getByRole('combobox', { name: 'API' }).click();
    await page.getByRole('option', { name: 'Orders API v1 (default/orders)' }).click();
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    const table = page.getByRole('table', { name: 'Subscriptions' });
    await table.waitFor();
    expect((await table.getByRole('row').allTextContents())[1]).toMatch(/^Orders APIdefault\/orders · \/ordersv1publishednone/);
  });

  it('calls the API through Try it with the test token generated on the page; the curl shows no token', async () => {
    await page.getByRole('link', { name: 'Orders API' }).click();
    await page.getByRole('tab', { name: 'Try it' }).click();
    expect(await page.getByRole('combobox', { name: 'Application' }).inputValue()).toBe('Mobile App');
    expect(await page.getByRole('combobox', { name: 'Environment' }).inputValue()).toBe('Production');
    expect(await page.getByRole('radio', { name: /^The test token generated on this page \(exchanged for test-client/ }).isChecked()).toBe(true);
    await page.getByRole('textbox', { name: 'id' }).fill('42');
    await page.getByRole('button', { name: '+ Add query parameter' }).click();
    await page.getByRole('textbox', { name: 'Query parameter 1 name' }).fill('expand');
    await page.getByRole('textbox', { name: 'Query parameter 1 value' }).fill('lines');
    // The subscription reaches the gateway with its next snapshot: ask until it lets the call through.
    let status = '';
    for (let i = 0; i < 30 && status !== '200'; i++) {
      await page.getByRole('button', { name: 'Send Request' }).click();
      await page.getByRole('region', { name: 'Response' }).waitFor();
      status = (await page.getByLabel('Response status').textContent())!;
      if (status !== '200') await page.waitForTimeout(200);
    }
    expect(status).toBe('200');
    const url = `${web.platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1/items/42?expand=lines`;
    expect(await page.getByLabel('curl', { exact: true }).textContent()).toBe(`curl -sS -i -X GET '${url}' \\\n  -H "Authorization: Bearer \${ACCESS_TOKEN}"`);
    expect(JSON.parse((await page.getByLabel('Response body', { exact: true }).textContent())!)).toEqual({ method: 'GET', url: '/orders/items/42?expand=lines', authorization: null });
    expect(await page.getByRole('table', { name: 'Response headers' }).getByRole('row').filter({ hasText: 'content-type' }).textContent()).toBe('content-typeapplication/json');
    expect(await page.content()).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    expect(errors(page)).toEqual([]);
  });
});
