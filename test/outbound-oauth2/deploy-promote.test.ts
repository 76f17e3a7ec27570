import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { apiProxyFixture, type ApiFixture } from '../apis/setup.js';
import { startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from './helpers.js';

/**
 * End to end through the control plane: the policy attached with `${param}`
 * values, deployed to development and promoted to production with other
 * values; each environment's backend gets a token from its own IdP.
 */
const DEV = { id: 'orders-dev', secret: 'dev-secret-3b9e61f0a2c84d57' };
const PROD = { id: 'orders-prod', secret: 'prod-secret-c7a05e92d14b3f68' };

describe('outbound-oauth2: deploy and promote with per-environment parameters', () => {
  let platform: TestPlatform;
  let devIdp: CountingIdp;
  let prodIdp: CountingIdp;
  let devBackend: TokenBackend;
  let prodBackend: TokenBackend;
  let f: ApiFixture;
  const responses: string[] = [];
  /** Every line the platform logged (control plane, publisher, gateways), at the most verbose level. */
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const record = <T extends { text: string }>(res: T): T => {
    responses.push(res.text);
    return res;
  };

  beforeAll(async () => {
    [devIdp, prodIdp] = await Promise.all([startCountingIdp([DEV], { expiresIn: 3600 }), startCountingIdp([PROD], { expiresIn: 3600 })]);
    [devBackend, prodBackend] = await Promise.all([
      startTokenBackend({ header: 'authorization', issuer: devIdp.issuer, audience: 'orders', jwks: devIdp.jwks }),
      startTokenBackend({ header: 'authorization', issuer: prodIdp.issuer, audience: 'orders', jwks: prodIdp.jwks }),
    ]);
    platform = await startTestPlatform({ logger: createLogger('trace', sink) });
    f = await apiProxyFixture(platform);
  });
  afterAll(async () => {
    await platform?.close();
    await Promise.all([devIdp, prodIdp, devBackend, prodBackend].map((s) => s?.close()));
  });

  it('attaches the policy with ${tokenUrl}, ${clientId} and ${clientSecret}', async () => {
    const put = record(
      await platform.admin.put(f.base, {
        contextPath: '/orders',
        version: 'v1',
        resources: [{ method: 'GET', path: '/items', security: { oauth2: false } }],
        backendUrls: { development: devBackend.url, production: prodBackend.url },
      }),
    );
    expect([200, 201]).toContain(put.status);
    const attached = record(
      await platform.admin.post(`${f.base}/policies`, {
        policy: 'outbound-oauth2@1.0.1',
        config: { tokenUrl: '${tokenUrl}', clientId: '${clientId}', clientSecret: '${clientSecret}', audience: 'orders', authMethod: 'client_secret_basic' },
      }),
    );
    expect(attached.status).toBeLessThan(300);
  });

  it('a header the gateway owns is refused at attach time with the exact path', async () => {
    const res = record(
      await platform.admin.post(`${f.base}/policies`, {
        policy: 'outbound-oauth2@1.0.1',
        config: { tokenUrl: '${tokenUrl}', clientId: 'x', clientSecret: '${clientSecret}', headerName: 'Transfer-Encoding' },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ 'config.headerName': 'header "Transfer-Encoding" is managed by the gateway and cannot be used here' });
  });

  it('deploys to development with its values: the development backend gets a development IdP token', async () => {
    const deployed = record(
      await platform.admin.post(`${f.base}/deployments`, {
        environment: 'development',
        params: { tokenUrl: devIdp.tokenUrl, clientId: DEV.id, clientSecret: { value: DEV.secret, secret: true } },
      }),
    );
    expect(deployed.status, deployed.text).toBe(201);
    expect(deployed.body.params).toEqual({ tokenUrl: { secret: false, value: devIdp.tokenUrl }, clientId: { secret: false, value: DEV.id }, clientSecret: { secret: true } });
    await platform.runtime.publisher.refresh();
    const gateway = platform.runtime.gateway('development')!;
    const res = await fetch(`${gateway.url}/${f.org}/orders/v1/items`);
    expect(res.status).toBe(200);
    expect(devBackend.calls.at(-1)!.claims).toMatchObject({ iss: devIdp.issuer, sub: DEV.id, aud: 'orders' });
    expect(devIdp.count).toBe(1);
  });

  it('promotes to production with other values: the production backend gets a production IdP token', async () => {
    const needs = record(await platform.admin.get(`${f.base}/promotion`));
    expect(needs.status).toBe(200);
    expect(needs.body.parameters.map((p: { name: string; secret: boolean }) => [p.name, p.secret])).toEqual(
      expect.arrayContaining([
        ['tokenUrl', false],
        ['clientId', false],
        ['clientSecret', true],
      ]),
    );
    const promoted = record(
      await platform.admin.post(`${f.base}/promote`, {
        from: 'development',
        params: { tokenUrl: prodIdp.tokenUrl, clientId: PROD.id, clientSecret: { value: PROD.secret, secret: true } },
      }),
    );
    expect(promoted.status).toBe(201);
    expect(promoted.body).toMatchObject({ environment: 'production', params: { tokenUrl: { secret: false, value: prodIdp.tokenUrl }, clientSecret: { secret: true } } });
    await platform.runtime.publisher.refresh();

    const prod = platform.runtime.gateway('production')!;
    const res = await fetch(`${prod.url}/${f.org}/orders/v1/items`);
    expect(res.status).toBe(200);
    expect(prodBackend.calls.at(-1)!.claims).toMatchObject({ iss: prodIdp.issuer, sub: PROD.id, aud: 'orders' });
    expect(prodBackend.calls.at(-1)!.token).toBe(prodIdp.issued[0]);
    expect(prodIdp.count).toBe(1);
    expect(devIdp.count).toBe(1); // development's token was not reused, nor its IdP asked

    // development still uses its own IdP and cached token
    const dev = platform.runtime.gateway('development')!;
    expect((await fetch(`${dev.url}/${f.org}/orders/v1/items`)).status).toBe(200);
    expect(devBackend.calls.at(-1)!.token).toBe(devIdp.issued[0]);
    expect(devIdp.count).toBe(1);
  });

  it('the secrets never appear in API responses or in the snapshot files', async () => {
    for (const path of [f.base, `${f.base}/deployments?environment=development`, `${f.base}/deployments?environment=production`, `${f.base}/revisions`, `${f.base}/promotion`]) {
      const res = record(await platform.admin.get(path));
      expect(res.status, path).toBe(200);
    }
    record(await platform.admin.get('/api/v1/policies'));
    for (const text of responses) {
      expect(text).not.toContain(DEV.secret);
      expect(text).not.toContain(PROD.secret);
    }
    for (const env of ['development', 'production']) {
      const file = readFileSync(join(platform.dataDir, 'gateway', `${env}.snapshot.json`), 'utf8');
      expect(file).toContain('"$sealed"');
      expect(file).not.toContain(DEV.secret);
      expect(file).not.toContain(PROD.secret);
    }
  });

  it("the secrets never appear in the platform's log output during deploy and promote", async () => {
    const log = logLines.join('');
    // The sink did capture the control plane's work: its requests, deploy and promote included.
    expect(log).toContain('/deployments');
    expect(log).toContain('/promote');
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of [DEV.secret, PROD.secret]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(Buffer.from(secret).toString('base64'));
      expect(log).not.toContain(Buffer.from(`${DEV.id}:${secret}`).toString('base64'));
      expect(log).not.toContain(Buffer.from(`${PROD.id}:${secret}`).toString('base64'));
    }
  });

  it('the policy is in the catalogue with its schema, the secret marked', async () => {
    const res = await platform.admin.get('/api/v1/policies');
    const policy = res.body.find((p: { ref: string }) => p.ref === 'outbound-oauth2@1.0.1');
    expect(policy.phases).toEqual(['request']);
    expect(policy.fields.find((x: { name: string }) => x.name === 'clientSecret')).toMatchObject({ type: 'string', required: true, secret: true });
    expect(policy.fields.find((x: { name: string }) => x.name === 'headerName')).toMatchObject({ type: 'header-name', default: 'Authorization' });
    expect(policy.fields.find((x: { name: string }) => x.name === 'authMethod')).toMatchObject({ enum: ['client_secret_basic', 'client_secret_post'], default: 'client_secret_basic' });
  });
});
