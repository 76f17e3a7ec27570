// Over 300 lines on purpose: one browser journey (consumer, keys, connections) whose steps build on each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, inviteMember, signInThroughForm, startWebTest, type WebTest } from '../helpers/browser.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { signIn, type Api } from '../helpers/platform.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The external consumer overview: Authentication Configurations, Generate Keys, Regenerate Secret, Add Keys. */
describe.runIf(hasChromium)('console: external consumers and their keys', () => {
  let web: WebTest;
  let idp: TestIdp;
  let admin: Api;
  let app: string;
  /** The Development secret Generate Keys showed (carried to the Regenerate Secret test). */
  let firstSecret = '';
  const org = 'acme';
  const consumer = `/console/o/${org}/projects/default/consumers/weather-app`;

  beforeAll(async () => {
    idp = await startTestIdp();
    web = await startWebTest({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    admin = web.platform.admin;
    expect((await admin.post('/api/v1/orgs', { name: 'Acme' })).status).toBe(201);
    const created = await admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'weather-app', displayName: 'Weather App' });
    expect(created.status).toBe(201);
    app = (await admin.get(`/api/v1/orgs/${org}/projects/default/components/weather-app/application`)).body.id;
    const provider = await admin.post(`/api/v1/orgs/${org}/identity-providers`, { name: 'corp-idp', kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] });
    expect(provider.status).toBe(201);
  });
  /** A page signed in as the admin, on `path`; actions fail after 10 s with what they waited for (not the test's 30 s timeout). */
  async function signedIn(path: string): Promise<Page> {
    const page = await web.signedInPage('admin', undefined, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  afterAll(async () => {
    await web?.close();
    await idp?.close();
  });

  /**
   * POST /oauth2/token with client_credentials and client_secret_basic. The page shows
   * the token endpoint under DRAWBRIDGE_PUBLIC_URL (http://localhost:0 in tests, whose
   * port is picked at listen time), so the call goes to the bound address.
   */
  async function token(clientId: string, clientSecret: string) {
    const res = await fetch(`${web.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const row = (page: Page, env: string) => page.getByRole('table', { name: 'Authentication Configurations' }).getByRole('row', { name: new RegExp(`^${env}`) });

  async function configure(page: Page, env: 'Development' | 'Production') {
    await row(page, env).getByRole('button', { name: 'Configure' }).click();
    await page.getByRole('heading', { name: `Weather App: ${env}`, level: 2 }).waitFor();
  }

  /** Reads the secret the dialog shows once (masked until "Show"). */
  async function shownKeys(page: Page) {
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toBe('Copy the secret nowYou will not see this secret again. Only its hash is stored; if you lose it, regenerate it.');
    const secretBox = dialog.getByRole('textbox', { name: 'Consumer Secret' });
    expect(await secretBox.inputValue()).toMatch(/^•+$/);
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    await dialog.getByRole('button', { name: 'Copy Consumer Secret' }).waitFor();
    await dialog.getByRole('button', { name: 'Copy Consumer Key' }).waitFor();
    return {
      clientId: await dialog.getByRole('textbox', { name: 'Consumer Key' }).inputValue(),
      clientSecret: await secretBox.inputValue(),
      tokenEndpoint: await dialog.getByRole('textbox', { name: 'Token Endpoint' }).inputValue(),
    };
  }

  it("shows one Authentication Configurations row per environment, and Configure lists the built-in provider first, then the organization's", async () => {
    const page = await signedIn(consumer);
    const table = page.getByRole('table', { name: 'Authentication Configurations' });
    await table.waitFor();
    expect(await table.getByRole('row').allTextContents()).toEqual([
      'EnvironmentIdentity ProviderClient IDStatusActions',
      'DevelopmentBuilt-inNoneNot configuredConfigure',
      'ProductionBuilt-inNoneNot configuredConfigure',
    ]);
    await configure(page, 'Development');
    const providers = page.getByRole('tablist', { name: 'Identity Provider' });
    // Each tab's accessible name is its text: the provider, its kind and, once keys exist, "In use".
    expect(await providers.getByRole('tab').allTextContents()).toEqual(['Built-inToken service', 'corp-idpOpenID Connect']);
    expect(await providers.getByRole('tab', { name: /^Built-in\s*Token service$/ }).getAttribute('aria-selected')).toBe('true');
    expect(await providers.getByRole('tab', { name: /^corp-idp\s*OpenID Connect$/ }).getAttribute('aria-selected')).toBe('false');
    await page.getByRole('button', { name: 'Generate Keys' }).waitFor();
    expect(errors(page)).toEqual([]);
  });

  it('Generate Keys shows the key and secret once; the secret works at the token endpoint and is gone after closing and reloading', async () => {
    const page = await signedIn(consumer);
    await configure(page, 'Development');
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    const shown = await shownKeys(page);
    expect(shown.clientId).toMatch(/^dbc_/);
    expect(shown.clientSecret).toMatch(/^dbs_[A-Za-z0-9_-]{43}$/);
    expect(shown.tokenEndpoint).toBe(`${web.platform.config.publicUrl}/oauth2/token`);

    const stored = await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/development`);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ kind: 'builtin', keysGenerated: true, clientId: shown.clientId, grantTypes: ['client_credentials'], scopes: [], tokenLifetime: 3600 });
    expect(JSON.stringify(stored.body)).not.toContain(shown.clientSecret);

    firstSecret = shown.clientSecret;
    const issued = await token(shown.clientId, shown.clientSecret);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Regenerate Secret' }).waitFor();
    expect(await page.getByRole('button', { name: 'Generate Keys' }).count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Consumer Key' }).inputValue()).toBe(shown.clientId);
    expect(await page.content()).not.toContain(shown.clientSecret);

    await page.reload();
    await page.getByRole('button', { name: 'Regenerate Secret' }).waitFor();
    expect(await page.content()).not.toContain(shown.clientSecret);
    // The "In use" badge is part of the tab's accessible name (no aria-label hides it).
    expect(
      await page
        .getByRole('tablist', { name: 'Identity Provider' })
        .getByRole('tab', { name: /^Built-in\s*Token service\s*In use$/ })
        .count(),
    ).toBe(1);
    const storage = (await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')) as string;
    expect(storage).not.toContain(shown.clientSecret);

    await page.getByRole('link', { name: 'Weather App' }).click();
    await page.waitForURL(`**${consumer}`);
    expect(await row(page, 'Development').textContent()).toBe(`DevelopmentBuilt-in${shown.clientId}Keys generatedConfigure`);
    expect(errors(page)).toEqual([]);
  });

  it('Regenerate Secret asks for confirmation, shows a new secret once, and the old one stops working', async () => {
    const page = await signedIn(consumer);
    await configure(page, 'Development');
    const clientId = await page.getByRole('textbox', { name: 'Consumer Key' }).inputValue();
    const oldSecret = firstSecret;
    expect(oldSecret).toMatch(/^dbs_/);
    expect((await token(clientId, oldSecret)).status).toBe(200);

    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    const confirm = page.getByRole('dialog', { name: 'Regenerate the secret for Development?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await token(clientId, oldSecret)).status).toBe(200);

    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    expect(await confirm.getByRole('combobox', { name: 'The current secret' }).inputValue()).toBe('Stops working now');
    await confirm.getByRole('button', { name: 'Regenerate the Development secret' }).click();
    await page.getByRole('dialog', { name: 'New secret for Development' }).waitFor();
    const shown = await shownKeys(page);
    expect(shown.clientId).toBe(clientId);
    expect(shown.clientSecret).not.toBe(oldSecret);

    const fresh = await token(clientId, shown.clientSecret);
    expect(fresh.status).toBe(200);
    const stale = await token(clientId, oldSecret);
    expect(stale.status).toBe(401);
    expect(stale.body.error).toBe('invalid_client');

    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(shown.clientSecret);

    // With a grace period the replaced secret keeps working for a while, and the page says until when.
    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    await confirm.getByRole('combobox', { name: 'The current secret' }).click();
    await page.getByRole('option', { name: 'Keeps working for 1 hour' }).click();
    await confirm.getByRole('button', { name: 'Regenerate the Development secret' }).click();
    const third = await shownKeys(page);
    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await page.getByText(/^The previous secret still works until /).waitFor();
    expect((await token(clientId, third.clientSecret)).status).toBe(200);
    expect((await token(clientId, shown.clientSecret)).status).toBe(200);
    const stored = await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/development`);
    expect(Date.parse(stored.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(errors(page)).toEqual([]);
  });

  it("Advanced Configurations: grant types, scopes and lifetime persist; bad values show the problem or the API's message and field", async () => {
    const page = await signedIn(consumer);
    await configure(page, 'Development');
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    const clientCredentials = page.getByRole('checkbox', { name: 'Client Credentials' });
    const tokenExchange = page.getByRole('checkbox', { name: 'Token Exchange' });
    expect(await clientCredentials.isChecked()).toBe(true);
    expect(await tokenExchange.isChecked()).toBe(false);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);

    await clientCredentials.uncheck();
    await page.getByText('Enable at least one grant type').waitFor();
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);

    await tokenExchange.check();
    await clientCredentials.check();
    const scopes = page.getByRole('combobox', { name: 'Allowed scopes' });
    await scopes.fill('forecast:read');
    await scopes.press('Enter');
    const lifetime = page.getByRole('textbox', { name: 'Token lifetime (seconds)' });
    await lifetime.fill('30');
    await page.getByText('Must be a whole number of seconds between 60 and 86400').waitFor();
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await lifetime.fill('900');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Advanced Configurations saved.' }).waitFor();

    const stored = await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/development`);
    expect(stored.body).toMatchObject({ grantTypes: ['client_credentials', TOKEN_EXCHANGE], scopes: ['forecast:read'], tokenLifetime: 900 });

    // A scope the API refuses (a quote is not a scope token): its message and the field it names.
    await scopes.fill('bad"scope');
    await scopes.press('Enter');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The Advanced Configurations were not saved' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'The Advanced Configurations were not savedInvalid credential settings: scopes.1 must be a scope token (printable ASCII without spaces, quotes or backslashes)scopes.1 must be a scope token (printable ASCII without spaces, quotes or backslashes)',
    );
    expect((await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/development`)).body.scopes).toEqual(['forecast:read']);

    await page.reload();
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    expect(await page.getByRole('checkbox', { name: 'Token Exchange' }).isChecked()).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Token lifetime (seconds)' }).inputValue()).toBe('900');
    expect(errors(page)).toEqual([]);
  });

  it("external provider: Add Keys with the Client ID of the app registered there; a client ID linked elsewhere shows the API's 409", async () => {
    const page = await signedIn(consumer);
    await configure(page, 'Production');
    await page.getByRole('tab', { name: 'corp-idp' }).click();
    const clientIdBox = page.getByRole('textbox', { name: 'Client ID' });
    await clientIdBox.fill('has space');
    await page.getByText('Printable characters without spaces').waitFor();
    expect(await page.getByRole('button', { name: 'Add Keys' }).isDisabled()).toBe(true);
    await clientIdBox.fill(idp.clientId);
    await page.getByRole('button', { name: 'Add Keys' }).click();
    await page.getByRole('button', { name: 'Remove Keys' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Client ID' }).inputValue()).toBe(idp.clientId);

    const stored = await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/production`);
    expect(stored.body).toMatchObject({ kind: 'external', externalClientId: idp.clientId, keysGenerated: false });

    // The built-in tab of that environment explains why it cannot generate keys now.
    await page.getByRole('tab', { name: 'Built-in' }).click();
    await page.getByText('Production uses keys from corp-idp').waitFor();
    expect(await page.getByRole('button', { name: 'Generate Keys' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Weather App' }).click();
    expect(await row(page, 'Production').textContent()).toBe(`Productioncorp-idp${idp.clientId}External keysConfigure`);

    // Another consumer cannot take the same client ID in the same environment.
    expect((await admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'other-app', displayName: 'Other App' })).status).toBe(201);
    await page.goto(`/console/o/${org}/projects/default/consumers/other-app/authentication/production`);
    await page.getByRole('tab', { name: 'corp-idp' }).click();
    await page.getByRole('textbox', { name: 'Client ID' }).fill(idp.clientId);
    await page.getByRole('button', { name: 'Add Keys' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The keys were not added' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      `The keys were not addedClient ID "${idp.clientId}" of "corp-idp" is already linked to another application in productionclientId is linked to another application`,
    );
    expect(await page.getByRole('textbox', { name: 'Client ID' }).getAttribute('aria-invalid')).toBe('true');
    expect(errors(page)).toEqual([]);
  });

  it('Remove Keys asks for confirmation and frees the environment for built-in keys', async () => {
    const page = await signedIn(`${consumer}/authentication/production`);
    await page.getByRole('tab', { name: 'corp-idp' }).waitFor();
    expect(await page.getByRole('tab', { name: 'corp-idp' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('button', { name: 'Remove Keys' }).click();
    await page.getByRole('dialog', { name: 'Remove the corp-idp keys of Production?' }).getByRole('button', { name: 'Remove the corp-idp keys' }).click();
    await page.getByRole('button', { name: 'Add Keys' }).waitFor();
    expect((await admin.get(`/api/v1/orgs/${org}/applications/${app}/credentials/production`)).body).toMatchObject({ kind: 'builtin', keysGenerated: false, externalClientId: null });
    await page.getByRole('tab', { name: 'Built-in' }).click();
    await page.getByRole('button', { name: 'Generate Keys' }).waitFor();
    expect(errors(page)).toEqual([]);
  });

  it('a developer sees the configurations of a consumer they did not create but no action that changes its keys, and manages the keys of their own', { timeout: 60_000 }, async () => {
    const password = await inviteMember(web.platform, org, 'dev@acme.test', 'developer');
    const page = await web.newPage();
    page.setDefaultTimeout(10_000);
    await signInThroughForm(page, consumer, 'dev@acme.test', password);
    await page.getByRole('table', { name: 'Authentication Configurations' }).waitFor();
    await page.getByText('only organization admins and the member who created it can edit or delete it or change its keys').waitFor();
    // Editing or deleting (which revokes its keys) is the owner's or an admin's, in the API and so in the console.
    expect(await page.getByRole('button', { name: /^(Edit|Delete)/ }).count()).toBe(0);
    await configure(page, 'Development');
    await page.getByRole('textbox', { name: 'Consumer Key' }).waitFor();
    expect(await page.getByRole('button', { name: 'Regenerate Secret' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Advanced Configurations' }).click();
    expect(await page.getByRole('checkbox', { name: 'Token Exchange' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(0);
    await page.goto(`${consumer}/authentication/production`);
    await page.getByText('No keys yet for Production.').waitFor();
    expect(await page.getByRole('button', { name: 'Generate Keys' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'corp-idp' }).click();
    await page.getByText('Only organization admins and the member who created this consumer can add them.').waitFor();
    expect(await page.getByRole('button', { name: 'Add Keys' }).count()).toBe(0);
    // The API refuses the developer too: the console mirrors it.
    const dev = await signIn(web.platform.api, 'dev@acme.test', password);
    expect((await dev.post(`/api/v1/orgs/${org}/applications/${app}/credentials/production/keys`, {})).status).toBe(403);

    // A consumer the developer creates is theirs: they generate its keys.
    expect((await dev.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'dev-bot', displayName: 'Dev Bot' })).status).toBe(201);
    await page.goto(`/console/o/${org}/projects/default/consumers/dev-bot/authentication/development`);
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    const shown = await shownKeys(page);
    expect((await token(shown.clientId, shown.clientSecret)).status).toBe(200);
    await page.getByRole('button', { name: 'I have copied the secret' }).click();
    await page.goto(`/console/o/${org}/projects/default/consumers/dev-bot`);
    await page.getByRole('button', { name: 'Edit dev-bot' }).waitFor();
    await page.getByRole('button', { name: 'Delete dev-bot' }).waitFor();
    expect(await page.getByText('only organization admins and the member who created it').count()).toBe(0);
    expect(errors(page)).toEqual([]);
  });

  it('Edit changes the display name and description; Delete asks for confirmation and removes the consumer', async () => {
    const page = await signedIn(`/console/o/${org}/projects/default/consumers/other-app`);
    await page.getByRole('button', { name: 'Edit other-app' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Other App' });
    await edit.getByRole('textbox', { name: 'Display name' }).fill('   ');
    expect(await edit.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await edit.getByRole('textbox', { name: 'Display name' }).fill('Partner Portal');
    await edit.getByRole('textbox', { name: 'Description' }).fill("The partners' web app");
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Partner Portal', level: 2, exact: true }).waitFor();
    expect((await admin.get(`/api/v1/orgs/${org}/projects/default/components/other-app`)).body).toMatchObject({
      name: 'other-app',
      displayName: 'Partner Portal',
      description: "The partners' web app",
    });

    await page.getByRole('button', { name: 'Delete other-app' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete Partner Portal?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await admin.get(`/api/v1/orgs/${org}/projects/default/components/other-app`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete other-app' }).click();
    await confirm.getByRole('button', { name: 'Delete other-app' }).click();
    await page.waitForURL(`**/console/o/${org}/projects/default`);
    await page.getByRole('list', { name: 'Components' }).waitFor();
    expect(await page.getByRole('link', { name: 'Partner Portal' }).count()).toBe(0);
    expect((await admin.get(`/api/v1/orgs/${org}/projects/default/components/other-app`)).status).toBe(404);
    expect(errors(page)).toEqual([]);
  });

  it('an unknown consumer or environment shows the error', async () => {
    const page = await signedIn(`/console/o/${org}/projects/default/consumers/nope`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Could not load: external consumerComponent not found');
    await page.goto(`${consumer}/authentication/staging`);
    await page.getByRole('alert').filter({ hasText: 'Environment not found' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Environment not foundThis organization has no environment named "staging".');
  });
});
