import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi, type ApiFixture } from './setup.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

// Applications belong to the token service; made through its repository here so this folder tests subscriptions alone.
const newApplication = (f: ApiFixture, name: string) => platform.store.applications.create({ orgId: f.orgId, name });

describe('subscriptions', () => {
  it('subscribes an application to a published API only, idempotently, and unsubscribes', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const app = await newApplication(f, 'Mobile app');
    const subs = `/api/v1/orgs/${f.org}/subscriptions`;

    const early = await platform.admin.post(subs, { applicationId: app.id, api: 'default/orders' });
    expect(early.status).toBe(409);
    expect(early.body).toEqual({ code: 'conflict', message: 'The API is created; only published APIs accept new subscriptions', fields: { api: 'is created, not published' } });

    await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
    const created = await platform.admin.post(subs, { applicationId: app.id, api: 'default/orders' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      applicationId: app.id,
      applicationName: 'Mobile app',
      apiId: f.componentId,
      api: 'default/orders',
      contextPath: '/orders',
      version: 'v1',
      createdBy: 'admin',
      createdAt: expect.any(String),
    });
    const repeated = await platform.admin.post(subs, { applicationId: app.id, api: f.componentId });
    expect(repeated.status).toBe(200);
    expect(repeated.body.id).toBe(created.body.id);

    const list = await platform.admin.get(`${subs}?applicationId=${app.id}`);
    expect(list.body.map((s: { id: string }) => s.id)).toEqual([created.body.id]);
    expect((await platform.admin.get(`${subs}?apiId=nope`)).body).toEqual([]);

    // Deprecated: existing subscriptions stay, new ones are refused.
    await platform.admin.post(`${f.base}/lifecycle`, { state: 'deprecated' });
    const other = await newApplication(f, 'Bot');
    const late = await platform.admin.post(subs, { applicationId: other.id, api: 'default/orders' });
    expect(late.status).toBe(409);
    expect(late.body.fields).toEqual({ api: 'is deprecated, not published' });

    expect((await platform.admin.delete(`${subs}/${created.body.id}`)).status).toBe(204);
    expect((await platform.admin.get(subs)).body).toEqual([]);
    expect((await platform.admin.delete(`${subs}/${created.body.id}`)).status).toBe(404);
  });

  it('answers 404 for an unknown application or API, and for an application of another organization', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
    const g = await apiProxyFixture(platform);
    const foreign = await newApplication(g, 'Foreign');
    const subs = `/api/v1/orgs/${f.org}/subscriptions`;
    const app = await newApplication(f, 'Mine');
    expect((await platform.admin.post(subs, { applicationId: foreign.id, api: 'default/orders' })).body).toEqual({ code: 'not_found', message: 'Application not found' });
    expect((await platform.admin.post(subs, { applicationId: app.id, api: 'default/nope' })).body).toEqual({ code: 'not_found', message: 'API not found' });
    expect((await platform.admin.post(subs, { applicationId: app.id, api: 'default/orders', extra: 1 })).status).toBe(400);
  });

  it('lets a developer member subscribe their own application but not a stranger', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
    const email = `dev-${Date.now()}@example.com`;
    const stranger = await platform.newUser(email);
    const subs = `/api/v1/orgs/${f.org}/subscriptions`;
    const me = await stranger.get('/api/v1/me');
    const app = await platform.store.applications.create({ orgId: f.orgId, name: 'Dev app', ownerUserId: me.body.id });
    expect((await stranger.post(subs, { applicationId: app.id, api: 'default/orders' })).status).toBe(404);
    const invite = await platform.admin.post(`/api/v1/orgs/${f.org}/members`, { email, role: 'developer' });
    expect(invite.status).toBeLessThan(300);
    const res = await stranger.post(subs, { applicationId: app.id, api: 'default/orders' });
    expect(res.status).toBe(201);
    expect(res.body.createdBy).toBe(email);
  });
});
