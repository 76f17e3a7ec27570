import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { loadConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { startPlatform, type Platform } from '../../src/platform.js';
import { basic, FORM, newConsumer, postForm, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const kidsOf = async (p: { url: string }) => ((await (await fetch(p.url + '/oauth2/jwks')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

describe('signing key rotation', () => {
  let p: TestPlatform;
  let c: Consumer;
  const clock = new ManualClock(T0);
  const token = async () => {
    const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    c = await newConsumer(p);
  });
  afterAll(() => p.close());

  it('only the platform administrator may rotate or list keys', async () => {
    const dev = await p.newUser('dev@example.com');
    const rotate = await dev.post('/api/v1/admin/signing-keys/rotate', {});
    expect(rotate.status).toBe(403);
    expect(rotate.body).toEqual({ code: 'forbidden', message: 'Only the platform administrator can manage signing keys' });
    expect((await dev.get('/api/v1/admin/signing-keys')).status).toBe(403);
    expect((await p.api.post('/api/v1/admin/signing-keys/rotate', {})).status).toBe(401);
  });

  it('publishes the new key before it signs and keeps the old one until its tokens have expired', async () => {
    const [k1] = await kidsOf(p);
    const before = await token();
    expect(decodeProtectedHeader(before).kid).toBe(k1);

    const rotated = await p.admin.post('/api/v1/admin/signing-keys/rotate', {});
    expect(rotated.status).toBe(201);
    const k2 = rotated.body.key.kid as string;
    const activatesAt = T0 + 600_000;
    const publishUntil = activatesAt + (86_400 + 30 + 60) * 1000;
    expect(rotated.body).toEqual({
      key: { kid: k2, alg: 'ES256', state: 'pending', createdAt: iso(T0), activatesAt: iso(activatesAt), retiredAt: null, publishUntil: null },
      retiring: [{ kid: k1, alg: 'ES256', state: 'active', createdAt: iso(T0), activatesAt: iso(T0), retiredAt: iso(activatesAt), publishUntil: iso(publishUntil) }],
    });

    // Published at once, not yet signing.
    expect(await kidsOf(p)).toEqual([k1, k2]);
    expect(decodeProtectedHeader(await token()).kid).toBe(k1);

    // A second rotation while one is pending is refused.
    const again = await p.admin.post('/api/v1/admin/signing-keys/rotate', {});
    expect(again.status).toBe(409);

    // After the publish-ahead delay the new key signs; the old one is still published.
    clock.set(activatesAt);
    const after = await token();
    expect(decodeProtectedHeader(after).kid).toBe(k2);
    expect(await kidsOf(p)).toEqual([k1, k2]);
    const list = await p.admin.get('/api/v1/admin/signing-keys');
    expect(list.body.map((k: { kid: string; state: string }) => [k.kid, k.state])).toEqual([
      [k1, 'retired'],
      [k2, 'active'],
    ]);

    // Tokens of both keys verify against the published JWKS.
    const jwks = createLocalJWKSet((await p.api.get('/oauth2/jwks')).body);
    await jwtVerify(before, jwks, { currentDate: new Date(T0) });
    await jwtVerify(after, jwks, { currentDate: new Date(activatesAt) });

    // The old key leaves the JWKS only once the longest-lived token it could have signed has expired.
    clock.set(publishUntil - 1000);
    expect(await kidsOf(p)).toEqual([k1, k2]);
    clock.set(publishUntil);
    expect(await kidsOf(p)).toEqual([k2]);
  });
});

describe('a rotation reaches every gateway before the new key signs', () => {
  const clock = new ManualClock(T0);
  let p: TestPlatform;

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
  });
  afterAll(() => p.close());

  it("the rotate route tells the publisher, which pushes the new public key to every environment's gateway at once", async () => {
    const c = await newConsumer(p);
    const token = async () => (await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) })).body.access_token as string;
    const [k1] = await kidsOf(p);

    // Stop the 2 s poll, so only the change notice can bring the key to the gateways.
    const publisher = p.runtime.publisher as unknown as { poller?: NodeJS.Timeout };
    expect(publisher.poller).toBeDefined();
    clearInterval(publisher.poller);

    const pushed: { environment: string; kids: string[]; at: number }[] = [];
    for (const gw of p.runtime.gateways) {
      const set = gw.setSnapshot.bind(gw);
      gw.setSnapshot = (snapshot) => {
        pushed.push({ environment: gw.environment, kids: snapshot.keys.map((k) => k.kid), at: clock.now() });
        return set(snapshot);
      };
    }
    const notify = vi.spyOn(p.runtime.publisher, 'notify');
    const changes: string[] = [];
    const stop = p.store.changes.subscribe((batch) => changes.push(...batch.changes.map((c) => c.kind)));

    const rotated = await p.admin.post('/api/v1/admin/signing-keys/rotate', {});
    expect(rotated.status).toBe(201);
    const k2 = rotated.body.key.kid as string;
    const activatesAt = Date.parse(rotated.body.key.activatesAt);
    expect(activatesAt - T0).toBe(600_000);
    // Installation-wide: no organization named, and the publisher recompiles every environment.
    expect(changes).toEqual(['signingKeys']);
    expect(notify).toHaveBeenCalledTimes(1);

    await vi.waitFor(
      () => {
        expect(p.runtime.gateways.map((g) => g.environment).sort()).toEqual(['development', 'production']);
        for (const environment of ['development', 'production']) {
          expect(pushed.find((s) => s.environment === environment && s.kids.includes(k2))).toBeDefined();
        }
      },
      { timeout: 2000, interval: 10 },
    );
    // Both gateways hold the old and the new key, and got them before the new key signs.
    for (const s of pushed) {
      expect(s.kids).toEqual([k1, k2]);
      expect(s.at).toBeLessThan(activatesAt);
    }
    expect(decodeProtectedHeader(await token()).kid).toBe(k1);

    // Once it signs, the gateways already know it.
    clock.set(activatesAt);
    expect(decodeProtectedHeader(await token()).kid).toBe(k2);
    notify.mockRestore();
    stop();
  });
});

