import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../helpers/platform.js';
import { echoBackend, portalOrg, publishedApi, startPortalPlatform, type PortalOrg } from './setup.js';
import { runCli, type CliRun } from '../helpers/cli.js';

/**
 * Connections: a consumer connects to an API and gets parameters that are
 * enough for a client to get a token and call the service; the CLI prints
 * them as KEY=value lines. Deleting a connection removes its subscription
 * unless another connection still needs it.
 */

/** Each CLI run starts node + tsx; on a busy 2-core machine that takes seconds. */
const CLI_TIMEOUT = 90_000;

let platform: TestPlatform;
let backend: Awaited<ReturnType<typeof echoBackend>>;
let org: PortalOrg;
let orders: { id: string; ref: string };
let dir: string;

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { DRAWBRIDGE_CLI_CONFIG: join(dir, 'cli.json') });
}

/** What a client does with nothing but the connection parameters: get a token, call the service. */
async function callWith(params: Record<string, string>, path: string): Promise<number> {
  const tokenRes = await fetch(params.TokenURL!, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${params.ConsumerKey}:${params.ConsumerSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  expect(tokenRes.status).toBe(200);
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  return (await fetch(params.ServiceURL + path, { headers: { authorization: `Bearer ${access_token}` } })).status;
}

const parseEnvLines = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

beforeAll(async () => {
  [platform, backend] = await Promise.all([startPortalPlatform(), echoBackend()]);
  org = await portalOrg(platform);
  orders = await publishedApi(platform, org, 'orders', backend.url);
  expect((await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' })).status).toBe(201);
  dir = mkdtempSync(join(tmpdir(), 'drawbridge-portal-cli-'));
  writeFileSync(join(dir, 'cli.json'), JSON.stringify({ url: platform.url, token: org.developer.token, org: org.handle }), { mode: 0o600 });
});
afterAll(async () => {
  await platform?.close();
  await backend?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connections = () => `${org.path}/projects/default/connections`;

describe('connections', () => {
  it('connects a component to an API: its parameters alone get a token and call the service', async () => {
    const created = await org.developer.post(connections(), { name: 'orders-conn', description: 'Mobile → Orders', api: orders.ref, component: 'mobile' });
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body).toMatchObject({
      name: 'orders-conn',
      description: 'Mobile → Orders',
      project: 'default',
      level: 'component',
      component: 'mobile',
      api: { id: orders.id, ref: 'default/orders', contextPath: '/orders', version: 'v1' },
    });
    const prod = created.body.environments.find((e: { environment: string }) => e.environment === 'production');
    expect(prod).toMatchObject({ deployed: true, keysCreated: true });
    expect(Object.keys(prod.params)).toEqual(['ServiceURL', 'TokenURL', 'ConsumerKey', 'ConsumerSecret']);
    expect(prod.params).toMatchObject({ ServiceURL: `${platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1`, TokenURL: `${platform.config.publicUrl}/oauth2/token` });

    // The component's own application is the one subscribed (one model with the portal).
    const apps = (await org.developer.get(`${org.path}/portal/applications`)).body as { id: string; component: string | null; subscriptions: number }[];
    const mobile = apps.find((a) => a.component === 'default/mobile')!;
    expect(created.body.applicationId).toBe(mobile.id);
    expect(mobile.subscriptions).toBe(1);

    await platform.runtime.publisher.refresh();
    expect(await callWith(prod.params, '/items/1')).toBe(200);
    const dev = created.body.environments.find((e: { environment: string }) => e.environment === 'development');
    expect(await callWith(dev.params, '/items/1')).toBe(200);

    // Never again: reading the connection shows no secret.
    const read = await org.developer.get(`${connections()}/orders-conn`);
    expect(read.status).toBe(200);
    expect(Object.keys(read.body.environments[1].params)).toEqual(['ServiceURL', 'TokenURL', 'ConsumerKey']);
    expect(read.text).not.toContain(prod.params.ConsumerSecret);
  });

  it(
    'prints KEY=value lines with the CLI, names mapped with --map',
    async () => {
      const run = await cli('connection', 'env', 'orders-conn', '--env', 'production', '--map', 'ServiceURL=API_URL', '--map', 'ConsumerKey=CLIENT_ID');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const read = (await org.developer.get(`${connections()}/orders-conn`)).body.environments.find((e: { environment: string }) => e.environment === 'production').params;
      expect(run.stdout).toBe(`API_URL=${read.ServiceURL}\nTokenURL=${read.TokenURL}\nCLIENT_ID=${read.ConsumerKey}\n`);

      const bad = await cli('connection', 'env', 'orders-conn', '--env', 'production', '--map', 'ServiceURL');
      expect(bad).toMatchObject({ code: 1, stderr: 'Error: --map ServiceURL: expected PARAMETER=VARIABLE, e.g. ServiceURL=API_URL\n' });
    },
    CLI_TIMEOUT,
  );

  it(
    'creates a project-level connection with the CLI: the printed lines are enough to call the service',
    async () => {
      const run = await cli('connection', 'create', 'shared-orders', '--api', 'default/orders', '--env', 'production');
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('ConsumerSecret is shown only now: save it.\n');
      const params = parseEnvLines(run.stdout);
      expect(Object.keys(params)).toEqual(['ServiceURL', 'TokenURL', 'ConsumerKey', 'ConsumerSecret']);
      await platform.runtime.publisher.refresh();
      expect(await callWith(params, '/items/2')).toBe(200);

      const list = await cli('connection', 'list', '--json');
      expect(JSON.parse(list.stdout).map((c: { name: string; level: string }) => [c.name, c.level])).toEqual([
        ['orders-conn', 'component'],
        ['shared-orders', 'project'],
      ]);
    },
    CLI_TIMEOUT,
  );

  it(
    'keeps a subscription while another connection needs it, and removes it with the last one',
    async () => {
      const second = await org.developer.post(connections(), { name: 'orders-conn-2', api: orders.id, component: 'mobile' });
      expect(second.status).toBe(201);
      // Keys existed already: no secret this time.
      expect(second.body.environments.every((e: { keysCreated: boolean; params: Record<string, string> }) => !e.keysCreated && !('ConsumerSecret' in e.params))).toBe(true);
      const appId: string = second.body.applicationId;
      const subscriptions = () => org.developer.get(`${org.path}/portal/applications/${appId}/subscriptions`);
      expect((await subscriptions()).body[0].connections).toEqual(['orders-conn', 'orders-conn-2']);
      // The portal refuses to pull the subscription from under a connection.
      const pulled = await org.developer.delete(`${org.path}/portal/applications/${appId}/subscriptions/${orders.id}`);
      expect(pulled.status).toBe(409);

      expect((await org.developer.delete(`${connections()}/orders-conn`)).status).toBe(204);
      expect((await subscriptions()).body.map((s: { connections: string[] }) => s.connections)).toEqual([['orders-conn-2']]);
      const run = await cli('connection', 'delete', 'orders-conn-2');
      expect(run).toEqual({ code: 0, stdout: 'Connection orders-conn-2 deleted\n', stderr: '' });
      expect((await subscriptions()).body).toEqual([]);
      expect((await org.developer.get(`${connections()}/orders-conn-2`)).status).toBe(404);
    },
    CLI_TIMEOUT,
  );

  it("prevents a connection to a consumer with external keys from pointing its client at the built-in token endpoint: TokenURL and ConsumerKey are the identity provider's", async () => {
    const idp = await platform.admin.post(`${org.path}/identity-providers`, {
      name: 'partner-idp',
      kind: 'generic-oidc',
      issuer: 'https://idp.partner.example',
      jwksUri: 'https://idp.partner.example/keys',
      tokenEndpoint: 'https://idp.partner.example/oauth2/token',
      audiences: ['api://orders'],
    });
    expect(idp.status, idp.text).toBe(201);
    expect((await org.developer.post(`${org.path}/projects/default/components`, { type: 'external-consumer', name: 'partner', displayName: 'Partner' })).status).toBe(201);
    const app = (await org.developer.get(`${org.path}/projects/default/components/partner/application`)).body as { id: string };
    const added = await org.developer.put(`${org.path}/applications/${app.id}/credentials/production/external`, { idpName: 'partner-idp', clientId: 'partner-client-7' });
    expect(added.status, added.text).toBe(200);
    const created = await org.developer.post(connections(), { name: 'partner-orders', api: orders.ref, component: 'partner' });
    expect(created.status, created.text).toBe(201);
    const params = (env: string) => created.body.environments.find((e: { environment: string }) => e.environment === env).params;
    expect(params('production')).toEqual({
      ServiceURL: `${platform.runtime.gateway('production')!.url}/${org.handle}/orders/v1`,
      TokenURL: 'https://idp.partner.example/oauth2/token',
      ConsumerKey: 'partner-client-7',
    });
    // Development had no keys, so the connection made built-in ones there.
    expect(params('development')).toMatchObject({ TokenURL: `${platform.config.publicUrl}/oauth2/token`, ConsumerSecret: expect.any(String) });
    const read = await org.developer.get(`${connections()}/partner-orders`);
    expect(read.body.environments.find((e: { environment: string }) => e.environment === 'production').params.TokenURL).toBe('https://idp.partner.example/oauth2/token');
  });

  it('refuses a duplicate name, a consumer that is not an external consumer, and an API one may not see', async () => {
    const dup = await org.developer.post(connections(), { name: 'shared-orders', api: orders.ref });
    expect(dup.status).toBe(409);
    expect(dup.body.fields).toEqual({ name: 'is taken' });
    const notConsumer = await org.developer.post(connections(), { name: 'x', api: orders.ref, component: 'orders' });
    expect(notConsumer.status).toBe(422);
    const hidden = await publishedApi(platform, org, 'secret', backend.url, { visibility: 'private' });
    const refused = await org.developer.post(connections(), { name: 'y', api: hidden.ref, component: 'mobile' });
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual({ code: 'not_found', message: 'API not found' });
  });
});

describe('portal CLI', () => {
  it(
    'creates an app, generates keys, subscribes and lists, with readable errors',
    async () => {
      const created = await cli('app', 'create', 'CLI App', '--json');
      expect(created.code).toBe(0);
      const keys = await cli('app', 'generate-keys', 'CLI App', '--env', 'development', '--grant', 'client-credentials', '--grant', 'token-exchange', '--lifetime', '600', '--json');
      expect(keys.code).toBe(0);
      expect(JSON.parse(keys.stdout)).toMatchObject({ environment: 'development', grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'], tokenLifetime: 600 });
      const twice = await cli('app', 'generate-keys', 'CLI App', '--env', 'development');
      expect(twice).toMatchObject({ code: 1, stderr: 'Error: Keys already exist for the development environment; regenerate the secret instead\n' });
      expect((await cli('portal', 'subscribe', 'CLI App', 'default/orders')).code).toBe(0);
      const subs = await cli('portal', 'subscriptions', 'CLI App', '--json');
      expect(JSON.parse(subs.stdout).map((s: { api: string }) => s.api)).toEqual(['default/orders']);
      const apis = await cli('portal', 'apis', '--search', 'ord', '--json');
      expect(JSON.parse(apis.stdout).map((a: { ref: string }) => a.ref)).toEqual(['default/orders']);
      const userKeys = await cli('portal', 'user-keys', 'CLI App', '--env', 'development', '--idp', 'missing');
      expect(userKeys).toMatchObject({ code: 1, stderr: 'Error: Identity provider not found\n' });
      expect((await cli('portal', 'unsubscribe', 'CLI App', 'default/orders')).stdout).toBe('CLI App unsubscribed from default/orders\n');
      expect((await cli('app', 'delete', 'CLI App')).stdout).toBe('Application CLI App deleted\n');
    },
    4 * CLI_TIMEOUT,
  );
});
