import type { Api, TestPlatform } from '../helpers/platform.js';

let orgs = 0;

export interface ApiFixture {
  org: string;
  orgId: string;
  /** `/api/v1/orgs/<org>/projects/default/components/<name>/api` */
  base: string;
  componentId: string;
}

/** A fresh organization with one api-proxy component, created over the API. */
export async function apiProxyFixture(platform: TestPlatform, client: Api = platform.admin, name = 'orders'): Promise<ApiFixture> {
  const created = await client.post('/api/v1/orgs', { name: `Api Org ${++orgs} ${Date.now()}` });
  if (created.status !== 201) throw new Error(`org: ${created.status} ${created.text}`);
  const org = created.body.handle as string;
  const component = await client.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'api-proxy', name, displayName: 'Orders' });
  if (component.status !== 201) throw new Error(`component: ${component.status} ${component.text}`);
  return { org, orgId: created.body.id, base: `/api/v1/orgs/${org}/projects/default/components/${name}/api`, componentId: component.body.id };
}

/** Adds another api-proxy component to an existing fixture's organization. */
export async function anotherApiProxy(platform: TestPlatform, fixture: ApiFixture, name: string): Promise<ApiFixture> {
  const component = await platform.admin.post(`/api/v1/orgs/${fixture.org}/projects/default/components`, { type: 'api-proxy', name, displayName: name });
  if (component.status !== 201) throw new Error(`component: ${component.status} ${component.text}`);
  return { ...fixture, base: `/api/v1/orgs/${fixture.org}/projects/default/components/${name}/api`, componentId: component.body.id };
}

export const ordersApi = (backend = 'http://127.0.0.1:9/orders') => ({
  contextPath: '/orders',
  version: 'v1',
  resources: [
    { method: 'GET', path: '/items', security: { oauth2: true, scopes: ['orders:read'] } },
    { method: 'GET', path: '/items/{id}' },
    { method: 'POST', path: '/items', security: { oauth2: true, scopes: ['orders:write'] } },
    { method: 'GET', path: '/health', security: { oauth2: false } },
  ],
  backendUrls: { development: backend },
});
