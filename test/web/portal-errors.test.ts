import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, type WebTest } from '../helpers/browser.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { echoBackend, memberPage, publishApi, startPortalWebTest, webOrg, type WebOrg } from '../portal/web-setup.js';

/**
 * The portal's refusals in the browser, as a developer reads them: token
 * exchange errors explained in words next to the RFC code (wrong audience,
 * expired, unknown issuer, grant type not enabled, wrong secret), Regenerate
 * Secret (the old secret refused at once), Try it without a subscription or
 * with a wrong secret, and editing and deleting an application.
 */

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const now = () => Math.floor(Date.now() / 1000);

describe.runIf(hasChromium)('portal refusals in the browser', () => {
  let web: WebTest;
  let idp: TestIdp;
  let backend: Awaited<ReturnType<typeof echoBackend>>;
  let org: WebOrg;
  let page: Page;
  let appPath: string;
  let appId: string;
  let secret: string;
  let weather: { id: string };

  beforeAll(async () => {
    [web, idp, backend] = await Promise.all([startPortalWebTest(), startTestIdp({ audience: 'https://api.errors.test' }), echoBackend()]);
    org = await webOrg(web.platform, 'Errors Org');
    expect((await web.platform.admin.post(`${org.path}/identity-providers`, { name: 'corp-idp', kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] })).status).toBe(201);
    weather = await publishApi(web.platform, org, 'weather', 'Weather API', backend.url);
    page = await memberPage(web, org, 'dev@errors.test', 'developer', `/portal/o/${org.handle}/applications`);
    page.setDefaultTimeout(10_000);
    // The developer's application, with client-credentials keys only (no token exchange yet).
    await page.getByRole('button', { name: 'Create Application' }).click();
    await page.getByRole('textbox', { name: 'Application name' }).fill('Errors App');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'Errors App', level: 2, exact: true }).waitFor();
    appPath = new URL(page.url()).pathname;
    appId = appPath.split('/').pop()!;
    await page.getByRole('button', { name: 'Generate Credentials' }).click();
    const dialog = page.getByRole('dialog', { name: 'Production Keys' });
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    secret = await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    await dialog.getByRole('button', { name: 'Done' }).click();
  });
  afterAll(async () => {
    await web?.close();
    await idp?.close();
    await backend?.close();
  });

  async function exchange(token: string): Promise<string> {
    await page.getByRole('textbox', { name: 'corp-idp Token' }).fill(token);
    await page.getByRole('button', { name: 'Generate Test Token' }).click();
    const alert = page.getByRole('main').getByRole('alert');
    await alert.waitFor().catch(async (e) => {
      await page.screenshot({ path: '/tmp/portal-errors.png', fullPage: true });
      throw e;
    });
    return (await alert.textContent())!;
  }

  it('User Keys without the token-exchange grant says so, and enabling Token Exchange under Advanced Configurations fixes it', async () => {
    await page.getByRole('tab', { name: 'User Keys' }).click();
    await page.getByRole('combobox', { name: 'Identity Provider' }).click();
    await page.getByRole('option', { name: 'corp-idp' }).click();
    const alert = page.getByRole('main').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      `User Keys are not availableThe Production Keys do not allow token exchange; enable the grant type ${TOKEN_EXCHANGE} (PATCH …/keys/production)grantTypes lacks ${TOKEN_EXCHANGE}`,
    );
    await page.getByText('Enable Token Exchange under OAuth2 Tokens → Advanced Configurations, then come back.').waitFor();

    await page.getByRole('tab', { name: 'OAuth2 Tokens' }).click();
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    await page.getByRole('checkbox', { name: 'Token Exchange' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('No unsaved changes').waitFor();
    expect(await page.getByRole('region', { name: 'Production Keys' }).textContent()).toContain('Grant types:Client CredentialsToken Exchange');
    await page.getByRole('tab', { name: 'User Keys' }).click();
    await page.getByRole('combobox', { name: 'Identity Provider' }).click();
    await page.getByRole('option', { name: 'corp-idp' }).click();
    await page.getByRole('region', { name: 'Steps' }).waitFor();
  });

  it('explains a wrong consumer secret, a wrong audience, an expired token, an unknown issuer and a token that is not a JWT', async () => {
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill('dbs_not-the-secret');
    expect(await exchange(await idp.clientCredentialsToken())).toBe(
      'Wrong consumer secret (invalid_client)The consumer key and secret do not match. Use the secret shown when the credentials were generated, or regenerate it.The token service answered invalid_client: Client authentication failed',
    );
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill(secret);

    const wrongAudience = await exchange(await idp.sign({ sub: 'ana', aud: 'https://elsewhere.test', client_id: idp.clientId }));
    expect(wrongAudience).toMatch(
      /^Wrong audience \(invalid_request\)The identity provider issued this token for another audience \("aud"\)\..*The token service answered invalid_request: The subject token was refused \(audience\): /,
    );

    const expired = await exchange(await idp.sign({ sub: 'ana', aud: idp.audience, iat: now() - 7200, exp: now() - 3600 }));
    expect(expired).toMatch(/^The token has expired \(invalid_request\)Its "exp" time has passed\..*The token service answered invalid_request: The subject token was refused \(expiry\)/);

    const unknown = await exchange(await idp.sign({ sub: 'ana', aud: idp.audience, iss: 'https://unknown-issuer.test' }));
    expect(unknown).toBe(
      'Unknown issuer (invalid_request)No identity provider of this organization has the issuer ("iss") of this token. Use a token from the chosen provider, or ask an admin to add its provider.The token service answered invalid_request: The subject token was refused (issuer): "https://unknown-issuer.test" is not the issuer of any identity provider of this organization',
    );

    await page.getByRole('textbox', { name: 'corp-idp Token' }).fill('not-a-jwt');
    await page.getByText('This is not a JWT: paste the access token itself').waitFor();
    expect(errors(page)).toEqual([]);
  });

  it('explains a grant type the keys do not allow', async () => {
    // The keys lose the token-exchange grant while the page still offers the exchange.
    const patched = await web.platform.admin.patch(`${org.path}/portal/applications/${appId}/keys/production`, { grantTypes: ['client_credentials'] });
    expect(patched.status).toBe(200);
    expect(await exchange(await idp.clientCredentialsToken())).toBe(
      `Grant type not enabled (unauthorized_client)These keys may not use this grant type. Enable it under Advanced Configurations of the keys (Token Exchange for User Keys).The token service answered unauthorized_client: This client may not use the ${TOKEN_EXCHANGE} grant; enable it on the client's credentials`,
    );
  });

  it('Regenerate Secret shows the new secret once; the old one is refused at once', async () => {
    await page.goto(appPath);
    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    await page.getByRole('button', { name: 'Regenerate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'New secret: Production Keys' });
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    const fresh = await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    expect(fresh).toMatch(/^dbs_/);
    expect(fresh).not.toBe(secret);
    await dialog.getByRole('button', { name: 'Done' }).click();
    const form = page.getByRole('region', { name: 'Test token with client credentials' });
    await form.getByRole('textbox', { name: 'Consumer Secret' }).fill(secret);
    await form.getByRole('button', { name: 'Generate Test Token' }).click();
    await form.getByRole('alert').waitFor();
    expect(await form.getByRole('alert').textContent()).toMatch(/^Wrong consumer secret \(invalid_client\)/);
    await form.getByRole('textbox', { name: 'Consumer Secret' }).fill(fresh);
    await form.getByRole('button', { name: 'Generate Test Token' }).click();
    await form.getByRole('region', { name: 'Test token', exact: true }).waitFor();
    secret = fresh;
  });

  it("Try it: an application not subscribed is offered Subscribe; a wrong secret is refused with the API's message", async () => {
    await page.goto(`/portal/o/${org.handle}/apis/${weather.id}?tab=try-it`);
    await page.getByText('This application is not subscribed to Weather API; the gateway refuses its tokens here.').waitFor();
    expect(await page.getByRole('button', { name: 'Send Request' }).isDisabled()).toBe(true);
    // The test token generated before the reload was in the page's memory only: it is gone.
    expect(await page.getByRole('radio').count()).toBe(0);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByText('Not subscribed', { exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('textbox', { name: 'id' }).fill('7');
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill('dbs_wrong');
    await page.getByRole('button', { name: 'Send Request' }).click();
    const alert = page.getByRole('alert', { name: 'The call was not made' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe('The call was not madeThe token endpoint refused a test token: invalid_client (Client authentication failed)consumerSecret invalid_client');
    await page.getByText('The token endpoint refused this secret').waitFor();
    // A header Try it sets itself is refused on its row.
    await page.getByRole('textbox', { name: 'Consumer Secret' }).fill(secret);
    await page.getByRole('button', { name: '+ Add header' }).click();
    await page.getByRole('textbox', { name: 'Header 1 name' }).fill('Authorization');
    await page.getByRole('textbox', { name: 'Header 1 value' }).fill('Bearer mine');
    await page.getByRole('button', { name: 'Send Request' }).click();
    await page.getByText('cannot be set', { exact: true }).first().waitFor();
    expect(await alert.textContent()).toContain('The Authorization header cannot be set here: Try it sends the test token itself');
    await page.getByRole('button', { name: 'Remove header 1' }).click();
    let status = '';
    for (let i = 0; i < 30 && status !== '200'; i++) {
      await page.getByRole('button', { name: 'Send Request' }).click();
      await page.getByRole('region', { name: 'Response' }).waitFor();
      status = (await page.getByLabel('Response status').textContent())!;
      if (status !== '200') await page.waitForTimeout(200);
    }
    expect(status).toBe('200');
    expect(JSON.parse((await page.getByLabel('Response body', { exact: true }).textContent())!)).toEqual({ method: 'GET', url: '/weather/items/7', authorization: null });
  });

  it('renames the application, refuses a blank name, and deletes it with its subscription', async () => {
    await page.goto(appPath);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('textbox', { name: 'Application name' }).fill('   ');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.getByRole('textbox', { name: 'Application name' }).fill('Weather Widget');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Weather Widget', level: 2, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete application "Weather Widget"?' });
    expect(await dialog.textContent()).toContain('It has 1 subscription; they are removed too');
    await dialog.getByRole('button', { name: 'Delete Weather Widget' }).click();
    await page.waitForURL(`**/portal/o/${org.handle}/applications`);
    await page.getByText('No applications yet').waitFor();
    expect((await web.platform.admin.get(`${org.path}/portal/applications/${appId}`)).status).toBe(404);
    expect(errors(page)).toEqual([]);
  });
});
