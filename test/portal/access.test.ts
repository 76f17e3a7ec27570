import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api, TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';
import { runCli, type CliRun } from '../helpers/cli.js';

/**
 * Who may subscribe, unsubscribe and connect which application, by every
 * route that does it: the organization's subscriptions (`/subscriptions`, the
 * `drawbridge subscription` CLI), the portal and connections follow the same
 * rules. An API one may not see is 404; only an application's owner or an
 * organization admin changes its subscriptions (403). And connections remove
 * only what they made.
 */

const CLI_TIMEOUT = 90_000;

const NOT_OWNER = { code: 'forbidden', message: "Only the application's owner or an organization admin can change it" };
const API_NOT_FOUND = { code: 'not_found', message: 'API not found' };
const notOwnerOf = (name: string) => ({ code: 'forbidden', message: `Only the owner of application "${name}" or an organization admin can connect it or remove its connections` });

let platform: TestPlatform;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
/** A second developer of the same organization. */
let other: Api;
let orders: { id: string; ref: string };
let hidden: { id: string; ref: string };
/** The first developer's portal application. */
let mine: string;
let dir: string;

beforeAll(async () => {
  [platform, backend] = await Promise.all([startPortalPlatform(), echoBackend()]);
  org = await portalOrg(platform);
  const otherEmail = `other-${Date.now()}@portal.test`;
  other = await platform.newUser(otherEmail);
  expect((await platform.admin.post(`${org.path}/members`, { email: otherEmail, role: 'developer' })).status).toBe(201);
  orders = await publishedApi(platform, org, 'orders', backend.url);
  hidden = await publishedApi(platform, org, 'hidden', backend.url, { visibility: 'private' });
  const created = await org.developer.post(`${org.path}/portal/applications`, { name: 'Mine' });
  expect(created.status).toBe(201);
  mine = created.body.id;
  dir = mkdtempSync(join(tmpdir(), 'drawbridge-portal-access-'));
  writeFileSync(join(dir, 'cli.json'), JSON.stringify({ url: platform.url, token: org.developer.token, org: org.handle }), { mode: 0o600 });
});
afterAll(async () => {
  await platform?.close();
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const subs = () => `${org.path}/subscriptions`;
const connections = () => `${org.path}/projects/default/connections`;
const appSubscriptions = async (appId: string) => (await platform.admin.get(`${subs()}?applicationId=${appId}`)).body as { id: string; apiId: string }[];

describe("POST /subscriptions follows the portal's rules", () => {
  it('answers 404 for a private API the developer may not see, as the portal does', async () => {
    const res = await org.developer.post(subs(), { applicationId: mine, api: hidden.ref });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(API_NOT_FOUND);
    const byId = await org.developer.post(subs(), { applicationId: mine, api: hidden.id });
    expect(byId.status).toBe(404);
    expect(byId.body).toEqual(API_NOT_FOUND);
    expect(await appSubscriptions(mine)).toEqual([]);
  });

  it("refuses a second developer subscribing another's application (403), to a public API too", async () => {
    const res = await other.post(subs(), { applicationId: mine, api: orders.ref });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(NOT_OWNER);
    expect(await appSubscriptions(mine)).toEqual([]);
  });

  it('lets the owner subscribe to what they see, and an admin to any published API', async () => {
    const res = await org.developer.post(subs(), { applicationId: mine, api: orders.ref });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ applicationId: mine, apiId: orders.id, api: orders.ref, createdBy: org.developerEmail });
    const admin = await platform.admin.post(subs(), { applicationId: mine, api: hidden.ref });
    expect(admin.status).toBe(201);
    expect((await appSubscriptions(mine)).map((s) => s.apiId)).toEqual([orders.id, hidden.id]);
  });
});

