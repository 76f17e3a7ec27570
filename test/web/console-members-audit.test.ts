import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, inviteMember, startWebTest, type WebTest } from '../helpers/browser.js';
import { ADMIN_PASSWORD } from '../helpers/platform.js';

const ORG = 'acme';
const MEMBERS = `/console/o/${ORG}/members`;
const AUDIT = `/console/o/${ORG}/audit`;
const LAST_ADMIN = 'An organization needs at least one admin: make another member admin first';

describe.runIf(hasChromium)('console: members and audit', () => {
  let web: WebTest;
  let devPassword: string;

  beforeAll(async () => {
    web = await startWebTest();
    expect((await web.platform.admin.post('/api/v1/orgs', { name: 'Acme', handle: ORG })).status).toBe(201);
    devPassword = await inviteMember(web.platform, ORG, 'dev@acme.test', 'developer');
  }, 60_000);
  afterAll(async () => {
    await web?.close();
  });

  async function open(path: string, username = 'admin', password = ADMIN_PASSWORD): Promise<Page> {
    const page = await web.signedInPage(username, password, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  const members = async () => (await web.platform.admin.get(`/api/v1/orgs/${ORG}/members`)).body as { userId: string; email: string; role: string }[];
  const roleOf = async (email: string) => (await members()).find((m) => m.email === email)?.role;

  it('an admin invites someone new: the temporary password is shown once, and it signs them in', async () => {
    const page = await open(MEMBERS);
    await page.getByRole('row', { name: /dev@acme\.test/ }).waitFor();
    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a member' });
    await dialog.getByRole('textbox', { name: 'Email' }).fill('jane@acme.test');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Jane Doe');
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const password = dialog.getByRole('textbox', { name: 'Temporary password' });
    await password.waitFor();
    await dialog.getByText('You will not see this password again').waitFor();
    // Masked until asked for.
    expect(await password.inputValue()).toMatch(/^•+$/);
    await dialog.getByRole('button', { name: 'Show Temporary password' }).click();
    const temporary = await password.inputValue();
    expect(temporary).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const login = await fetch(`${web.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'jane@acme.test', password: temporary }),
    });
    expect(login.status).toBe(200);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = page.getByRole('row', { name: /jane@acme\.test/ });
    await row.waitFor();
    expect(await page.getByRole('combobox', { name: 'Role of jane@acme.test' }).inputValue()).toBe('developer');
    expect(await row.textContent()).toContain('Jane Doe');
    // Gone for good: not on the page, not in the reopened form.
    expect(await page.content()).not.toContain(temporary);
    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    expect(await dialog.getByRole('textbox', { name: 'Email' }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(temporary);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await roleOf('jane@acme.test')).toBe('developer');
    expect(errors(page)).toEqual([]);
  });

  it("inviting a member twice shows the API's 409 message and the field", async () => {
    const page = await open(MEMBERS);
    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a member' });
    await dialog.getByRole('textbox', { name: 'Email' }).fill('jane@acme.test');
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('jane@acme.test is already a member of this organization');
    expect(await alert.textContent()).toContain('email is already a member');
    expect(await dialog.getByRole('textbox', { name: 'Email' }).getAttribute('aria-invalid')).toBe('true');
    expect(errors(page)).toEqual([]);
  });

  it("an admin changes a member's role", async () => {
    const page = await open(MEMBERS);
    await page.getByRole('combobox', { name: 'Role of jane@acme.test' }).click();
    await page.getByRole('option', { name: 'admin', exact: true }).click();
    await page.getByText('jane@acme.test is now admin').waitFor();
    expect(await roleOf('jane@acme.test')).toBe('admin');
    await page.getByRole('combobox', { name: 'Role of jane@acme.test' }).click();
    await page.getByRole('option', { name: 'developer', exact: true }).click();
    await page.getByText('jane@acme.test is now developer').waitFor();
    expect(await roleOf('jane@acme.test')).toBe('developer');
    expect(errors(page)).toEqual([]);
  });

  it("the last admin can be neither demoted nor removed: the API's refusal is shown", async () => {
    const page = await open(MEMBERS);
    await page.getByRole('combobox', { name: 'Role of admin' }).click();
    await page.getByRole('option', { name: 'developer', exact: true }).click();
    const roleAlert = page.getByRole('alert').filter({ hasText: 'The role was not changed' });
    await roleAlert.waitFor();
    expect(await roleAlert.textContent()).toContain(LAST_ADMIN);
    expect(await page.getByRole('combobox', { name: 'Role of admin' }).inputValue()).toBe('admin');

    await page.getByRole('button', { name: 'Remove admin', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member?' });
    await dialog.getByRole('button', { name: 'Remove admin' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(LAST_ADMIN);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await roleOf('admin')).toBe('admin');
    expect(errors(page)).toEqual([]);
  });

  it('an admin removes a member after confirming', async () => {
    const page = await open(MEMBERS);
    await page.getByRole('button', { name: 'Remove jane@acme.test', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member?' });
    expect(await dialog.textContent()).toContain('jane@acme.test will lose access to this organization');
    await dialog.getByRole('button', { name: 'Remove jane@acme.test' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('row', { name: /jane@acme\.test/ }).waitFor({ state: 'detached' });
    expect((await members()).map((m) => m.email).sort()).toEqual(['admin', 'dev@acme.test']);
    expect(errors(page)).toEqual([]);
  });

  it('the audit log shows the events newest first and pages through them', async () => {
    for (let i = 1; i <= 30; i++) {
      const created = await web.platform.admin.post(`/api/v1/orgs/${ORG}/projects`, { name: `project-${i}` });
      expect(created.status).toBe(201);
    }
    const first = await web.platform.admin.get(`/api/v1/orgs/${ORG}/audit?limit=25`);
    const cursor = first.headers.get('x-next-cursor')!;
    const second = await web.platform.admin.get(`/api/v1/orgs/${ORG}/audit?limit=25&cursor=${cursor}`);
    expect(first.body).toHaveLength(25);
    expect(second.headers.get('x-next-cursor')).toBeNull();
    const all = [...first.body, ...second.body] as { action: string; details: Record<string, unknown>; createdAt: string }[];
    expect(all[0]).toMatchObject({ action: 'project.created', details: { name: 'project-30' } });
    expect(all.at(-1)!.action).toBe('organization.created');

    const page = await open(AUDIT);
    const table = page.getByRole('table', { name: 'Audit events' });
    await table.waitFor();
    const rows = () => table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[2]!.textContent, tr.children[4]!.textContent]));
    const expected = (events: typeof all) =>
      events.map((e) => [
        e.action,
        Object.entries(e.details)
          .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(''),
      ]);
    expect(await rows()).toEqual(expected(first.body));
    expect((await rows())[0]).toEqual(['project.created', 'name: project-30']);
    expect(await page.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
    await page.getByText('Page 1').waitFor();

    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(second.body.length);
    expect(await rows()).toEqual(expected(second.body));
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Newer' }).click();
    await page.getByText('Page 1').waitFor();
    expect(await rows()).toEqual(expected(first.body));
    expect(errors(page)).toEqual([]);
  });

  it('a developer sees the members without admin actions, and an admins-only notice instead of the audit log', async () => {
    const page = await open(MEMBERS, 'dev@acme.test', devPassword);
    await page.getByRole('row', { name: /dev@acme\.test/ }).waitFor();
    await page.getByText('Only admins can invite members, change roles or remove members.').waitFor();
    expect(await page.getByRole('button', { name: 'Invite member' }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: /^Role of/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    // Each member's role is shown as text (a badge), and it is the role the API holds.
    const listed = await members();
    expect(listed.map((m) => m.role).sort()).toEqual(expect.arrayContaining(['admin', 'developer']));
    for (const m of listed) {
      const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: m.email, exact: true }) });
      expect(await row.getByRole('cell').nth(2).textContent(), m.email).toBe(m.role);
    }

    const audits: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/audit')) audits.push(r.url());
    });
    await page.getByRole('link', { name: 'Audit' }).click();
    const note = page.getByRole('note');
    await note.waitFor();
    expect(await note.textContent()).toBe('Admins onlyOnly admins of this organization can read its audit log.');
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByRole('table', { name: 'Audit events' }).count()).toBe(0);
    expect(audits).toEqual([]);
    expect(errors(page)).toEqual([]);
  });
});
