import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, ordersApi, type ApiFixture } from './setup.js';

/**
 * What the web console's API screens need from the API: changing an attached
 * policy in place, what a deploy needs before deploying (GET
 * …/deployments/plan), and deploying or promoting with the values the
 * environment already holds (reuseStoredValues).
 */

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

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

const oauth = (secret: string) => ({ tokenUrl: 'https://idp.example.com/token', clientId: 'gw', clientSecret: secret });

describe('changing an attached policy in place', () => {
  it('replaces settings, resources and phase, keeping the id and the order', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const first = await platform.admin.post(`${f.base}/policies`, { policy: 'outbound-oauth2@1.0.1', resources: ['GET /items'], config: oauth('${clientSecret}') });
    const second = await platform.admin.post(`${f.base}/policies`, { policy: 'remove-headers@1.0.0', config: { headers: ['x-debug'] } });
    expect(first.status).toBe(201);

    const updated = await platform.admin.put(`${f.base}/policies/${first.body.id}`, { policy: 'outbound-oauth2@1.0.1', resources: 'all', config: { ...oauth('${gwSecret}'), scope: 'orders' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ id: first.body.id, policy: 'outbound-oauth2@1.0.1', resources: 'all', phase: 'request', config: { ...oauth('${gwSecret}'), scope: 'orders' } });
    const api = await platform.admin.get(f.base);
    expect(api.body.policies.map((p: { id: string }) => p.id)).toEqual([first.body.id, second.body.id]);
    expect(api.body.policies[0]).toEqual(updated.body);

    const phase = await platform.admin.put(`${f.base}/policies/${second.body.id}`, { policy: 'remove-headers@1.0.0', phase: 'response', resources: ['GET /health'], config: { headers: ['server'] } });
    expect(phase.body).toEqual({ id: second.body.id, policy: 'remove-headers@1.0.0', resources: ['GET /health'], phase: 'response', config: { headers: ['server'] } });
    const audit = await platform.admin.get(`/api/v1/orgs/${f.org}/audit`);
    expect(audit.body.items?.[0]?.action ?? audit.body[0]?.action).toBe('api.policy_updated');
  });

  it('refuses a literal secret, an unknown resource, and names the fields as sent; 404 for an unknown attachment', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    const first = await platform.admin.post(`${f.base}/policies`, { policy: 'outbound-oauth2@1.0.1', config: oauth('${clientSecret}') });
    const literal = await platform.admin.put(`${f.base}/policies/${first.body.id}`, { policy: 'outbound-oauth2@1.0.1', resources: ['GET /nope'], config: oauth('hunter2') });
    expect(literal.status).toBe(400);
    expect(literal.body.fields).toEqual({
      'config.clientSecret': 'is secret: put a ${parameter} here and give its value (marked secret) at deploy',
      'resources[0]': 'no resource "GET /nope" in this API',
    });
    expect(literal.body.message).toMatch(/^Invalid policy attachment: /);
    expect((await platform.admin.get(f.base)).body.policies[0].config.clientSecret).toBe('${clientSecret}');
    const missing = await platform.admin.put(`${f.base}/policies/nope`, { policy: 'remove-headers@1.0.0', config: { headers: ['x'] } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 'not_found', message: 'Policy attachment not found' });
  });
});

describe('planning a deploy', () => {
  it('lists every parameter with what the environment holds, the endpoint and the revision that would run', async () => {
    const f = await parameterizedApi();
    const endpoint = (await platform.admin.get(f.base)).body.endpoints[0].url;
    const before = await platform.admin.get(`${f.base}/deployments/plan?environment=development`);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      environment: 'development',
      displayName: 'Development',
      endpointUrl: endpoint,
      backendUrl: 'http://${backendHost}/orders',
      revision: null,
      active: null,
      parameters: [
        { name: 'backendHost', secret: false, stored: false },
        { name: 'tenant', secret: false, stored: false },
        { name: 'apiKey', secret: false, stored: false },
      ],
    });
    const deployed = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backendHost: '127.0.0.1:9', tenant: 'acme', apiKey: { value: 'k-1', secret: true } } });
    expect(deployed.status).toBe(201);
    const after = await platform.admin.get(`${f.base}/deployments/plan?environment=development`);
    expect(after.body).toEqual({
      environment: 'development',
      displayName: 'Development',
      endpointUrl: endpoint,
      backendUrl: 'http://${backendHost}/orders',
      revision: 1,
      active: { revision: 1, backendUrl: 'http://${backendHost}/orders', deployedBy: 'admin', createdAt: deployed.body.createdAt },
      parameters: [
        { name: 'backendHost', secret: false, stored: true, value: '127.0.0.1:9' },
        { name: 'tenant', secret: false, stored: true, value: 'acme' },
        { name: 'apiKey', secret: true, stored: true },
      ],
    });
    expect(after.text).not.toContain('k-1');

    // A changed definition would be a new revision; another backend URL needs its own parameters.
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });
    const changed = await platform.admin.get(`${f.base}/deployments/plan?environment=development&backendUrl=${encodeURIComponent('https://${host}/v2/')}`);
    expect(changed.body.revision).toBeNull();
    expect(changed.body.backendUrl).toBe('https://${host}/v2');
    expect(changed.body.parameters.map((p: { name: string }) => p.name)).toEqual(['host', 'tenant', 'apiKey']);
    const pinned = await platform.admin.get(`${f.base}/deployments/plan?environment=production&revision=1`);
    expect(pinned.body).toMatchObject({ environment: 'production', backendUrl: 'https://orders.example.com', revision: 1, active: null });

    expect((await platform.admin.get(`${f.base}/deployments/plan?environment=staging`)).body).toEqual({ code: 'not_found', message: 'Environment "staging" not found' });
    expect((await platform.admin.get(`${f.base}/deployments/plan?environment=development&revision=9`)).body).toEqual({ code: 'not_found', message: 'Revision 9 not found' });
  });

  it('marks parameters of secret policy settings secret', async () => {
    const f = await apiProxyFixture(platform);
    await platform.admin.put(f.base, ordersApi());
    await platform.admin.post(`${f.base}/policies`, { policy: 'outbound-oauth2@1.0.1', config: oauth('${clientSecret}') });
    const plan = await platform.admin.get(`${f.base}/deployments/plan?environment=development`);
    expect(plan.body.parameters).toEqual([{ name: 'clientSecret', secret: true, stored: false }]);
  });
});

