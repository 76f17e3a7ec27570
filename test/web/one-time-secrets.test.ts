import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, hasChromium, startWebTest, type WebTest } from '../helpers/browser.js';

const ORG = 'acme';
const CONSUMER = `/console/o/${ORG}/projects/default/consumers/weather-app`;

/**
 * The react-query caches of the running page, as JSON: walks React's fiber tree
 * from #root to the QueryClientProvider and serializes the state of every query
 * and every mutation. Nothing in the app exposes the client for this.
 */
async function cachedState(page: Page): Promise<{ queries: string; mutations: string; mutationCount: number }> {
  return page.evaluate(() => {
    type Fiber = { child: Fiber | null; sibling: Fiber | null; memoizedProps?: { client?: unknown } | null };
    type Client = {
      getQueryCache(): { getAll(): { state: unknown }[] };
      getMutationCache(): { getAll(): { state: unknown }[] };
    };
    const { document } = globalThis as unknown as { document: { getElementById(id: string): unknown } };
    const root = document.getElementById('root') as Record<string, unknown>;
    const containerKey = Object.keys(root).find((k) => k.startsWith('__reactContainer$'));
    if (!containerKey) throw new Error('no React root on #root');
    let client: Client | undefined;
    const stack: Fiber[] = [root[containerKey] as Fiber];
    while (stack.length && !client) {
      const fiber = stack.pop()!;
      const candidate = fiber.memoizedProps?.client as Partial<Client> | undefined;
      if (candidate && typeof candidate.getMutationCache === 'function' && typeof candidate.getQueryCache === 'function') client = candidate as Client;
      if (fiber.sibling) stack.push(fiber.sibling);
      if (fiber.child) stack.push(fiber.child);
    }
    if (!client) throw new Error('no QueryClientProvider under #root');
    const safe = (value: unknown) => {
      const seen = new WeakSet<object>();
      return JSON.stringify(value, (_key, v: unknown) => {
        if (v instanceof Error) return { ...v, name: v.name, message: v.message };
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[circular]';
          seen.add(v);
        }
        return v;
      });
    };
    const mutations = client.getMutationCache().getAll();
    return {
      queries: safe(
        client
          .getQueryCache()
          .getAll()
          .map((q) => q.state),
      ),
      mutations: safe(mutations.map((m) => m.state)),
      mutationCount: mutations.length,
    };
  });
}

/** One-time secrets leave the page for good when their dialog closes: not in the DOM, not in TanStack Query's caches. */
describe.runIf(hasChromium)('web: one-time secrets are forgotten when their dialog closes', () => {
  let web: WebTest;

  beforeAll(async () => {
    web = await startWebTest();
    const admin = web.platform.admin;
    expect((await admin.post('/api/v1/orgs', { name: 'Acme', handle: ORG })).status).toBe(201);
    const created = await admin.post(`/api/v1/orgs/${ORG}/projects/default/components`, { type: 'external-consumer', name: 'weather-app', displayName: 'Weather App' });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await web?.close();
  });

  async function open(path: string): Promise<Page> {
    const page = await web.signedInPage('admin', undefined, path);
    page.setDefaultTimeout(10_000);
    return page;
  }

  it('Generate Keys → close: the consumer secret is in neither the DOM nor the query or mutation caches', async () => {
    const page = await open(CONSUMER);
    await page
      .getByRole('table', { name: 'Authentication Configurations' })
      .getByRole('row', { name: /^Development/ })
      .getByRole('button', { name: 'Configure' })
      .click();
    await page.getByRole('button', { name: 'Generate Keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Keys for Development' });
    await dialog.getByRole('button', { name: 'Show Consumer Secret' }).click();
    const secret = await dialog.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    expect(secret).toMatch(/^dbs_[A-Za-z0-9_-]{43}$/);
    // The walk finds the cache: while the dialog is open the secret is there.
    const open_ = await cachedState(page);
    expect(open_.mutations).toContain(secret);

    await dialog.getByRole('button', { name: 'I have copied the secret' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Regenerate Secret' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const closed = await cachedState(page);
    expect(closed.queries).not.toContain(secret);
    expect(closed.mutations).not.toContain(secret);
    expect(closed.mutationCount).toBe(0);

    // Regenerate Secret → close: the new secret is forgotten too.
    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    await page.getByRole('dialog', { name: 'Regenerate the secret for Development?' }).getByRole('button', { name: 'Regenerate the Development secret' }).click();
    const renewed = page.getByRole('dialog', { name: 'New secret for Development' });
    await renewed.getByRole('button', { name: 'Show Consumer Secret' }).click();
    const second = await renewed.getByRole('textbox', { name: 'Consumer Secret' }).inputValue();
    expect(second).toMatch(/^dbs_[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(secret);
    expect((await cachedState(page)).mutations).toContain(second);
    await renewed.getByRole('button', { name: 'I have copied the secret' }).click();
    await renewed.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(second);
    const after = await cachedState(page);
    expect(after.queries).not.toContain(second);
    expect(after.mutations).not.toContain(second);
    expect(after.mutationCount).toBe(0);
    expect(errors(page)).toEqual([]);
  });

  it('Invite member → Done: the temporary password is in neither the DOM nor the query or mutation caches', async () => {
    const page = await open(`/console/o/${ORG}/members`);
    await page.getByRole('button', { name: 'Invite member', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a member' });
    await dialog.getByRole('textbox', { name: 'Email' }).fill('jane@acme.test');
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    await dialog.getByRole('button', { name: 'Show Temporary password' }).click();
    const password = await dialog.getByRole('textbox', { name: 'Temporary password' }).inputValue();
    expect(password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect((await cachedState(page)).mutations).toContain(password);

    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('row', { name: /jane@acme\.test/ }).waitFor();
    expect(await page.content()).not.toContain(password);
    const closed = await cachedState(page);
    expect(closed.queries).not.toContain(password);
    expect(closed.mutations).not.toContain(password);
    expect(closed.mutationCount).toBe(0);
    expect(errors(page)).toEqual([]);
  });
});
