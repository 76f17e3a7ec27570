import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi } from './setup.js';

/**
 * Settings a policy marks secret (outbound-oauth2's clientSecret): only as a
 * ${parameter}, sealed at rest and in the snapshot, opened by the gateway.
 */

const CLIENT_ID = 'gateway-client';
const SECRET = 'backend-secret-7d1e0c5a-never-in-clear';

let platform: TestPlatform;
let idp: Server;
let backend: Server;
let idpUrl: string;
let backendUrl: string;
let tokenRequests = 0;

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  // The backend's IdP: client credentials with HTTP Basic, only for the right secret.
  idp = createServer((req, res) => {
    tokenRequests++;
    const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'backend-token-1', token_type: 'Bearer', expires_in: 3600 }));
  });
  backend = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
  });
  [idpUrl, backendUrl] = await Promise.all([listen(idp), listen(backend)]);
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
  for (const s of [idp, backend]) await new Promise((resolve) => s?.close(resolve));
});

const outbound = (clientSecret: string) => ({ policy: 'outbound-oauth2@1.0.1', config: { tokenUrl: '${tokenUrl}', clientId: CLIENT_ID, clientSecret } });

it('refuses a secret setting given in clear when the policy is attached', async () => {
  const f = await apiProxyFixture(platform);
  await platform.admin.put(f.base, ordersApi());
  const res = await platform.admin.post(`${f.base}/policies`, outbound(SECRET));
  expect(res.status).toBe(400);
  expect(res.body.fields).toEqual({ 'config.clientSecret': 'is secret: put a ${parameter} here and give its value (marked secret) at deploy' });
  expect(res.text).not.toContain(SECRET);
});

it('seals a parameter used by a secret setting, keeps it sealed in the snapshot file, and the gateway uses it', async () => {
  const f = await apiProxyFixture(platform);
  await platform.admin.put(f.base, {
    ...ordersApi(backendUrl),
    resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }],
    policies: [outbound('${backendSecret}')],
  });
  // Not marked secret by the caller: the policy's schema makes it secret.
  const deployed = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { tokenUrl: idpUrl, backendSecret: SECRET } });
  expect(deployed.status).toBe(201);
  expect(deployed.body.params).toEqual({ tokenUrl: { secret: false, value: idpUrl }, backendSecret: { secret: true } });
  expect(deployed.text).not.toContain(SECRET);

  const needs = await platform.admin.get(`${f.base}/promotion`);
  expect(needs.body.parameters).toEqual([
    { name: 'tokenUrl', secret: false },
    { name: 'backendSecret', secret: true },
  ]);

  await platform.runtime.publisher.refresh();
  const gateway = platform.runtime.gateway('development')!;
  const res = await fetch(`${gateway.url}/${f.org}/orders/v1/items`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ authorization: 'Bearer backend-token-1' });
  expect(tokenRequests).toBe(1);

  const compiled = await platform.runtime.publisher.compile('development');
  const api = compiled.apis.find((a) => a.id === f.componentId)!;
  expect(api.resources[0]!.policies[0]!.config.clientSecret).toEqual({ $sealed: expect.stringMatching(/^v1\./) });
  expect(JSON.stringify(compiled)).not.toContain(SECRET);
  const file = readFileSync(join(platform.dataDir, 'gateway', 'development.snapshot.json'), 'utf8');
  expect(file).toContain(f.componentId);
  expect(file).not.toContain(SECRET);
});
