import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, inviteMember, startWebTest, type WebTest } from '../helpers/browser.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { ADMIN_PASSWORD } from '../helpers/platform.js';
import { closedPort } from '../gateway/helpers.js';

const ORG = 'acme';
const LIST = `/console/o/${ORG}/settings/identity-providers`;
const ADD = `/console/o/${ORG}/settings/add-identity-provider`;
const DEV_EMAIL = 'dev@acme.test';

describe.runIf(hasChromium)('console: identity providers (Settings → API Management)', () => {
  let web: WebTest;
  let idp: TestIdp;
  let devPassword: string;

  beforeAll(async () => {
    idp = await startTestIdp();
    web = await startWebTest({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    const org = await web.platform.admin.post('/api/v1/orgs', { name: 'Acme', handle: ORG });
    expect(org.status).toBe(201);
    devPassword = await inviteMember(web.platform, ORG, DEV_EMAIL, 'developer');
  }, 60_000);
  afterAll(async () => {
    await web?.close();
    await idp?.close();
  });

  /** A signed-in page that fails fast instead of waiting out the test's time. */
  async function open(path: string, username = 'admin', password = ADMIN_PASSWORD): Promise<Page> {
    const page = await web.signedInPage(username, password, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  /** Chooses a kind and fills the details of + Add Provider. */
  async function fillDetails(page: Page, details: { kind?: string; name: string; description?: string; audience: string; wellKnownUrl: string }) {
    if (details.kind) await page.getByRole('button', { name: details.kind, exact: true }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill(details.name);
    if (details.description) await page.getByRole('textbox', { name: 'Description' }).fill(details.description);
    await page.getByRole('combobox', { name: 'Allowed Token Audience' }).fill(details.audience);
    await page.getByRole('textbox', { name: 'Well-Known URL' }).fill(details.wellKnownUrl);
  }

  it('with no provider yet, the list says so and + Add Provider shows the supported kinds as cards', async () => {
    const page = await open(LIST);
    await page.getByText('No identity providers yet').waitFor();
    await page.getByRole('button', { name: '+ Add Provider', exact: true }).click();
    await page.waitForURL(`**${ADD}`);
    const cards = page.getByRole('list', { name: 'Provider kinds' }).getByRole('button');
    await cards.first().waitFor();
    expect(await cards.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))).toEqual(['Okta', 'Microsoft Entra ID', 'Auth0', 'Keycloak', 'Any OpenID Connect provider']);
    // Keyboard: a card is a real button; choosing one puts the cursor in Name.
    await page.getByRole('button', { name: 'Keycloak', exact: true }).focus();
    await page.keyboard.press('Enter');
    const name = page.getByRole('textbox', { name: 'Name' });
    await name.waitFor();
    expect(await name.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.getByText('Kind: Keycloak').waitFor();
    expect(errors(page)).toEqual([]);
  });

  it("adds a provider from a well-known URL: Next fills Issuer, Token Endpoint and JWKS Endpoint with the IdP's values, Add saves it, and its name is read-only", async () => {
    const page = await open(LIST);
    await page.getByRole('button', { name: '+ Add Provider', exact: true }).click();
    await fillDetails(page, { kind: 'Any OpenID Connect provider', name: 'corp-idp', description: 'Corporate sign-in', audience: idp.audience, wellKnownUrl: idp.wellKnownUrl });
    // Nothing to save yet: the endpoints appear only after discovery.
    expect(await page.getByRole('textbox', { name: 'Issuer' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    const issuer = page.getByRole('textbox', { name: 'Issuer' });
    await issuer.waitFor();
    expect(await issuer.inputValue()).toBe(idp.issuer);
    expect(await page.getByRole('textbox', { name: 'Token Endpoint' }).inputValue()).toBe(idp.tokenEndpoint);
    expect(await page.getByRole('textbox', { name: 'JWKS Endpoint' }).inputValue()).toBe(idp.jwksUri);
    expect(await issuer.isEditable()).toBe(true);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(`**${LIST}/corp-idp`);
    await page.getByRole('heading', { level: 2, name: 'corp-idp' }).waitFor();

    const saved = await web.platform.admin.get(`/api/v1/orgs/${ORG}/identity-providers/corp-idp`);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      name: 'corp-idp',
      kind: 'generic-oidc',
      description: 'Corporate sign-in',
      wellKnownUrl: idp.wellKnownUrl,
      issuer: idp.issuer,
      tokenEndpoint: idp.tokenEndpoint,
      jwksUri: idp.jwksUri,
      audiences: [idp.audience],
      clientIdClaims: ['client_id'],
    });
    const name = page.getByRole('textbox', { name: 'Name' });
    expect(await name.inputValue()).toBe('corp-idp');
    expect(await name.isEditable()).toBe(false);
    // The list shows it with its keys.
    await page.getByRole('link', { name: 'Identity providers' }).click();
    const row = page.getByRole('row', { name: /corp-idp/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('1 key');
    expect(errors(page)).toEqual([]);
  });

  it("a well-known URL that does not answer shows the API's error on the field", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/.well-known/openid-configuration`;
    const api = await web.platform.admin.post(`/api/v1/orgs/${ORG}/identity-providers/discover`, { wellKnownUrl: dead });
    expect(api.status).toBe(502);
    const page = await open(ADD);
    await fillDetails(page, { kind: 'Okta', name: 'dead-idp', audience: 'https://api.test', wellKnownUrl: dead });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Discovery failed' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(api.body.message);
    expect(await alert.textContent()).toContain(`wellKnownUrl ${api.body.fields.wellKnownUrl}`);
    // The field itself carries the message too.
    expect(await page.getByRole('textbox', { name: 'Well-Known URL' }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('textbox', { name: 'Issuer' }).count()).toBe(0);
    // The browser logs the refused call itself; nothing else went wrong.
    expect(errors(page)).toEqual(['console: Failed to load resource: the server responded with a status of 502 (Bad Gateway)']);
  });

  it("a name that is not a handle is refused as you type; a duplicate name shows the API's 409 message", async () => {
    const page = await open(ADD);
    await page.getByRole('button', { name: 'Keycloak', exact: true }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Corp IdP');
    await page.getByText('Use lowercase letters, digits and single hyphens; start and end with a letter or digit (at most 63)').waitFor();
    await fillDetails(page, { name: 'corp-idp', audience: 'https://other.test', wellKnownUrl: idp.wellKnownUrl });
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await page.getByRole('textbox', { name: 'Issuer' }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'was not added' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('An identity provider named "corp-idp" already exists');
    expect(await alert.textContent()).toContain('name is taken');
    expect(new URL(page.url()).pathname).toBe(ADD);
    expect(errors(page)).toEqual([]);
  });

  it('Test fetches the JWKS now and shows the keys found', async () => {
    const page = await open(`${LIST}/corp-idp`);
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const table = page.getByRole('table', { name: 'Keys found' });
    await table.waitFor();
    const rows = await table.getByRole('row').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(rows).toEqual([
      ['Key ID', 'Type', 'Curve', 'Algorithms'],
      [idp.kid, 'RSA', '—', 'RS256'],
    ]);
    expect(await page.getByRole('region', { name: 'Test result' }).textContent()).toContain(`Keys fetched${idp.jwksUri}`);
    expect(errors(page)).toEqual([]);
  });

  /** The explain table's rows as [check, result, details]. */
  const checks = (page: Page) =>
    page
      .getByRole('table', { name: 'Checks' })
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));

  it('explains a token signed by the IdP step by step, and a refused one with the failing check', async () => {
    const page = await open(`${LIST}/corp-idp`);
    const token = await idp.clientCredentialsToken();
    const api = await web.platform.admin.post(`/api/v1/orgs/${ORG}/identity-providers/corp-idp/explain`, { token });
    expect(api.body.valid).toBe(true);
    await page.getByRole('textbox', { name: 'Token to explain' }).fill(token);
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    const result = page.getByRole('region', { name: 'Explanation' });
    await result.waitFor();
    expect(await result.textContent()).toContain(`Valid tokenSubject: ${idp.clientId}Client ID: ${idp.clientId}Kind: access token`);
    expect(await checks(page)).toEqual(api.body.steps.map((s: { step: string; message: string }) => [s.step, 'passed', s.message]));
    expect((await checks(page)).map((r) => r[0])).toEqual(['format', 'header', 'issuer', 'signature', 'expiry', 'not-before', 'issued-at', 'audience', 'token-type', 'subject', 'client-id']);

    const wrongAudience = await idp.sign({ sub: 'jane', aud: 'https://elsewhere.test', client_id: 'app-1' });
    await page.getByRole('textbox', { name: 'Token to explain' }).fill(wrongAudience);
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await result.getByText('Token refused').waitFor();
    const audience = (await checks(page)).find((r) => r[0] === 'audience');
    expect(audience).toEqual(['audience', 'failedaudience_mismatch', 'None of the token\'s audiences ("https://elsewhere.test") is allowed for identity provider "corp-idp"']);
    // The token went in a request body only: never into the address.
    expect(page.url()).not.toContain(wrongAudience.slice(0, 20));
    expect(errors(page)).toEqual([]);
  });

  it("an admin edits the provider (not its name) and sees the API's field errors", async () => {
    const page = await open(`${LIST}/corp-idp`);
    await page.getByRole('textbox', { name: 'Description' }).fill('Corporate sign-in (staff)');
    await page.getByRole('textbox', { name: 'JWKS Endpoint' }).fill('http://169.254.169.254/jwks');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The changes were not saved' });
    await alert.waitFor();
    const refused = await web.platform.admin.patch(`/api/v1/orgs/${ORG}/identity-providers/corp-idp`, { jwksUri: 'http://169.254.169.254/jwks' });
    expect(refused.status).toBe(422);
    expect(await alert.textContent()).toContain(refused.body.message);
    expect(await page.getByRole('textbox', { name: 'JWKS Endpoint' }).getAttribute('aria-invalid')).toBe('true');

    await page.getByRole('textbox', { name: 'JWKS Endpoint' }).fill(idp.jwksUri);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('No unsaved changes').waitFor();
    const saved = await web.platform.admin.get(`/api/v1/orgs/${ORG}/identity-providers/corp-idp`);
    expect(saved.body).toMatchObject({ name: 'corp-idp', description: 'Corporate sign-in (staff)', jwksUri: idp.jwksUri });
    expect(await page.getByRole('textbox', { name: 'Description' }).inputValue()).toBe('Corporate sign-in (staff)');
    expect(await page.getByRole('textbox', { name: 'Name' }).isEditable()).toBe(false);
    expect(errors(page)).toEqual([]);
  });

  it('a developer sees the providers read-only: no + Add Provider, no edit, no delete, no Test; Explain works', async () => {
    const page = await open(LIST, DEV_EMAIL, devPassword);
    await page.getByRole('link', { name: 'corp-idp' }).waitFor();
    // The notice shows once the member's role is known: only then is the button's absence meaningful.
    await page.getByText('Only admins can add or change identity providers').waitFor();
    expect(await page.getByRole('button', { name: '+ Add Provider' }).count()).toBe(0);

    await page.getByRole('link', { name: 'corp-idp' }).click();
    await page.getByRole('heading', { level: 2, name: 'corp-idp' }).waitFor();
    await page.getByText('You are viewing this provider read-only').waitFor();
    for (const field of ['Name', 'Description', 'Well-Known URL', 'Issuer', 'Token Endpoint', 'JWKS Endpoint']) {
      expect(await page.getByRole('textbox', { name: field, exact: true }).isEditable(), field).toBe(false);
    }
    for (const button of [/^Save$/, /^Delete/, /^Test$/]) expect(await page.getByRole('button', { name: button }).count(), String(button)).toBe(0);

    await page.getByRole('textbox', { name: 'Token to explain' }).fill(await idp.clientCredentialsToken());
    await page.getByRole('button', { name: 'Explain', exact: true }).click();
    await page.getByRole('region', { name: 'Explanation' }).getByText('Valid token').waitFor();

    // The add page itself says who may use it.
    await page.goto(ADD);
    await page.getByText('Only admins of this organization can add identity providers.').waitFor();
    expect(await page.getByRole('button', { name: 'Okta' }).count()).toBe(0);
    expect(errors(page)).toEqual([]);
  });

  it('an admin deletes a provider after confirming', async () => {
    const other = await web.platform.admin.post(`/api/v1/orgs/${ORG}/identity-providers`, { name: 'old-idp', kind: 'auth0', wellKnownUrl: idp.wellKnownUrl, audiences: ['https://old.test'] });
    expect(other.status).toBe(201);
    const page = await open(`${LIST}/old-idp`);
    await page.getByRole('button', { name: 'Delete identity provider old-idp', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete identity provider "old-idp"?' });
    await dialog.getByRole('button', { name: 'Delete old-idp' }).click();
    await page.waitForURL(`**${LIST}`);
    await page.getByRole('link', { name: 'corp-idp' }).waitFor();
    expect(await page.getByRole('link', { name: 'old-idp' }).count()).toBe(0);
    expect((await web.platform.admin.get(`/api/v1/orgs/${ORG}/identity-providers/old-idp`)).status).toBe(404);
    expect(errors(page)).toEqual([]);
  });
});