describe('DELETE /subscriptions/:id', () => {
  it('refuses a second developer (403) and keeps the subscription', async () => {
    const [sub] = (await appSubscriptions(mine)).filter((s) => s.apiId === hidden.id);
    const res = await other.delete(`${subs()}/${sub!.id}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(NOT_OWNER);
    expect((await appSubscriptions(mine)).map((s) => s.id)).toContain(sub!.id);
    // The owner may remove one to an API they cannot see any more (or never could).
    expect((await org.developer.delete(`${subs()}/${sub!.id}`)).status).toBe(204);
    expect((await appSubscriptions(mine)).map((s) => s.apiId)).toEqual([orders.id]);
  });

  it('answers 409 while a connection relies on the subscription, as the portal does', async () => {
    expect((await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'kiosk', displayName: 'Kiosk' })).status).toBe(201);
    const conn = await org.developer.post(connections(), { name: 'kiosk-orders', api: orders.ref, component: 'kiosk', generateKeys: false });
    expect(conn.status, conn.text).toBe(201);
    const [sub] = await appSubscriptions(conn.body.applicationId);
    for (const client of [org.developer, platform.admin]) {
      const res = await client.delete(`${subs()}/${sub!.id}`);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 'conflict', message: 'Connection(s) "kiosk-orders" rely on this subscription; delete them instead', fields: { subscription: 'is used by a connection' } });
    }
    expect((await appSubscriptions(conn.body.applicationId)).map((s) => s.id)).toEqual([sub!.id]);
    expect((await org.developer.delete(`${connections()}/kiosk-orders`)).status).toBe(204);
    expect(await appSubscriptions(conn.body.applicationId)).toEqual([]);
  });
});

describe("connections on someone else's consumer", () => {
  it("refuses a second developer connecting another's external consumer: no subscription, no keys, no secret", async () => {
    expect((await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' })).status).toBe(201);
    const res = await other.post(connections(), { name: 'stolen', api: orders.ref, component: 'mobile' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(notOwnerOf('mobile'));
    expect(res.text).not.toContain('dbs_');
    const apps = (await org.developer.get(`${org.path}/portal/applications`)).body as { id: string; component: string | null; subscriptions: number; environmentsWithKeys: string[] }[];
    const mobile = apps.find((a) => a.component === 'default/mobile')!;
    expect(mobile).toMatchObject({ subscriptions: 0, environmentsWithKeys: [] });
    expect((await org.developer.get(`${connections()}/stolen`)).status).toBe(404);
  });

  it("refuses a second developer deleting another's connection; the owner and an admin may", async () => {
    const created = await org.developer.post(connections(), { name: 'mobile-orders', api: orders.ref, component: 'mobile' });
    expect(created.status).toBe(201);
    const res = await other.delete(`${connections()}/mobile-orders`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual(notOwnerOf('mobile'));
    expect((await org.developer.get(`${connections()}/mobile-orders`)).status).toBe(200);
    expect((await appSubscriptions(created.body.applicationId)).length).toBe(1);
    expect((await platform.admin.delete(`${connections()}/mobile-orders`)).status).toBe(204);
    expect(await appSubscriptions(created.body.applicationId)).toEqual([]);
  });

  it("refuses a second developer using the project's shared application made by someone else", async () => {
    const first = await org.developer.post(connections(), { name: 'shared-a', api: orders.ref, generateKeys: false });
    expect(first.status).toBe(201);
    const res = await other.post(connections(), { name: 'shared-b', api: orders.ref });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(notOwnerOf('default (project connections)'));
    expect((await org.developer.delete(`${connections()}/shared-a`)).status).toBe(204);
  });
});

describe('connections remove only what they made', () => {
  it("keeps a subscription that existed before the connection (the portal's)", async () => {
    const mineSubs = await appSubscriptions(mine);
    expect(mineSubs.map((s) => s.apiId)).toEqual([orders.id]);
    expect((await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'tablet', displayName: 'Tablet' })).status).toBe(201);
    const tablet = ((await org.developer.get(`${org.path}/portal/applications`)).body as { id: string; component: string | null }[]).find((a) => a.component === 'default/tablet')!;
    const portalSub = await org.developer.post(`${org.path}/portal/applications/${tablet.id}/subscriptions`, { api: orders.ref });
    expect(portalSub.status).toBe(201);

    const conn = await org.developer.post(connections(), { name: 'tablet-orders', api: orders.ref, component: 'tablet', generateKeys: false });
    expect(conn.status).toBe(201);
    const listed = await org.developer.get(`${org.path}/portal/applications/${tablet.id}/subscriptions`);
    expect(listed.body.map((s: { id: string; connections: string[] }) => [s.id, s.connections])).toEqual([[portalSub.body.id, ['tablet-orders']]]);

    expect((await org.developer.delete(`${connections()}/tablet-orders`)).status).toBe(204);
    const after = await org.developer.get(`${org.path}/portal/applications/${tablet.id}/subscriptions`);
    expect(after.body.map((s: { id: string; connections: string[] }) => [s.id, s.connections])).toEqual([[portalSub.body.id, []]]);
    const audit = (await platform.admin.get(`${org.path}/audit`)).body as { action: string; details: Record<string, unknown> }[];
    expect(audit.find((e) => e.action === 'connection.deleted' && e.details.name === 'tablet-orders')?.details).toMatchObject({ subscriptionRemoved: false, keptFor: [] });
  });

  it("keeps the project's shared application and keys after its last connection: the next one reuses them", async () => {
    const first = await org.developer.post(connections(), { name: 'proj-1', api: orders.ref });
    expect(first.status).toBe(201);
    const appId: string = first.body.applicationId;
    const keys = first.body.environments.map((e: { params: Record<string, string> }) => e.params.ConsumerKey);
    expect(first.body.environments.every((e: { keysCreated: boolean }) => e.keysCreated)).toBe(true);
    expect((await org.developer.delete(`${connections()}/proj-1`)).status).toBe(204);
    expect(await appSubscriptions(appId)).toEqual([]);

    const again = await org.developer.post(connections(), { name: 'proj-2', api: orders.ref });
    expect(again.status).toBe(201);
    expect(again.body.applicationId).toBe(appId);
    expect(again.body.environments.map((e: { params: Record<string, string> }) => e.params.ConsumerKey)).toEqual(keys);
    expect(again.body.environments.every((e: { keysCreated: boolean; params: Record<string, string> }) => !e.keysCreated && !('ConsumerSecret' in e.params))).toBe(true);
    const apps = (await org.developer.get(`${org.path}/portal/applications`)).body as { id: string; name: string }[];
    expect(apps.filter((a) => a.name === 'default (project connections)').map((a) => a.id)).toEqual([appId]);
    expect((await org.developer.delete(`${connections()}/proj-2`)).status).toBe(204);
  });
});

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { DRAWBRIDGE_CLI_CONFIG: join(dir, 'cli.json') });
}

describe('CLI', () => {
  it(
    "subscription create refuses what the routes refuse, with the API's message",
    async () => {
      const run = await cli('subscription', 'create', '--app', mine, '--api', hidden.ref);
      expect(run).toEqual({ code: 1, stdout: '', stderr: 'Error: API not found\n' });
    },
    CLI_TIMEOUT,
  );

  it(
    'portal unsubscribe removes a subscription to an API made private since',
    async () => {
      const ledger = await publishedApi(platform, org, 'ledger', backend.url);
      expect((await org.developer.post(`${org.path}/portal/applications/${mine}/subscriptions`, { api: ledger.ref })).status).toBe(201);
      expect((await platform.admin.patch(`${org.path}/projects/default/components/ledger/api`, { visibility: 'private' })).status).toBe(200);
      expect((await org.developer.get(`${org.path}/portal/apis/${ledger.id}`)).status).toBe(404);

      const run = await cli('portal', 'unsubscribe', 'Mine', 'default/ledger');
      expect(run).toEqual({ code: 0, stdout: 'Mine unsubscribed from default/ledger\n', stderr: '' });
      expect((await appSubscriptions(mine)).map((s) => s.apiId)).toEqual([orders.id]);
    },
    CLI_TIMEOUT,
  );

  it('the portal route takes the API as project/component too, whatever its visibility', async () => {
    const [sub] = await appSubscriptions(mine);
    const pulled = await org.developer.delete(`${org.path}/portal/applications/${mine}/subscriptions/${encodeURIComponent(orders.ref)}`);
    expect(pulled.status).toBe(204);
    expect(await appSubscriptions(mine)).toEqual([]);
    expect((await org.developer.delete(`${org.path}/portal/applications/${mine}/subscriptions/${sub!.id}`)).status).toBe(404);
  });
});
