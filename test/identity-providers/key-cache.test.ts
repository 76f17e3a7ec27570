import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform } from '../helpers/platform.js';
import { exchange, newClient, startWorld, TT, type World } from './setup.js';

describe('IdP key cache through the token exchange', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });
  afterEach(() => w.idp.setJwksFailing(false));

  it('fetches the keys when the IdP is saved, not per exchange', async () => {
    const before = w.idp.jwksRequests;
    for (let i = 0; i < 5; i++) expect((await exchange(w, { subject_token: await w.idp.clientCredentialsToken(), subject_token_type: TT.access })).status).toBe(200);
    expect(w.idp.jwksRequests).toBe(before);
  });

  it('picks up a key rotation at the IdP without a restart', async () => {
    const oldKid = w.idp.kid;
    await w.idp.rotateKeys();
    expect(w.idp.kid).not.toBe(oldKid);
    const before = w.idp.jwksRequests;
    const res = await exchange(w, { subject_token: await w.idp.clientCredentialsToken(), subject_token_type: TT.access });
    expect(res.status).toBe(200);
    expect(w.idp.jwksRequests).toBe(before + 1);
  });

  it('keeps validating with cached keys during an IdP outage, and refreshes in the background when it is over', async () => {
    w.idp.setJwksFailing(true);
    w.clock.advance(11 * 60_000);
    const token = await w.idp.clientCredentialsToken();
    const before = w.idp.jwksRequests;
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
    // Keys older than 10 minutes trigger one background refresh; the failure is not retried for 30 s.
    expect(w.idp.jwksRequests).toBe(before + 1);
    const idp = await w.platform.admin.get(`/api/v1/orgs/${w.org.handle}/identity-providers/corp`);
    expect(idp.body.keys.lastError).toBe(`${new URL(w.idp.issuer).origin} answered HTTP 503`);
  });

  it('refuses with "keys are stale" after 24 h of failed refreshes, and recovers when the IdP answers again', async () => {
    w.idp.setJwksFailing(true);
    w.clock.advance(24 * 3_600_000);
    const token = await w.idp.sign({ sub: 'alice', aud: w.idp.audience, exp: Math.floor(w.clock.now() / 1000) + 300, iat: Math.floor(w.clock.now() / 1000) }, { header: { typ: 'at+jwt' } });
    const res = await exchange(w, { subject_token: token, subject_token_type: TT.access });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('temporarily_unavailable');
    expect(res.body.error_description).toMatch(
      /^The signing keys of identity provider "corp" are stale: they were last fetched at .* and every refresh since has failed \(http:\/\/127\.0\.0\.1:\d+ answered HTTP 503\)$/,
    );
    w.idp.setJwksFailing(false);
    w.clock.advance(31_000);
    const fresh = await w.idp.sign({ sub: 'alice', aud: w.idp.audience, exp: Math.floor(w.clock.now() / 1000) + 300, iat: Math.floor(w.clock.now() / 1000) }, { header: { typ: 'at+jwt' } });
    expect((await exchange(w, { subject_token: fresh, subject_token_type: TT.access })).status).toBe(200);
  });
});

describe('the last good keys survive a restart', () => {
  let idp: TestIdp;
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-idp-restart-'));
  afterAll(async () => {
    await idp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('validates with keys saved by the previous run while the IdP is down', async () => {
    idp = await startTestIdp();
    const env = { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true', DRAWBRIDGE_DATA_DIR: dataDir };
    const clock = new ManualClock(Date.now());
    const first = await startTestPlatform({ clock, env });
    const org = (await first.admin.post('/api/v1/orgs', { name: 'Acme' })).body;
    expect((await first.admin.post(`/api/v1/orgs/${org.handle}/identity-providers`, { name: 'corp', kind: 'generic-oidc', wellKnownUrl: idp.wellKnownUrl, audiences: [idp.audience] })).status).toBe(
      201,
    );
    const client = await newClient(first.admin, org.handle, 'app');
    await first.close();

    idp.setJwksFailing(true);
    const before = idp.jwksRequests;
    const second = await startTestPlatform({ clock, env });
    try {
      const res = await exchange({ platform: second, client }, { subject_token: await idp.clientCredentialsToken(), subject_token_type: TT.access });
      expect(res.status).toBe(200);
      expect(idp.jwksRequests).toBe(before);
    } finally {
      await second.close();
    }
  }, 30_000);
});