describe('the publish-ahead delay has a floor', () => {
  it('0, or anything under 60 s, is a configuration error naming the variable', () => {
    for (const raw of ['0', '59']) {
      expect(() => loadConfig({ DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: raw })).toThrow(`DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: must be a whole number of seconds between 60 and 604800, got "${raw}"`);
    }
    expect(() => loadConfig({ DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: '604801' })).toThrow('DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: must be a whole number of seconds between 60 and 604800, got "604801"');
    expect(loadConfig({ DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: '60' }).signingKeyPublishAhead).toBe(60);
    expect(loadConfig({}).signingKeyPublishAhead).toBe(600);
  });

  it('a programmatic override below the floor is refused too', () => {
    expect(() => loadConfig({}, { signingKeyPublishAhead: 0 })).toThrow('DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: must be a whole number of seconds between 60 and 604800, got 0');
  });
});

describe('a wrong master key stops the start', () => {
  const dirs: string[] = [];
  const clock = new ManualClock(T0);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const configFor = (dataDir: string, env: Record<string, string> = {}) =>
    loadConfig({ DRAWBRIDGE_DATA_DIR: dataDir, DRAWBRIDGE_ADMIN_PASSWORD: 'pw-for-tests', DRAWBRIDGE_GATEWAYS: '', DRAWBRIDGE_LOG_LEVEL: 'silent', DRAWBRIDGE_HOST: '127.0.0.1', ...env }, { port: 0 });
  const start = (dataDir: string, env: Record<string, string> = {}) => startPlatform(configFor(dataDir, env), { clock, logger: createLogger('silent'), print: () => {} });

  it('with a ConfigError naming DRAWBRIDGE_MASTER_KEY (from the environment) and leaves the keys untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-mk-'));
    dirs.push(dir);
    const first = await start(dir, { DRAWBRIDGE_MASTER_KEY: 'a'.repeat(64) });
    const [kid] = await kidsOf(first);
    await first.close();

    const refused = start(dir, { DRAWBRIDGE_MASTER_KEY: 'b'.repeat(64), DRAWBRIDGE_SIGNING_ALG: 'EdDSA' });
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      `DRAWBRIDGE_MASTER_KEY: the master key cannot decrypt signing key ${kid} stored in the database; ` +
        'start with the master key the database was created with (set DRAWBRIDGE_MASTER_KEY, or restore the key file of the data folder)',
    );

    // Nothing was written with the wrong key (no rotation to EdDSA); the right key starts (and opens the key) again.
    const again = await start(dir, { DRAWBRIDGE_MASTER_KEY: 'a'.repeat(64) });
    try {
      expect((await again.store.signingKeys.all()).map((k) => k.kid)).toEqual([kid]);
      expect(await kidsOf(again)).toEqual([kid]);
    } finally {
      await again.close();
    }
  });

  it('names the key file when the key came from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-mk-'));
    dirs.push(dir);
    const first = await start(dir);
    const [kid] = await kidsOf(first);
    await first.close();
    writeFileSync(join(dir, 'master.key'), 'c'.repeat(64) + '\n');
    await expect(start(dir)).rejects.toThrow(`DRAWBRIDGE_MASTER_KEY: the master key (read from ${join(dir, 'master.key')}) cannot decrypt signing key ${kid} stored in the database`);
  });
});