describe('deploying with the values the environment holds', () => {
  it('reuses stored values (secrets stay sealed) for parameters not sent; one it never held is still required', async () => {
    const f = await parameterizedApi();
    await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backendHost: '127.0.0.1:9', tenant: 'acme', apiKey: { value: 'k-1', secret: true } } });
    const redeploy = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { tenant: 'globex' }, reuseStoredValues: true });
    expect(redeploy.status).toBe(201);
    expect(redeploy.body.params).toEqual({ backendHost: { secret: false, value: '127.0.0.1:9' }, tenant: { secret: false, value: 'globex' }, apiKey: { secret: true } });
    const development = (await platform.store.orgs.environment(f.orgId, 'development'))!;
    const [latest] = await platform.store.deployments.history(f.orgId, f.componentId, development.id);
    expect(latest!.params.apiKey).toEqual({ sealed: expect.stringMatching(/^v1\./) });
    expect(platform.deps.masterKey.decrypt((latest!.params.apiKey as { sealed: string }).sealed, `api-param:${f.componentId}:${development.id}:apiKey`)).toBe('k-1');

    // A new parameter the environment never had is still asked for.
    await platform.admin.patch(f.base, {
      policies: [
        {
          policy: 'set-headers@1.0.0',
          config: {
            headers: [
              { name: 'X-Tenant', value: '${tenant}' },
              { name: 'X-Region', value: '${region}' },
              { name: 'X-Api-Key', value: '${apiKey}' },
            ],
          },
        },
      ],
    });
    const missing = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', reuseStoredValues: true });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ code: 'validation_failed', message: 'Missing values for parameters: region', fields: { 'params.region': 'is required' } });
    // Without reuseStoredValues every value must be sent, as before.
    const strict = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { region: 'eu' } });
    expect(strict.body.fields).toEqual({ 'params.backendHost': 'is required', 'params.tenant': 'is required', 'params.apiKey': 'is required' });
    const ok = await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { region: 'eu' }, reuseStoredValues: true });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ revision: 2, params: { backendHost: { value: '127.0.0.1:9' }, tenant: { value: 'globex' }, region: { value: 'eu' }, apiKey: { secret: true } } });
  });

  it('promotes with the values the target holds', async () => {
    const f = await parameterizedApi();
    await platform.admin.post(`${f.base}/deployments`, { environment: 'development', params: { backendHost: '127.0.0.1:9', tenant: 'acme', apiKey: { value: 'k-1', secret: true } } });
    const first = await platform.admin.post(`${f.base}/promote`, { params: { tenant: 'acme-prod', apiKey: 'prod-key' } });
    expect(first.status).toBe(201);
    await platform.admin.patch(f.base, { resources: [{ method: 'GET', path: '/items' }] });
    await platform.admin.post(`${f.base}/deployments`, { environment: 'development', reuseStoredValues: true });
    const plan = await platform.admin.get(`${f.base}/deployments/plan?environment=production&revision=2`);
    expect(plan.body.parameters).toEqual([
      { name: 'tenant', secret: false, stored: true, value: 'acme-prod' },
      { name: 'apiKey', secret: true, stored: true },
    ]);
    const promoted = await platform.admin.post(`${f.base}/promote`, { reuseStoredValues: true });
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({ environment: 'production', revision: 2, params: { tenant: { secret: false, value: 'acme-prod' }, apiKey: { secret: true } } });
  });
});
