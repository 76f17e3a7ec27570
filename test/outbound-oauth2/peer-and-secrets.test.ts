import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFile } from '../../src/gateway/holder.js';
import { SEALED_SECRET_CONTEXT } from '../../src/gateway/snapshot.js';
import { ManualClock } from '../../src/shared/clock.js';
import { MasterKey } from '../../src/shared/crypto.js';
import { createLogger } from '../../src/shared/logger.js';
import { snapshot, startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { ENV, outbound, policyApi, startCountingIdp, startTokenBackend, type CountingIdp, type TokenBackend } from './helpers.js';

describe('outbound-oauth2 against oidc-provider (a real IdP peer)', () => {
  const clock = new ManualClock();
  let idp: TestIdp;
  let backend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startTestIdp({ audience: 'https://orders.example' });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, audience: idp.audience, jwks: idp.jwksUri });
    gw = await startTestGateway(
      snapshot(
        [],
        [policyApi('api-orders', '/orders', backend.url, [outbound({ tokenUrl: idp.tokenEndpoint, clientId: idp.clientId, clientSecret: idp.clientSecret, scope: 'read', resource: idp.audience })])],
      ),
      { clock },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('the backend verifies the token oidc-provider issued against its JWKS', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/acme/orders/v1/items`);
      expect(res.status).toBe(200);
    }
    const claims = backend.calls.map((c) => c.claims!);
    expect(claims[0]).toMatchObject({ iss: idp.issuer, aud: idp.audience, client_id: idp.clientId, scope: 'read' });
    expect(new Set(backend.calls.map((c) => c.token)).size).toBe(1); // cached: one token for the three calls
  });
});

describe('outbound-oauth2: the secret stays secret', () => {
  const SECRET = 'never-show-me-9b1f0c7e2a4d6b8f';
  const clock = new ManualClock();
  const key = MasterKey.fromBytes(randomBytes(32));
  let logs = '';
  let idp: CountingIdp;
  let backend: TokenBackend;
  let gw: TestGateway;

  beforeAll(async () => {
    idp = await startCountingIdp([{ id: 'client', secret: SECRET }], { expiresIn: 3600 });
    backend = await startTokenBackend({ header: 'authorization', issuer: idp.issuer, jwks: idp.jwks });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    gw = await startTestGateway(
      snapshot(
        [],
        [
          policyApi('api-orders', '/orders', backend.url, [
            outbound({ tokenUrl: idp.tokenUrl, clientId: 'client', clientSecret: { $sealed: key.encrypt(SECRET, SEALED_SECRET_CONTEXT) }, authMethod: 'client_secret_post' }),
          ]),
        ],
      ),
      { clock, masterKey: key, logger: createLogger('debug', sink) },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([idp?.close(), backend?.close()]);
  });

  it('a sealed secret is opened by the gateway and used at the IdP', async () => {
    const res = await fetch(`${gw.url}/acme/orders/v1/items`);
    expect(res.status).toBe(200);
    expect(idp.requests[0]!.form.client_secret).toBe(SECRET);
  });

  it('the snapshot file on disk holds the secret only sealed', () => {
    const text = readFileSync(snapshotFile(gw.dataDir, ENV), 'utf8');
    expect(text).toContain('"$sealed"');
    expect(text).not.toContain(SECRET);
  });

  it('an IdP failure that echoes the secret leaks it neither to the consumer nor to the logs', async () => {
    idp.mode = 'invalid-client-echo';
    await gw.setSnapshot(
      snapshot(
        [],
        [
          policyApi('api-orders', '/orders', backend.url, [
            outbound({ tokenUrl: idp.tokenUrl, clientId: 'client', clientSecret: { $sealed: key.encrypt(SECRET, SEALED_SECRET_CONTEXT) }, authMethod: 'client_secret_post', scope: 'other' }),
          ]),
        ],
        { version: 2 },
      ),
    );
    const res = await fetch(`${gw.url}/acme/orders/v1/items`);
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain('bad secret');
    expect(logs).toContain('outbound OAuth2: could not obtain a backend token');
    expect(logs).toContain('token endpoint answered 401 (error invalid_client)');
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('bad secret');
    for (const token of idp.issued) expect(logs).not.toContain(token);
  });
});
