// Over 300 lines on purpose: deploy, redeploy and undeploy cases build on one organization's state.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** An API whose backend URL and one policy use parameters. */
async function parameterizedApi(): Promise<ApiFixture> {
  const f = await apiProxyFixture(platform);
  const res = await platform.admin.put(f.base, {
    ...ordersApi(),
    backendUrls: { development: 'http://${backendHost}/orders', production: 'https://orders.example.com' },
    policies: [
      {
        policy: 'set-headers@1.0.0',
        config: {
          headers: [
            { name: 'X-Tenant', value: '${tenant}' },
            { name: 'X-Api-Key', value: '${apiKey}' },
          ],
        },
      },
    ],
  });
  if (res.status !== 201) throw new Error(res.text);
  return f;
}

const devParams = { backendHost: '127.0.0.1:9', tenant: 'acme-dev', apiKey: { value: 'dev-key-0f9c2b7e', secret: true } };

describe('deploy', () => {
  it('needs a value for every ${name} referenced, and lists exactly the missing ones', async () => {
    const f = await parameterizedApi();
    const res = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { tenant: 'acme' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 'validation_failed',
      message: 'Missing values for parameters: backendHost, apiKey',
      fields: { 'params.backendHost': 'is required', 'params.apiKey': 'is required' },
    });
    const extra = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, tenantt: 'typo' } });
    expect(extra.status).toBe(400);
    expect(extra.body).toEqual({ code: 'validation_failed', message: 'Parameters not used by this revision: tenantt', fields: { 'params.tenantt': 'is not referenced by this revision' } });
    expect((await platform.admin.get(`${f.base}/deployments`)).body).toEqual([]);
    expect((await platform.admin.get(`${f.base}/revisions`)).body).toEqual([]);
  });

  it('deploys, shows the endpoint URL, and freezes a revision only when the definition changed', async () => {
    const f = await parameterizedApi();
    const first = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      environment: 'development',
      revision: 1,
      status: 'active',
      backendUrl: 'http://${backendHost}/orders',
      params: { backendHost: { secret: false, value: '127.0.0.1:9' }, tenant: { secret: false, value: 'acme-dev' }, apiKey: { secret: true } },
      endpointUrl: expect.stringMatching(new RegExp(`/${f.org}/orders/v1$`)),
      deployedBy: 'admin',
      createdAt: expect.any(String),
    });
    const again = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams });
    expect(again.body.revision).toBe(1);
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });
    const changed = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams });
    expect(changed.body.revision).toBe(2);
    const revisions = await platform.admin.get(`${f.base}/revisions`);
    expect(revisions.body.map((r: { number: number; parameters: string[] }) => [r.number, r.parameters])).toEqual([
      [2, ['tenant', 'apiKey']],
      [1, ['tenant', 'apiKey']],
    ]);
    expect(revisions.body[1].definition.resources).toHaveLength(4);
    expect(revisions.body[1].definition.policies[0].config.headers[0].value).toBe('${tenant}');
    const api = await platform.admin.get(f.base);
    expect(api.body.endpoints.map((e: { environment: string; deployedRevision: number | null }) => [e.environment, e.deployedRevision])).toEqual([
      ['development', 2],
      ['production', null],
    ]);
  });

  it('never returns a secret value and keeps it encrypted at rest', async () => {
    const f = await parameterizedApi();
    const secret = 'dev-key-0f9c2b7e-do-not-leak';
    const res = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, apiKey: { value: secret, secret: true } } });
    expect(res.status).toBe(201);
    for (const path of [`${f.base}/deployments`, `${f.base}/revisions`, f.base, `${f.base}/promotion`]) {
      const r = await platform.admin.get(path);
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(secret);
    }
    expect(res.text).not.toContain(secret);
    const [stored] = await platform.store.deployments.history(f.orgId, f.componentId);
    expect(stored!.params.apiKey).toEqual({ sealed: expect.stringMatching(/^v1\./) });
    // Nothing in the database files (main file and write-ahead log) holds it in clear: deployments, revisions, audit.
    const files = readdirSync(platform.dataDir)
      .filter((n) => n.startsWith('drawbridge.db'))
      .map((n) => join(platform.dataDir, n));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readFileSync(file).includes(Buffer.from(secret))).toBe(false);
  });

  it('checks the revision before deploying: a bad policy config leaves the running deployment untouched', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, { ...ordersApi(), policies: [{ policy: 'set-headers@1.0.0', config: { headers: [{ name: '${headerName}', value: 'x' }] } }] });
    const good = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { headerName: 'X-Ok' } });
    expect(good.status).toBe(201);
    const bad = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { headerName: 'Host' } });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({
      code: 'unprocessable',
      message: 'Policy set-headers@1.0.0 is misconfigured: policies[0].config.headers[0].name: header "Host" is managed by the gateway and cannot be used here',
      fields: { 'policies[0].config.headers[0].name': 'header "Host" is managed by the gateway and cannot be used here' },
    });
    // A definition change that fails its check does not leave a revision behind either.
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }], policies: [{ policy: 'set-headers@1.0.0', config: { headers: [{ name: '${headerName}', value: 'y' }] } }] });
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { headerName: 'bad name' } })).status).toBe(422);
    const history = await platform.admin.get(`${f.base}/deployments?environment=development`);
    expect(history.body.map((d: { revision: number; status: string; params: unknown }) => [d.revision, d.status, d.params])).toEqual([[1, 'active', { headerName: { secret: false, value: 'X-Ok' } }]]);
    expect((await platform.admin.get(`${f.base}/revisions`)).body).toHaveLength(1);
  });

  it('refuses a parameter value with CR/LF (a header value set-headers would split) with a clear message', async () => {
    const f = await parameterizedApi();
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams })).status).toBe(201);
    for (const tenant of ['acme\r\nX-Injected: 1', 'acme\nX-Injected: 1', 'acme\r']) {
      const res = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, tenant } });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: 'validation_failed',
        message: 'Parameter values must not contain line breaks (CR, LF) or other control characters: tenant',
        fields: { 'params.tenant': 'must not contain line breaks (CR, LF) or other control characters' },
      });
    }
    const secret = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, apiKey: { value: 'k\r\nX-Injected: 1', secret: true } } });
    expect(secret.status).toBe(400);
    expect(secret.body.fields).toEqual({ 'params.apiKey': 'must not contain line breaks (CR, LF) or other control characters' });
    expect(secret.text).not.toContain('X-Injected');
    // A tab is a valid header value character.
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, tenant: 'acme\tdev' } })).status).toBe(201);
    const history = await platform.admin.get(`${f.base}/deployments?environment=development`);
    expect(history.body.map((d: { params: { tenant: { value: string } } }) => d.params.tenant.value)).toEqual(['acme\tdev', 'acme-dev']);
  });

  it('refuses a backend URL that is not absolute http(s) once resolved, or is missing', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, { ...ordersApi(), backendUrls: { development: '${backend}' } });
    const res = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backend: 'file:///etc/passwd' } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'unprocessable',
      message: 'The backend URL must be an absolute http(s) URL without credentials, query or fragment',
      fields: { backendUrl: 'must be an absolute http(s) URL without credentials, query or fragment' },
    });
    for (const backend of ['https:///no-host', 'http:\\\\evil.example', 'http://user:pw@host.example', 'http://127.0.0.1:9/x?a=1', 'http://127.0.0.1:9/x#f', 'http://127.0.0.1:9/x y']) {
      const r = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backend } });
      expect(r.status).toBe(422);
      expect(r.body.fields).toEqual({ backendUrl: 'must be an absolute http(s) URL without credentials, query or fragment' });
    }
    const none = await platform.admin.post(`${f.base}/deployments`, { environment: 'production' });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({
      code: 'validation_failed',
      message: 'No backend URL for environment "production": set backendUrls.production on the API or send backendUrl',
      fields: { backendUrl: 'is required' },
    });
    const unknownEnv = await platform.admin.post(`${f.base}/deployments`, { environment: 'staging' });
    expect(unknownEnv.status).toBe(404);
    expect((await platform.admin.get(`${f.base}/deployments`)).body).toEqual([]);
  });
});

