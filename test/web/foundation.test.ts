import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/control-plane/web.js';
import { errors, hasChromium, inviteMember, signInThroughForm, startWebTest, type WebTest } from '../helpers/browser.js';
import { ADMIN_PASSWORD } from '../helpers/platform.js';

describe.runIf(hasChromium)('web foundation', () => {
  let web: WebTest;
  beforeAll(async () => {
    web = await startWebTest();
  });
  afterAll(async () => {
    await web?.close();
  });

  it('GET / redirects to the console, whose pages carry the security headers', async () => {
    const root = await fetch(`${web.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const page = await fetch(`${web.base}/console/o/x/projects`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('a first sign-in with no organization creates one, then lands in its console', async () => {
    const page = await web.newPage();
    await page.goto('/console/');
    await page.waitForURL('**/console/login?next=%2Fconsole%2F');
    await page.getByRole('textbox', { name: 'Username' }).fill('admin');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/new-org');
    await page.getByRole('textbox', { name: 'Organization name' }).fill('Stark Industries');
    expect(await page.getByRole('textbox', { name: 'Handle' }).inputValue()).toBe('stark-industries');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL('**/console/o/stark-industries/projects/default');
    expect(errors(page)).toEqual([]);
  });

  it('refuses a duplicate organization name with the API message and the field it names', async () => {
    const page = await web.signedInPage('admin', ADMIN_PASSWORD, '/console/new-org');
    await page.getByRole('textbox', { name: 'Organization name' }).fill('Stark Industries');
    await page.getByRole('button', { name: 'Create' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('An organization named "Stark Industries" already exists');
    expect(await page.getByText('is taken').count()).toBeGreaterThan(0);
  });

  it('a wrong password shows the API message and stays on sign-in', async () => {
    const page = await web.newPage();
    await page.goto('/console/login');
    await page.getByRole('textbox', { name: 'Username' }).fill('admin');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong username or password');
    expect(new URL(page.url()).pathname).toBe('/console/login');
  });

  it('an expired session returns to sign-in and then to the page the user was on', async () => {
    const page = await web.signedInPage('admin', ADMIN_PASSWORD, '/console/o/stark-industries/projects');
    // The session ends on the server (as when it expires): the next call answers 401.
    await page.context().clearCookies();
    await page.goto('/console/o/stark-industries/members');
    await page.waitForURL('**/console/login?next=*');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/console/o/stark-industries/members');
    await page.getByRole('textbox', { name: 'Username' }).fill('admin');
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/o/stark-industries/members');
  });

  it('keeps no session secret in browser storage or in any URL it requested', async () => {
    const page = await web.newPage();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await signInThroughForm(page, '/console/', 'admin', ADMIN_PASSWORD);
    await page.waitForURL('**/console/o/**');
    const storage = (await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })')) as string;
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'drawbridge_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(storage).not.toContain(session!.value);
    expect(urls.filter((u) => u.includes(session!.value) || /csrf|password|token=/i.test(u))).toEqual([]);
  });

  it('a state-changing call with the session cookie but without the CSRF token is refused (cross-site request forgery)', async () => {
    const login = await fetch(`${web.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const forged = await fetch(`${web.base}/api/v1/orgs`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'Forged' }) });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toEqual({ code: 'forbidden', message: "A request signed in with the session cookie must send the session's CSRF token in the x-csrf-token header" });
    const wrong = await fetch(`${web.base}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': 'ab'.repeat(32) },
      body: JSON.stringify({ name: 'Forged' }),
    });
    expect(wrong.status).toBe(403);
    const ok = await fetch(`${web.base}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ name: 'Not Forged' }),
    });
    expect(ok.status).toBe(201);
    const session = await fetch(`${web.base}/api/v1/auth/session`, { headers: { cookie } });
    expect(await session.json()).toMatchObject({ csrfToken, user: { email: 'admin' } });
  });

  it('an invited member changes the temporary password from the account menu, and signs in with the new one', async () => {
    const temporary = await inviteMember(web.platform, 'stark-industries', 'happy@stark.example', 'developer');
    const page = await web.signedInPage('happy@stark.example', temporary);
    await page.getByRole('button', { name: 'happy', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    await dialog.getByRole('textbox', { name: 'Current password' }).fill('not the password');
    await dialog.getByRole('textbox', { name: 'New password' }).fill('a much longer new password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('The current password is wrong');
    await dialog.getByRole('textbox', { name: 'Current password' }).fill(temporary);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'happy', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/console/login');
    await signInThroughForm(page, '/console/', 'happy@stark.example', 'a much longer new password');
    await page.waitForURL('**/console/o/stark-industries/projects/default');
    expect(errors(page)).toEqual([]);
  });
});
