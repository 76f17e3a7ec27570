import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';

/**
 * Deleting a project (no components left) takes the shared application of
 * its project-level connections with it: its keys stop working at once, its
 * subscriptions go, and the portal no longer lists it.
 */

let platform: TestPlatform;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
let orders: { id: string; ref: string };

beforeAll(async () => {
  [platform, backend] = await Promise.all([startPortalPlatform(), echoBackend()]);
  org = await portalOrg(platform);
  orders = await publishedApi(platform, org, 'orders', backend.url);
});
afterAll(async () => {
  await platform?.close();
  await backend?.close();
});

const tokenWith = (params: Record<string, string>) =>
  fetch(params.TokenURL!, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${params.ConsumerKey}:${params.ConsumerSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });

describe('deleting a project', () => {
  it('deletes the shared application of its project-level connections, with its keys and subscriptions', async () => {
    expect((await org.developer.post(`${org.path}/projects`, { name: 'scratch' })).status).toBe(201);
    const created = await org.developer.post(`${org.path}/projects/scratch/connections`, { name: 'shared-orders', api: orders.ref });
    expect(created.status, created.text).toBe(201);
    const appId: string = created.body.applicationId;
    const params = created.body.environments.find((e: { environment: string }) => e.environment === 'development').params as Record<string, string>;
    expect((await tokenWith(params)).status).toBe(200); // also warms the token service's client cache
    const listed = () => org.developer.get(`${org.path}/portal/applications`);
    expect((await listed()).body.map((a: { id: string }) => a.id)).toContain(appId);

    const deleted = await org.developer.delete(`${org.path}/projects/scratch`);
    expect(deleted.status, deleted.text).toBe(204);

    // At once: no wait for the client cache to expire.
    const refused = await tokenWith(params);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    expect((await listed()).body.map((a: { id: string }) => a.id)).not.toContain(appId);
    expect((await org.developer.get(`${org.path}/portal/applications/${appId}`)).status).toBe(404);
    expect(await platform.store.subscriptions.list(org.id, { applicationId: appId })).toEqual([]);
    expect(await platform.store.credentials.forApplication(org.id, appId)).toEqual([]);

    const audit = await platform.admin.get(`${org.path}/audit`);
    expect(audit.status).toBe(200);
    const actions = (audit.body as { action: string; targetId: string }[]).map((r: { action: string; targetId: string }) => [r.action, r.targetId]);
    expect(actions).toContainEqual(['application.deleted', appId]);
  });
});
