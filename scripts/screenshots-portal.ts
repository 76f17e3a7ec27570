/**
 * Screenshots of the developer portal for docs/portal.md:
 *
 *     node --import tsx scripts/screenshots-portal.ts
 *
 * Starts the platform (SQLite in a temporary folder), a test OpenID Connect
 * provider and a small backend on loopback, sets up demo data through the
 * API, drives Debian's Chromium through the portal as a developer, and writes
 * docs/images/portal-*.png. Needs /usr/bin/chromium (or DRAWBRIDGE_TEST_CHROMIUM).
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launchBrowser } from '../test/helpers/browser.js';
import { startTestIdp } from '../test/helpers/oidc-idp.js';
import { signIn, startTestPlatform, type Api } from '../test/helpers/platform.js';
import { buildWeb } from './build-web.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'images');

const ordersDocument = {
  openapi: '3.0.3',
  info: { title: 'Orders API', version: '1.4.0', description: 'Orders of the Acme shop: list, read and place orders.' },
  tags: [{ name: 'orders', description: 'Customer orders' }],
  paths: {
    '/orders': {
      get: {
        tags: ['orders'],
        summary: 'List orders',
        operationId: 'listOrders',
        security: [{ oauth: ['orders:read'] }],
        parameters: [
          { name: 'status', in: 'query', description: 'Only orders in this state', schema: { type: 'string', enum: ['open', 'shipped', 'cancelled'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        ],
        responses: { 200: { description: 'A page of orders', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Order' } } } } } },
      },
      post: {
        tags: ['orders'],
        summary: 'Place an order',
        operationId: 'placeOrder',
        security: [{ oauth: ['orders:write'] }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewOrder' } } } },
        responses: { 201: { description: 'The order', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } }, 422: { description: 'The order is not valid' } },
      },
    },
    '/orders/{orderId}': {
      get: {
        tags: ['orders'],
        summary: 'One order',
        operationId: 'getOrder',
        security: [{ oauth: [] }],
        parameters: [{ name: 'orderId', in: 'path', required: true, description: 'The order number', schema: { type: 'string', pattern: '^[0-9]+$' } }],
        responses: { 200: { description: 'The order', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } }, 404: { description: 'No such order' } },
      },
    },
  },
  components: {
    securitySchemes: {
      oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://drawbridge.example.com/oauth2/token', scopes: { 'orders:read': 'Read orders', 'orders:write': 'Place orders' } } } },
    },
    schemas: {
      NewOrder: {
        type: 'object',
        required: ['lines'],
        properties: { lines: { type: 'array', items: { $ref: '#/components/schemas/Line' } }, note: { type: 'string', maxLength: 500 } },
      },
      Order: {
        type: 'object',
        required: ['id', 'status', 'lines'],
        properties: {
          id: { type: 'string', example: '1042' },
          status: { type: 'string', enum: ['open', 'shipped', 'cancelled'] },
          lines: { type: 'array', items: { $ref: '#/components/schemas/Line' } },
          placedAt: { type: 'string', format: 'date-time' },
        },
      },
      Line: { type: 'object', required: ['sku', 'quantity'], properties: { sku: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } } },
    },
  },
};

async function must<T extends { status: number; text: string }>(what: string, call: Promise<T>, status = [200, 201]): Promise<T> {
  const res = await call;
  if (!status.includes(res.status)) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  await buildWeb({ ifStale: true, quiet: true });
  const port = await freePort();
  const [platform, idp] = await Promise.all([
    startTestPlatform({ config: { port }, env: { DRAWBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`, DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true', DRAWBRIDGE_EGRESS_ALLOW: 'loopback, self' } }),
    startTestIdp({ audience: 'https://api.acme.example' }),
  ]);
  const backend = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: '1042', status: 'shipped', lines: [{ sku: 'ACME-ROCKET', quantity: 2 }], placedAt: '2026-11-30T09:12:00Z', path: req.url }));
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const browser = await launchBrowser();
  try {
    // --- demo data, through the API ------------------------------------------------------
    const admin = platform.admin;
    const org = (await must('org', admin.post('/api/v1/orgs', { name: 'Acme Corporation', handle: 'acme' }))).body;
    const path = `/api/v1/orgs/${org.handle}`;
    for (const env of ['development', 'production']) await must('env', admin.patch(`${path}/environments/${env}`, { gatewayUrl: platform.runtime.gateway(env)!.url }));
    await must(
      'idp',
      admin.post(`${path}/identity-providers`, { name: 'acme-sso', kind: 'generic-oidc', description: 'Acme single sign-on', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] }),
    );
    const apis: [string, string, string, unknown][] = [
      ['orders', 'Orders API', 'Orders of the Acme shop: list, read and place orders.', ordersDocument],
      ['billing', 'Billing API', 'Invoices and payment status.', undefined],
      ['catalog', 'Catalog API', 'Products, prices and stock levels.', undefined],
    ];
    for (const [name, displayName, description, doc] of apis) {
      await must('component', admin.post(`${path}/projects/default/components`, { type: 'api-proxy', name, displayName, description }));
      const base = `${path}/projects/default/components/${name}/api`;
      if (doc) await must('import', admin.post(`${base}/import`, { document: doc, contextPath: `/${name}`, version: 'v1' }));
      else
        await must(
          'define',
          admin.put(base, {
            contextPath: `/${name}`,
            version: 'v1',
            resources: [
              { method: 'GET', path: '/items', summary: 'List' },
              { method: 'GET', path: '/items/{id}', summary: 'One item' },
            ],
          }),
        );
      await must('backend', admin.patch(base, { backendUrls: { development: `${backendUrl}/${name}`, production: `${backendUrl}/${name}` } }));
      await must('deploy', admin.post(`${base}/deployments`, { environment: 'development' }));
      await must('promote', admin.post(`${base}/promote`, {}));
      await must('publish', admin.post(`${base}/lifecycle`, { state: 'published' }));
    }
    const invite = await must('invite', admin.post(`${path}/members`, { email: 'dana@acme.example', role: 'developer' }));
    const password: string = invite.body.temporaryPassword;
    const dana: Api = await signIn(platform.api, 'dana@acme.example', password);
    await must('app', dana.post(`${path}/portal/applications`, { name: 'Partner Dashboard', description: 'Reporting for partners' }));

    // --- the portal, as the developer ------------------------------------------------------
    const context = await browser.newContext({ baseURL: platform.url, viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const shot = async (name: string, options: { fullPage?: boolean } = {}) => {
      // Notifications fade out by themselves; pictures without them.
      await page
        .locator('.mantine-Notification-root')
        .first()
        .waitFor({ state: 'detached', timeout: 8000 })
        .catch(() => {});
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(OUT, `portal-${name}.png`), fullPage: options.fullPage });
      console.log(`docs/images/portal-${name}.png`);
    };
    await page.goto('/portal/o/acme/apis');
    await page.getByRole('textbox', { name: 'Username' }).fill('dana@acme.example');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('list', { name: 'APIs' }).waitFor();
    await shot('apis');

    await page.getByRole('link', { name: 'Orders API' }).click();
    await page.getByRole('table', { name: 'Resources' }).waitFor();
    await shot('api-overview');
    await page.getByRole('tab', { name: 'Documentation' }).click();
    await page.getByRole('button', { name: 'POST /orders' }).click();
    await page.getByRole('region', { name: 'Request body of POST /orders' }).waitFor();
    await page.getByRole('region', { name: 'Operations' }).scrollIntoViewIfNeeded();
    await shot('api-documentation');

    // An application with keys (token exchange enabled).
    const nav = (name: string) => page.getByRole('navigation', { name: 'Developer portal navigation' }).getByRole('link', { name });
    await nav('Applications').click();
    await page.getByRole('button', { name: 'Create Application' }).click();
    await page.getByRole('textbox', { name: 'Application name' }).fill('Mobile App');
    await page.getByRole('textbox', { name: 'Description' }).fill('The Acme shop app for iOS and Android');
    await shot('create-application');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Mobile App', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    await page.getByRole('checkbox', { name: 'Token Exchange' }).check();
    await page.getByRole('combobox', { name: 'Allowed scopes' }).fill('orders:read');
    await page.keyboard.press('Enter');
    await shot('generate-credentials');
    await page.getByRole('button', { name: 'Generate Credentials' }).click();
    const dialog = page.getByRole('dialog', { name: 'Production Keys' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    const secret = await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    await shot('consumer-secret');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill(secret);
    await page.getByRole('button', { name: 'Generate Test Token' }).click();
    await page.getByRole('region', { name: 'Test token', exact: true }).getByLabel('Claims', { exact: true }).waitFor();
    await page.getByRole('region', { name: 'Test token with client credentials' }).scrollIntoViewIfNeeded();
    await shot('oauth2-tokens');

    // User Keys: a wrong audience first, then a good token.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByRole('tab', { name: 'User Keys' }).click();
    await page.getByRole('combobox', { name: 'Identity Provider' }).click();
    await page.getByRole('option', { name: /^acme-sso/ }).click();
    await page.getByRole('region', { name: 'Steps' }).waitFor();
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill(secret);
    await page.getByRole('textbox', { name: 'acme-sso Token' }).fill(await idp.sign({ sub: 'dana', aud: 'https://other.example', client_id: idp.clientId }));
    await page.getByRole('button', { name: 'Generate Test Token' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong audience' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Wrong audience' }).scrollIntoViewIfNeeded();
    await shot('user-keys-error');
    await page.getByRole('textbox', { name: 'acme-sso Token' }).fill(await idp.clientCredentialsToken());
    await page.getByRole('button', { name: '://Curl' }).click();
    const curl = (await page.evaluate('navigator.clipboard.readText()')) as string;
    // The copied command works in a shell (the platform runs in this process: no blocking call).
    const { stdout } = await promisify(execFile)('bash', ['-c', curl], { env: { ...process.env, CONSUMER_SECRET: secret } });
    if (!JSON.parse(stdout).access_token) throw new Error(`the ://Curl command failed: ${stdout}`);
    await page.getByRole('button', { name: 'Generate Test Token' }).click();
    await page.getByRole('region', { name: 'Platform token' }).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await shot('user-keys');
    await page.getByRole('region', { name: 'Platform token' }).scrollIntoViewIfNeeded();
    await shot('user-keys-token');

    // Subscriptions.
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByRole('tab', { name: 'Subscriptions' }).click();
    for (const api of ['Orders API v1 (default/orders)', 'Catalog API v1 (default/catalog)']) {
      await page.getByRole('combobox', { name: 'API' }).click();
      await page.getByRole('option', { name: api }).click();
      await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
      await page.getByRole('table', { name: 'Subscriptions' }).getByText(api.split(' v1')[0]!).waitFor();
    }
    await shot('subscriptions');
    await nav('Applications').click();
    await page.getByRole('table', { name: 'Applications' }).waitFor();
    await shot('applications');

    // Try it with the token exchanged under User Keys.
    await nav('APIs').click();
    await page.getByRole('link', { name: 'Orders API' }).click();
    await page.getByRole('tab', { name: 'Try it' }).click();
    await page.getByRole('combobox', { name: 'Resource' }).click();
    await page.getByRole('option', { name: /^GET \/orders\/\{orderId\}/ }).click();
    await page.getByRole('textbox', { name: 'orderId' }).fill('1042');
    await page.getByRole('button', { name: '+ Add header' }).click();
    await page.getByRole('textbox', { name: 'Header 1 name' }).fill('Accept');
    await page.getByRole('textbox', { name: 'Header 1 value' }).fill('application/json');
    for (let i = 0; i < 30; i++) {
      await page.getByRole('button', { name: 'Send Request' }).click();
      await page.getByRole('region', { name: 'Response' }).waitFor();
      if ((await page.getByLabel('Response status').textContent()) === '200') break;
      await page.waitForTimeout(300);
    }
    await shot('try-it', { fullPage: true });
    await context.close();
  } finally {
    await browser.close();
    await platform.close();
    await idp.close();
    backend.closeAllConnections();
    backend.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
