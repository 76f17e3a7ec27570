import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { errors, hasChromium, inviteMember, signInThroughForm, startWebTest, type WebTest } from '../helpers/browser.js';

/** The console's projects list and project home: component cards, + Create (External Consumer, API Proxy). */
describe.runIf(hasChromium)('console: projects and components', () => {
  let web: WebTest;
  const org = 'acme';
  const home = `/console/o/${org}/projects`;

  beforeAll(async () => {
    web = await startWebTest();
    const created = await web.platform.admin.post('/api/v1/orgs', { name: 'Acme' });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await web?.close();
  });

  /** A page signed in as the admin, on `path`; actions fail after 10 s with what they waited for (not the test's 30 s timeout). */
  async function signedIn(path: string): Promise<Page> {
    const page = await web.signedInPage('admin', undefined, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  /** Whether the element has the keyboard focus (runs in the page). */
  const isFocused = (e: unknown) => e === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
  const nameBox = (page: Page) => page.getByRole('textbox', { name: /^Name/ });

  async function openCreate(page: Page, kind: 'External Consumer' | 'API Proxy') {
    await page.getByRole('button', { name: '+ Create', exact: true }).click();
    const drawer = page.getByRole('dialog', { name: 'Create' });
    await drawer.getByRole('button', { name: kind, exact: true }).click();
    await page.getByRole('dialog', { name: `Create: ${kind}` }).waitFor();
  }

  it("lists the organization's projects as cards, each linking to its home", async () => {
    const page = await signedIn(home);
    const list = page.getByRole('list', { name: 'Projects' });
    await list.waitFor();
    expect(await list.getByRole('listitem').count()).toBe(1);
    expect(await list.getByRole('listitem').textContent()).toBe('Default projectDefaultdefault');
    await list.getByRole('link', { name: 'Default project' }).click();
    await page.waitForURL(`**${home}/default`);
    await page.getByRole('heading', { name: 'Default project', level: 2 }).waitFor();
    expect(errors(page)).toEqual([]);
  });

  it("+ Create project: checks the name as you type, refuses a duplicate with the API's message, then creates and opens the project", async () => {
    const page = await signedIn(home);
    await page.getByRole('button', { name: '+ Create project' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a project' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Default');
    expect(await nameBox(page).inputValue()).toBe('default');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('A project named "default" already exists');
    expect(await alert.textContent()).toContain('name is taken');

    await nameBox(page).fill('Mobile Apps');
    await dialog.getByText('Use lowercase letters, digits and single hyphens; start and end with a letter or digit (at most 63)').waitFor();
    expect(await dialog.getByRole('button', { name: 'Create', exact: true }).isDisabled()).toBe(true);
    expect(await nameBox(page).getAttribute('aria-invalid')).toBe('true');

    await nameBox(page).fill('mobile');
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Mobile apps');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('Our iOS and Android apps');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(`**${home}/mobile`);
    await page.getByRole('heading', { name: 'Mobile apps', level: 2 }).waitFor();
    const project = await web.platform.admin.get(`/api/v1/orgs/${org}/projects/mobile`);
    expect(project.status).toBe(200);
    expect(project.body).toMatchObject({ name: 'mobile', displayName: 'Mobile apps', description: 'Our iOS and Android apps', isDefault: false });
    expect(errors(page)).toEqual([]);
  });

  it('a project without components shows the empty state with a way to create one', async () => {
    expect((await web.platform.admin.post(`/api/v1/orgs/${org}/projects`, { name: 'empty', displayName: 'Empty' })).status).toBe(201);
    const page = await signedIn(`${home}/empty`);
    await page.getByText('No components yet').waitFor();
    await page.getByRole('button', { name: 'Create a component' }).click();
    await page.getByRole('dialog', { name: 'Create' }).getByRole('button', { name: 'External Consumer', exact: true }).waitFor();
    expect(errors(page)).toEqual([]);
  });

  it('+ Create → External Consumer: a bad name shows the problem before submit; the consumer is created and its overview opens', async () => {
    const page = await signedIn(`${home}/default`);
    await page.getByText('No components yet').waitFor();
    await openCreate(page, 'External Consumer');
    const dialog = page.getByRole('dialog', { name: 'Create: External Consumer' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Weather App');
    expect(await nameBox(page).inputValue()).toBe('weather-app');
    await nameBox(page).fill('weather--app');
    await dialog.getByText('Use lowercase letters, digits and single hyphens; start and end with a letter or digit (at most 63)').waitFor();
    expect(await dialog.getByRole('button', { name: 'Create', exact: true }).isDisabled()).toBe(true);
    await nameBox(page).fill('weather-app-');
    expect(await dialog.getByRole('button', { name: 'Create', exact: true }).isDisabled()).toBe(true);
    await nameBox(page).fill('weather-app');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('The iOS weather app');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(`**${home}/default/consumers/weather-app`);
    await page.getByRole('heading', { name: 'Weather App', level: 2 }).waitFor();
    await page.getByRole('table', { name: 'Authentication Configurations' }).waitFor();

    const component = await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/components/weather-app`);
    expect(component.status).toBe(200);
    expect(component.body).toMatchObject({ type: 'external-consumer', name: 'weather-app', displayName: 'Weather App', description: 'The iOS weather app' });
    expect(errors(page)).toEqual([]);
  });

  it("+ Create → API Proxy creates the component and goes to its API page; a duplicate name shows the API's 409 message", async () => {
    const page = await signedIn(`${home}/default`);
    await page.getByRole('list', { name: 'Components' }).waitFor();
    await openCreate(page, 'API Proxy');
    let dialog = page.getByRole('dialog', { name: 'Create: API Proxy' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Forecast API');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(`**${home}/default/apis/forecast-api`);
    const component = await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/components/forecast-api`);
    expect(component.status).toBe(200);
    expect(component.body).toMatchObject({ type: 'api-proxy', name: 'forecast-api', displayName: 'Forecast API', description: '' });

    await page.goto(`${home}/default`);
    await openCreate(page, 'External Consumer');
    dialog = page.getByRole('dialog', { name: 'Create: External Consumer' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Forecast API');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('The component was not createdA component named "forecast-api" already exists in project "default"name is taken');
    expect(await nameBox(page).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByText('is taken', { exact: true }).first().waitFor();
    expect(errors(page)).toEqual([]);
  });

  it('the project home shows each component as a card linking to its page, filters by kind, and has the Connections tab', async () => {
    const page = await signedIn(`${home}/default`);
    const cards = page.getByRole('list', { name: 'Components' });
    await cards.waitFor();
    expect(await cards.getByRole('listitem').allTextContents()).toEqual(['Forecast APIAPI Proxyforecast-api', 'Weather AppExternal Consumerweather-appThe iOS weather app']);
    expect(await cards.getByRole('link', { name: 'Forecast API' }).getAttribute('href')).toBe(`${home}/default/apis/forecast-api`);
    expect(await cards.getByRole('link', { name: 'Weather App' }).getAttribute('href')).toBe(`${home}/default/consumers/weather-app`);

    await page.locator('label', { hasText: 'API Proxies' }).click();
    expect(await page.getByRole('radio', { name: 'API Proxies' }).isChecked()).toBe(true);
    expect(await cards.getByRole('listitem').count()).toBe(1);
    expect(await cards.getByRole('link').textContent()).toBe('Forecast API');

    await page.getByRole('tab', { name: 'Connections' }).click();
    await page.waitForURL(`**${home}/default/connections`);
    expect(errors(page)).toEqual([]);
  });

  it('works with the keyboard: + Create, the kind, the Create pane and its submit', async () => {
    const page = await signedIn(`${home}/empty`);
    await page.getByText('No components yet').waitFor();
    await page.getByRole('button', { name: '+ Create', exact: true }).focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: 'Create' });
    await drawer.waitFor();
    // Focus stays in the pane: Tab moves from its close button to the first kind.
    for (let i = 0; i < 3 && !(await drawer.getByRole('button', { name: 'External Consumer', exact: true }).evaluate(isFocused)); i++) await page.keyboard.press('Tab');
    expect(await drawer.getByRole('button', { name: 'External Consumer', exact: true }).evaluate(isFocused)).toBe(true);
    await page.keyboard.press('Enter');
    const display = page.getByRole('dialog', { name: 'Create: External Consumer' }).getByRole('textbox', { name: 'Display name' });
    await display.waitFor();
    expect(await display.evaluate(isFocused)).toBe(true);
    await page.keyboard.type('Keyboard Bot');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**${home}/empty/consumers/keyboard-bot`);
    expect(errors(page)).toEqual([]);
  });

  it("an unknown project shows the API's error", async () => {
    const page = await signedIn(`${home}/nope`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Could not load: projectProject not found');
  });

  it('a developer member creates projects and components too (the API lets every member do so)', async () => {
    const password = await inviteMember(web.platform, org, 'dev@acme.test', 'developer');
    const page = await web.newPage();
    page.setDefaultTimeout(10_000);
    await signInThroughForm(page, `${home}/default`, 'dev@acme.test', password);
    await page.getByRole('list', { name: 'Components' }).waitFor();
    await openCreate(page, 'External Consumer');
    const dialog = page.getByRole('dialog', { name: 'Create: External Consumer' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Dev Bot');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(`**${home}/default/consumers/dev-bot`);
    const component = await web.platform.admin.get(`/api/v1/orgs/${org}/projects/default/components/dev-bot`);
    expect(component.status).toBe(200);
    expect(component.body).toMatchObject({ type: 'external-consumer', displayName: 'Dev Bot' });
    expect(errors(page)).toEqual([]);
  });
});
