import { expect } from 'vitest';
import type { Api } from '../helpers/platform.js';

/** What `publishOrders` made: the consumer's application and its development keys. */
export interface PublishedOrders {
  applicationId: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The cluster tests' common start: organization `name` (handle `org`), an
 * `orders` API (`GET /items` with OAuth2, `GET /health` without) on `upstreamUrl`,
 * published, and a `mobile` consumer with development keys subscribed to it.
 * Not deployed: each test deploys where and when its story needs it.
 */
export async function publishOrders(admin: Api, org: { name: string; handle: string }, upstreamUrl: string): Promise<PublishedOrders> {
  const orgPath = `/api/v1/orgs/${org.handle}`;
  const components = `${orgPath}/projects/default/components`;
  expect((await admin.post('/api/v1/orgs', { name: org.name })).status).toBe(201);
  expect((await admin.post(components, { type: 'api-proxy', name: 'orders', displayName: 'Orders' })).status).toBe(201);
  expect((await admin.post(components, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' })).status).toBe(201);
  const resources = [
    { method: 'GET', path: '/items' },
    { method: 'GET', path: '/health', security: { oauth2: false } },
  ];
  expect((await admin.put(`${components}/orders/api`, { contextPath: '/orders', version: 'v1', resources, backendUrls: { development: upstreamUrl } })).status).toBe(201);
  expect((await admin.post(`${components}/orders/api/lifecycle`, { state: 'published' })).status).toBe(200);
  const application = (await admin.get(`${components}/mobile/application`)).body as { id: string };
  const keys = await admin.post(`${orgPath}/applications/${application.id}/credentials/development/keys`, {});
  expect(keys.status).toBe(201);
  expect((await admin.post(`${orgPath}/subscriptions`, { applicationId: application.id, api: 'default/orders' })).status).toBe(201);
  return { applicationId: application.id, clientId: keys.body.clientId, clientSecret: keys.body.clientSecret };
}
