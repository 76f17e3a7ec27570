import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { inviteMember, startWebTest, type WebTest } from '../helpers/browser.js';
import type { TestPlatform } from '../helpers/platform.js';

/**
 * Fixtures for the portal's browser tests (test/web/portal-*.test.ts): the
 * platform with its public URL where it really listens (so token endpoint
 * and curl commands work as the portal prints them), organizations whose
 * environments point at the platform's real gateways, published APIs in
 * front of an echo backend, and members signed in through the form.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPortalWebTest(): Promise<WebTest> {
  const port = await freePort();
  return startWebTest({ config: { port }, env: { DRAWBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`, DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true', DRAWBRIDGE_EGRESS_ALLOW: 'loopback, self' } });
}

/** A backend that echoes what it received, as JSON. */
export async function echoBackend(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface WebOrg {
  name: string;
  handle: string;
  id: string;
  path: string;
}

/** An organization (admin is its admin) whose environments point at the platform's real gateways. */
export async function webOrg(platform: TestPlatform, name: string): Promise<WebOrg> {
  const created = await platform.admin.post('/api/v1/orgs', { name });
  expect(created.status, created.text).toBe(201);
  const path = `/api/v1/orgs/${created.body.handle}`;
  for (const env of ['development', 'production']) {
    expect((await platform.admin.patch(`${path}/environments/${env}`, { gatewayUrl: platform.runtime.gateway(env)!.url })).status).toBe(200);
  }
  return { name, handle: created.body.handle, id: created.body.id, path };
}

/** An api-proxy component with a published API deployed to development and promoted to production. */
export async function publishApi(
  platform: TestPlatform,
  org: WebOrg,
  name: string,
  displayName: string,
  backend: string,
  options: {
    visibility?: 'public' | 'private';
    description?: string;
    resources?: { method: string; path: string; summary?: string; security?: { oauth2: boolean; scopes: string[] } }[];
  } = {},
): Promise<{ id: string; ref: string }> {
  const component = await platform.admin.post(`${org.path}/projects/default/components`, { type: 'api-proxy', name, displayName, description: options.description ?? '' });
  expect(component.status, component.text).toBe(201);
  const base = `${org.path}/projects/default/components/${name}/api`;
  const defined = await platform.admin.put(base, {
    contextPath: `/${name}`,
    version: 'v1',
    visibility: options.visibility ?? 'public',
    resources: options.resources ?? [{ method: 'GET', path: '/items/{id}', summary: 'One item' }],
    backendUrls: { development: `${backend}/${name}-dev`, production: `${backend}/${name}` },
  });
  expect(defined.status, defined.text).toBe(201);
  const deployed = await platform.admin.post(`${base}/deployments`, { environment: 'development' });
  expect(deployed.status, deployed.text).toBe(201);
  expect((await platform.admin.post(`${base}/promote`, {})).status).toBe(201);
  expect((await platform.admin.post(`${base}/lifecycle`, { state: 'published' })).status).toBe(200);
  return { id: component.body.id, ref: `default/${name}` };
}

/** Invites a member and signs them in through the form at `path`. */
export async function memberPage(web: WebTest, org: WebOrg, email: string, role: 'admin' | 'developer', path = `/portal/o/${org.handle}/apis`): Promise<Page> {
  const password = await inviteMember(web.platform, org.handle, email, role);
  return web.signedInPage(email, password, path);
}

/** What the page keeps in browser storage, as one string. */
export const browserStorage = (page: Page) => page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })') as Promise<string>;
