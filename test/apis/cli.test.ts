import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture } from './setup.js';
import { runCli, type CliRun } from '../helpers/cli.js';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

/** The real executable as a child process, pointed at the test platform with the admin's token. */
function cli(org: string, ...args: string[]): Promise<CliRun> {
  return runCli(args, { DRAWBRIDGE_URL: platform.url, DRAWBRIDGE_TOKEN: platform.admin.token!, DRAWBRIDGE_ORG: org, DRAWBRIDGE_CLI_CONFIG: join(platform.dataDir, 'cli.json') });
}

it('defines, imports, publishes, deploys, promotes, rolls back and lists deployments from the command line', async () => {
  const f = await apiProxyFixture(platform);
  const openapi = join(platform.dataDir, 'orders.yaml');
  writeFileSync(openapi, 'openapi: 3.0.0\ninfo: {title: Orders, version: "1"}\npaths:\n  /items/{id}:\n    get:\n      security: [{oauth: [orders:read]}]\n');
  const params = join(platform.dataDir, 'prod.yaml');
  writeFileSync(params, 'host: prod.internal\n');

  const defined = await cli(
    f.org,
    'api',
    'define',
    'orders',
    '--context',
    '/orders',
    '--api-version',
    'v1',
    '--backend',
    'development=http://127.0.0.1:9',
    '--backend',
    'production=https://${host}/orders',
    '--json',
  );
  expect(defined.code).toBe(0);
  expect(JSON.parse(defined.stdout)).toMatchObject({ contextPath: '/orders', version: 'v1', backendUrls: { production: 'https://${host}/orders' } });

  const imported = await cli(f.org, 'api', 'import', 'orders', openapi);
  expect(imported.stdout).toBe('METHOD  PATH         OAUTH2  SCOPES\nGET     /items/{id}  true    orders:read\n');

  expect((await cli(f.org, 'api', 'publish', 'orders')).stdout).toBe('API orders is published\n');

  const deployed = await cli(f.org, 'api', 'deploy', 'orders', '--env', 'development', '--json');
  expect(deployed.code).toBe(0);
  expect(JSON.parse(deployed.stdout)).toMatchObject({ environment: 'development', revision: 1, status: 'active' });

  const missing = await cli(f.org, 'api', 'promote', 'orders');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('Error: host for production is required (no terminal to prompt on)\n');

  const promoted = await cli(f.org, 'api', 'promote', 'orders', '--params-file', params);
  expect(promoted.code).toBe(0);
  expect(promoted.stdout).toContain('environment  production\n');
  expect(promoted.stdout).toContain('params       host=prod.internal\n');

  const secret = await cli(f.org, 'api', 'promote', 'orders', '--secret-param', 'host=hidden.internal', '--json');
  expect(JSON.parse(secret.stdout).params).toEqual({ host: { secret: true } });

  const rolled = await cli(f.org, 'api', 'rollback', 'orders', '--env', 'production', '--json');
  expect(JSON.parse(rolled.stdout)).toMatchObject({ revision: 1, params: { host: { secret: false, value: 'prod.internal' } } });

  const history = await cli(f.org, 'api', 'deployments', 'orders', '--env', 'production', '--json');
  expect(JSON.parse(history.stdout).map((d: { status: string }) => d.status)).toEqual(['active', 'superseded', 'superseded']);

  const bad = await cli(f.org, 'api', 'deploy', 'orders', '--env', 'production', '--param', 'host=bad host');
  expect(bad.code).toBe(1);
  expect(bad.stderr).toBe(
    'Error: The backend URL must be an absolute http(s) URL without credentials, query or fragment\n  backendUrl: must be an absolute http(s) URL without credentials, query or fragment\n',
  );
}, 120_000); // many sequential CLI processes: slow on a loaded machine

it('subscribes an application from the command line', async () => {
  const f = await apiProxyFixture(platform);
  await platform.admin.put(f.base, { contextPath: '/orders', version: 'v1', resources: [{ method: 'GET', path: '/' }] });
  await platform.admin.post(`${f.base}/lifecycle`, { state: 'published' });
  const app = await platform.store.applications.create({ orgId: f.orgId, name: 'cli-app' });
  const created = await cli(f.org, 'subscription', 'create', '--app', app.id, '--api', 'default/orders', '--json');
  expect(created.code).toBe(0);
  const id = JSON.parse(created.stdout).id as string;
  const list = await cli(f.org, 'subscription', 'list', '--app', app.id, '--json');
  expect(JSON.parse(list.stdout).map((s: { id: string; api: string }) => [s.id, s.api])).toEqual([[id, 'default/orders']]);
  expect((await cli(f.org, 'subscription', 'delete', id)).stdout).toBe(`Subscription ${id} deleted\n`);
});
