// Regenerates the console screenshots of docs/console.md (docs/images/console-*.png):
// starts the platform and a test identity provider, makes demo data through the API and
// photographs each main screen in Debian's Chromium.
//
//   node --import tsx scripts/screenshots-console.ts
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebTest } from '../test/helpers/browser.js';
import { startTestIdp } from '../test/helpers/oidc-idp.js';

const out = resolve(import.meta.dirname, '../docs/images');
mkdirSync(out, { recursive: true });

const idp = await startTestIdp({ audience: 'https://api.stark.example' });
const backend = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
// Fixed ports, so the URLs on the pictures read like a real installation's.
const web = await startWebTest({
  config: { port: 19090 },
  env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true', DRAWBRIDGE_MODE: 'development', DRAWBRIDGE_PUBLIC_URL: 'http://localhost:19090', DRAWBRIDGE_GATEWAYS: 'development=18080,production=18081' },
});
const admin = web.platform.admin;
const must = async (res: Promise<{ status: number; text: string; body: any }>) => {
  const r = await res;
  if (r.status >= 300) throw new Error(`${r.status} ${r.text}`);
  return r.body;
};

try {
  const org = 'stark-industries';
  const orgPath = `/api/v1/orgs/${org}`;
  await must(admin.post('/api/v1/orgs', { name: 'Stark Industries' }));
  await must(
    admin.post(`${orgPath}/projects/default/components`, { type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile App', description: 'The Stark Industries iOS and Android app' }),
  );
  await must(admin.post(`${orgPath}/projects/default/components`, { type: 'external-consumer', name: 'partner-bot', displayName: 'Partner Bot', description: 'Order sync for resellers' }));
  await must(admin.post(`${orgPath}/projects/default/components`, { type: 'api-proxy', name: 'orders', displayName: 'Orders API', description: 'Orders and shipments' }));
  const base = `${orgPath}/projects/default/components/orders/api`;
  await must(
    admin.put(base, {
      contextPath: '/orders',
      version: 'v1',
      resources: [
        { method: 'GET', path: '/orders', summary: 'List orders', security: { oauth2: true, scopes: ['orders:read'] } },
        { method: 'POST', path: '/orders', summary: 'Place an order', security: { oauth2: true, scopes: ['orders:write'] } },
        { method: 'GET', path: '/orders/{id}', summary: 'One order', security: { oauth2: true, scopes: ['orders:read'] } },
        { method: 'GET', path: '/health', summary: 'Health', security: { oauth2: false } },
      ],
      backendUrls: { development: backendUrl },
      policies: [{ policy: 'outbound-oauth2@1.0.1', config: { tokenUrl: idp.tokenEndpoint, clientId: idp.clientId, clientSecret: '${backendSecret}' } }],
    }),
  );
  await must(admin.post(`${base}/deployments`, { environment: 'development', params: { backendSecret: idp.clientSecret } }));
  await must(admin.post(`${base}/lifecycle`, { state: 'published' }));
  await must(admin.post(`${orgPath}/identity-providers`, { name: 'corporate-okta', kind: 'okta', description: 'Employees and partners', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] }));
  await must(admin.post(`${orgPath}/members`, { email: 'pepper@stark.example', role: 'admin' }));
  await must(admin.post(`${orgPath}/members`, { email: 'peter@stark.example', role: 'developer' }));
  await must(admin.post(`${orgPath}/projects/default/connections`, { name: 'mobile-orders', api: 'default/orders', component: 'mobile-app' }));

  const page = await web.signedInPage();
  const shot = async (name: string, p: Page = page) => {
    await p.waitForLoadState('networkidle');
    await p.screenshot({ path: join(out, `console-${name}.png`) });
    process.stdout.write(`docs/images/console-${name}.png\n`);
  };
  const signIn = await web.newPage();
  await signIn.goto('/console/login');
  await shot('sign-in', signIn);

  await page.goto(`/console/o/${org}/projects/default`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('project-home');
  await page.getByRole('button', { name: '+ Create' }).click();
  await page
    .getByRole('button', { name: /External Consumer/ })
    .first()
    .waitFor();
  await shot('create');
  await page.keyboard.press('Escape');

  await page.goto(`/console/o/${org}/projects/default/consumers/mobile-app`);
  await page.getByRole('button', { name: 'Configure' }).first().waitFor();
  await shot('consumer-overview');
  await page.goto(`/console/o/${org}/projects/default/consumers/partner-bot/authentication/development`);
  await page.getByRole('button', { name: 'Generate Keys' }).click();
  await page.getByRole('dialog').waitFor();
  await shot('generate-keys');

  await page.goto(`/console/o/${org}/settings/add-identity-provider`);
  await page.getByRole('button', { name: /Okta/ }).first().click();
  await page.getByRole('textbox', { name: 'Name' }).fill('workforce');
  await page.getByRole('textbox', { name: 'Description' }).fill('Workforce sign-in');
  await page.getByRole('combobox', { name: 'Allowed Token Audience' }).fill(idp.audience);
  await page.getByRole('textbox', { name: 'Well-Known URL' }).fill(idp.wellKnownUrl);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('textbox', { name: 'JWKS Endpoint' }).waitFor();
  await shot('add-provider');
  await page.goto(`/console/o/${org}/settings/identity-providers/corporate-okta`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('provider');

  await page.goto(`/console/o/${org}/projects/default/apis/orders`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('api-overview');
  await page.goto(`/console/o/${org}/projects/default/apis/orders/develop/policies`);
  await page.getByRole('button', { name: 'Attach Mediation Policy' }).first().waitFor();
  await shot('policies');
  await page.goto(`/console/o/${org}/projects/default/apis/orders/deploy`);
  await page.getByRole('button', { name: 'Configure & Deploy' }).first().waitFor();
  await shot('deploy');
  await page.getByRole('button', { name: 'Configure & Deploy' }).first().click();
  await page.getByRole('dialog').waitFor();
  await shot('configure-deploy');
  await page.keyboard.press('Escape');

  await page.goto(`/console/o/${org}/projects/default/connections`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('connections');
  await page.goto(`/console/o/${org}/members`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('members');
  await page.goto(`/console/o/${org}/audit`);
  await page.getByRole('heading', { level: 2 }).first().waitFor();
  await shot('audit');
} finally {
  await web.close();
  await idp.close();
  await new Promise((r) => backend.close(r));
}
