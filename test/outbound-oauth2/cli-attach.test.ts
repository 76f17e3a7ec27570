import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, type ApiFixture } from '../apis/setup.js';
import { startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from './helpers.js';
import { runCli, type CliRun } from '../helpers/cli.js';

/**
 * `drawbridge api attach` attaches outbound-oauth2@1.0.1 to two of an API's
 * three resources; through the gateway, only those two reach the backend with
 * a token of the backend's IdP, and the third goes without one.
 */

const CLI_TIMEOUT = 90_000;
const CLIENT = { id: 'orders-gw', secret: 'cli-secret-5d0c3e9a71b24f86' };

describe('outbound-oauth2 attached from the CLI to some resources', () => {
  let platform: TestPlatform;
  let idp: CountingIdp;
  let backend: TokenBackend;
  let f: ApiFixture;

  /** The real executable, pointed at the test platform with the admin's token. */
  const cli = (...args: string[]): Promise<CliRun> => {
    return runCli(args, { DRAWBRIDGE_URL: platform.url, DRAWBRIDGE_TOKEN: platform.admin.token!, DRAWBRIDGE_ORG: f.org, DRAWBRIDGE_CLI_CONFIG: join(platform.dataDir, 'cli.json') });
  };

  beforeAll(async () => {
    idp = await startCountingIdp([CLIENT], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    platform = await startTestPlatform();
    f = await apiProxyFixture(platform);
    const open = { security: { oauth2: false } };
    const defined = await platform.admin.put(f.base, {
      contextPath: '/orders',
      version: 'v1',
      resources: [
        { method: 'GET', path: '/items', ...open },
        { method: 'GET', path: '/items/{id}', ...open },
        { method: 'POST', path: '/items', ...open },
      ],
      backendUrls: { development: backend.url },
    });
    expect(defined.status, defined.text).toBe(201);
  });
  afterAll(async () => {
    await platform?.close();
    await Promise.all([idp, backend].map((s) => s?.close()));
  });

  it(
    'attaches the policy to two resources with `api attach --resource … --resource …`',
    async () => {
      const config = join(platform.dataDir, 'outbound.json');
      writeFileSync(config, JSON.stringify({ tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: '${clientSecret}', scope: 'orders.read' }));
      const run = await cli('api', 'attach', 'orders', 'outbound-oauth2@1.0.1', '--resource', 'GET /items/{id}', '--resource', 'POST /items', '--config', config, '--json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        policy: 'outbound-oauth2@1.0.1',
        phase: 'request',
        resources: ['GET /items/{id}', 'POST /items'],
        config: { tokenUrl: idp.tokenUrl, clientId: CLIENT.id, clientSecret: '${clientSecret}', scope: 'orders.read' },
      });
      const api = await platform.admin.get(f.base);
      expect(api.body.policies).toHaveLength(1);
    },
    CLI_TIMEOUT,
  );

  it(
    'deploys from the CLI; only the two resources carry the backend token through the gateway',
    async () => {
      const deployed = await cli('api', 'deploy', 'orders', '--env', 'development', '--secret-param', `clientSecret=${CLIENT.secret}`, '--json');
      expect(deployed.stderr).toBe('');
      expect(deployed.code).toBe(0);
      expect(JSON.parse(deployed.stdout)).toMatchObject({ environment: 'development', status: 'active', params: { clientSecret: { secret: true } } });
      expect(deployed.stdout).not.toContain(CLIENT.secret);
      await platform.runtime.publisher.refresh();
      const gateway = `${platform.runtime.gateway('development')!.url}/${f.org}/orders/v1`;

      const one = await fetch(`${gateway}/items/7`);
      expect(one.status).toBe(200);
      expect(await one.json()).toEqual({ ok: true, sub: CLIENT.id, bytes: 0 });
      expect(backend.calls.at(-1)).toMatchObject({ path: '/items/7', authorization: `Bearer ${idp.issued[0]}` });

      const posted = await fetch(`${gateway}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      expect(posted.status).toBe(200);
      expect(await posted.json()).toEqual({ ok: true, sub: CLIENT.id, bytes: 7 });
      expect(backend.calls.at(-1)).toMatchObject({ path: '/items', authorization: `Bearer ${idp.issued[0]}` });

      // The third resource has no policy: the backend sees no token and refuses it.
      const listed = await fetch(`${gateway}/items`);
      expect(listed.status).toBe(401);
      expect(await listed.json()).toEqual({ backend: 'refused', why: 'no token' });
      expect(backend.calls.at(-1)).toMatchObject({ path: '/items', authorization: undefined, token: undefined });

      // One token for both resources (same credentials, same cache entry), with the configured scope.
      expect(idp.count).toBe(1);
      expect(idp.requests[0]!.form).toMatchObject({ grant_type: 'client_credentials', scope: 'orders.read' });
    },
    CLI_TIMEOUT,
  );
});