describe('signing keys across restarts and algorithms', () => {
  const started: Platform[] = [];
  const dirs: string[] = [];
  const clock = new ManualClock(T0);

  async function start(dataDir: string, env: Record<string, string> = {}): Promise<Platform> {
    const config = loadConfig(
      { DRAWBRIDGE_DATA_DIR: dataDir, DRAWBRIDGE_ADMIN_PASSWORD: 'pw-for-tests', DRAWBRIDGE_GATEWAYS: '', DRAWBRIDGE_LOG_LEVEL: 'silent', DRAWBRIDGE_HOST: '127.0.0.1', ...env },
      { port: 0 },
    );
    const platform = await startPlatform(config, { clock, logger: createLogger('silent'), print: () => {} });
    started.push(platform);
    return platform;
  }
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-keys-'));
    dirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const p of started) await p.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the same keys come back after a restart', async () => {
    const dir = newDir();
    const first = await start(dir);
    const kids = await kidsOf(first);
    await first.close();
    const second = await start(dir);
    expect(await kidsOf(second)).toEqual(kids);
    expect((await second.store.signingKeys.all()).length).toBe(1);
    await second.close();
  });

  it('changing DRAWBRIDGE_SIGNING_ALG schedules a rotation to the new algorithm', async () => {
    const dir = newDir();
    const first = await start(dir);
    const [k1] = await kidsOf(first);
    await first.close();
    const second = await start(dir, { DRAWBRIDGE_SIGNING_ALG: 'EdDSA' });
    const keys = await second.store.signingKeys.all();
    expect(keys.map((k) => [k.kid === k1, k.alg])).toEqual([
      [true, 'ES256'],
      [false, 'EdDSA'],
    ]);
    expect(keys[1]!.activatesAt).toBe(iso(clock.now() + 600_000));
    // Discovery lists the algorithm of every published key, not only the configured one.
    const metadata = (await (await fetch(second.url + '/.well-known/oauth-authorization-server')).json()) as { access_token_signing_alg_values_supported: string[] };
    expect(metadata.access_token_signing_alg_values_supported).toEqual(['ES256', 'EdDSA']);
    await second.close();
  });

  for (const [alg, kty] of [
    ['RS256', 'RSA'],
    ['PS256', 'RSA'],
    ['EdDSA', 'OKP'],
    ['ES256', 'EC'],
  ] as const) {
    it(`issues ${alg} tokens when configured, verifiable against the JWKS`, async () => {
      const p = await startTestPlatform({ clock, env: { DRAWBRIDGE_SIGNING_ALG: alg } });
      try {
        const c = await newConsumer(p);
        const jwks = (await p.api.get('/oauth2/jwks')).body as { keys: { alg: string; kty: string }[] };
        expect(jwks.keys.map((k) => [k.alg, k.kty])).toEqual([[alg, kty]]);
        const res = await postForm(p, '/oauth2/token', 'grant_type=client_credentials', { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
        const { protectedHeader } = await jwtVerify(res.body.access_token, createLocalJWKSet(jwks as never), { currentDate: new Date(clock.now()), typ: 'at+jwt' });
        expect(protectedHeader.alg).toBe(alg);
      } finally {
        await p.close();
      }
    });
  }

  it('an unknown algorithm is a configuration error naming the variable', () => {
    expect(() => loadConfig({ DRAWBRIDGE_SIGNING_ALG: 'HS256' })).toThrow(ConfigError);
    expect(() => loadConfig({ DRAWBRIDGE_SIGNING_ALG: 'HS256' })).toThrow('DRAWBRIDGE_SIGNING_ALG: must be one of ES256, RS256, PS256, EdDSA, got "HS256"');
    expect(() => loadConfig({ DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD: '-5' })).toThrow('DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD');
  });
});