describe('promote and roll back', () => {
  it('tells what promotion needs, then deploys the same revision to the next environment with its own values', async () => {
    const f = await parameterizedApi();
    const early = await platform.admin.get(`${f.base}/promotion`);
    expect(early.status).toBe(409);
    expect(early.body.message).toBe('Nothing is deployed to "development" yet: deploy there first');
    await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams });
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });

    const needs = await platform.admin.get(`${f.base}/promotion?from=development`);
    expect(needs.status).toBe(200);
    expect(needs.body).toEqual({
      from: 'development',
      to: 'production',
      revision: 1,
      backendUrl: 'https://orders.example.com',
      // apiKey is secret in development: asked for (and stored) as a secret in production too.
      parameters: [
        { name: 'tenant', secret: false },
        { name: 'apiKey', secret: true },
      ],
    });
    const missing = await platform.admin.post(`${f.base}/promote`, { params: { tenant: 'acme' } });
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toEqual({ 'params.apiKey': 'is required' });

    const promoted = await platform.admin.post(`${f.base}/promote`, { from: 'development', params: { tenant: 'acme', apiKey: { value: 'prod-key', secret: true } } });
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({
      environment: 'production',
      revision: 1,
      status: 'active',
      backendUrl: 'https://orders.example.com',
      params: { tenant: { secret: false, value: 'acme' }, apiKey: { secret: true } },
    });
    // The definition changed after revision 1; promotion still ships revision 1.
    expect((await platform.admin.get(`${f.base}/revisions`)).body).toHaveLength(1);

    const again = await platform.admin.get(`${f.base}/promotion?from=development`);
    expect(again.body.parameters).toEqual([
      { name: 'tenant', secret: false, value: 'acme' },
      { name: 'apiKey', secret: true },
    ]);
    // Secret in the source environment: stored sealed even when the promotion sends it as a plain value.
    const plain = await platform.admin.post(`${f.base}/promote`, { from: 'development', params: { tenant: 'acme', apiKey: 'prod-key-2' } });
    expect(plain.status).toBe(201);
    expect(plain.body.params).toEqual({ tenant: { secret: false, value: 'acme' }, apiKey: { secret: true } });
    const production = (await platform.store.orgs.environment(f.orgId, 'production'))!;
    const [stored] = await platform.store.deployments.history(f.orgId, f.componentId, production.id);
    expect(stored!.params.apiKey).toEqual({ sealed: expect.stringMatching(/^v1\./) });

    const last = await platform.admin.post(`${f.base}/promote`, { from: 'production' });
    expect(last.status).toBe(409);
    expect(last.body).toEqual({ code: 'conflict', message: '"production" is the last environment of the promotion chain (development → production)', fields: { from: 'has no next environment' } });
  });

  it('stores a value sealed when the target environment stores it sealed already, even if the source has it plain', async () => {
    const f = await parameterizedApi();
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, apiKey: 'dev-plain-key' } })).status).toBe(201);
    expect(
      (await platform.admin.post(`${f.base}/deployments`, { environment: 'production', revision: 1, params: { tenant: 'acme', apiKey: { value: 'prod-sealed-key', secret: true } } })).status,
    ).toBe(201);
    const needs = await platform.admin.get(`${f.base}/promotion?from=development`);
    expect(needs.body.parameters).toEqual([
      { name: 'tenant', secret: false, value: 'acme' },
      { name: 'apiKey', secret: true },
    ]);

    const promoted = await platform.admin.post(`${f.base}/promote`, { from: 'development', params: { tenant: 'acme', apiKey: 'prod-key-resent' } });
    expect(promoted.status).toBe(201);
    expect(promoted.body.params).toEqual({ tenant: { secret: false, value: 'acme' }, apiKey: { secret: true } });
    expect(promoted.text).not.toContain('prod-key-resent');
    const production = (await platform.store.orgs.environment(f.orgId, 'production'))!;
    const [stored] = await platform.store.deployments.history(f.orgId, f.componentId, production.id);
    expect(stored!.params.apiKey).toEqual({ sealed: expect.stringMatching(/^v1\./) });
  });

  it('rolling back twice goes two steps back, not back to the version just left', async () => {
    const f = await parameterizedApi();
    for (const tenant of ['one', 'two', 'three']) {
      await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: `/${tenant}` }] });
      expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, tenant } })).status).toBe(201);
    }
    const first = await platform.admin.post(`${f.base}/rollback`, { environment: 'development' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ revision: 2, params: { tenant: { secret: false, value: 'two' }, apiKey: { secret: true } } });
    const second = await platform.admin.post(`${f.base}/rollback`, { environment: 'development' });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ revision: 1, params: { tenant: { secret: false, value: 'one' } } });
    const none = await platform.admin.post(`${f.base}/rollback`, { environment: 'development' });
    expect(none.status).toBe(409);
    expect(none.body).toEqual({ code: 'conflict', message: '"development" has no earlier deployment to roll back to', fields: { revision: 'has no earlier deployment here' } });
    // A new deploy starts a new step: rolling back from it returns to what ran before it.
    await platform.admin.post(`${f.base}/deployments`, { environment: 'development', revision: 3, params: { ...devParams, tenant: 'three' } });
    expect((await platform.admin.post(`${f.base}/rollback`, { environment: 'development' })).body).toMatchObject({ revision: 1, params: { tenant: { value: 'one' } } });
    const history = await platform.admin.get(`${f.base}/deployments?environment=development`);
    expect(history.body.map((d: { revision: number; status: string }) => [d.revision, d.status])).toEqual([
      [1, 'active'],
      [3, 'superseded'],
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'superseded'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);
  });

  it('rolls back to the previous revision with the values it had, and keeps the history per environment', async () => {
    const f = await parameterizedApi();
    const r1 = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: devParams });
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });
    const r2 = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { ...devParams, tenant: 'acme-two' } });
    expect([r1.body.revision, r2.body.revision]).toEqual([1, 2]);

    const rolled = await platform.admin.post(`${f.base}/rollback`, { environment: 'development' });
    expect(rolled.status).toBe(201);
    expect(rolled.body).toMatchObject({ environment: 'development', revision: 1, status: 'active', params: { tenant: { secret: false, value: 'acme-dev' }, apiKey: { secret: true } } });

    const history = await platform.admin.get(`${f.base}/deployments?environment=development`);
    expect(history.body.map((d: { revision: number; status: string }) => [d.revision, d.status])).toEqual([
      [1, 'active'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);

    const forward = await platform.admin.post(`${f.base}/rollback`, { environment: 'development', revision: 2 });
    expect(forward.body).toMatchObject({ revision: 2, params: { tenant: { value: 'acme-two' } } });

    const never = await platform.admin.post(`${f.base}/rollback`, { environment: 'production', revision: 1 });
    expect(never.status).toBe(409);
    expect(never.body.message).toBe('Revision 1 was never deployed to "production": deploy it with its parameters instead');

    const redeploy = await platform.admin.post(`${f.base}/deployments`, { environment: 'production', revision: 1, params: { tenant: 'p', apiKey: 'k' } });
    expect(redeploy.status).toBe(201);
    expect(redeploy.body.revision).toBe(1);
    const all = await platform.admin.get(`${f.base}/deployments`);
    expect(all.body.map((d: { environment: string }) => d.environment).sort()).toEqual(['development', 'development', 'development', 'development', 'production']);
    expect((await platform.admin.post(`${f.base}/deployments`, { environment: 'production', revision: 9 })).status).toBe(404);
  });
});
