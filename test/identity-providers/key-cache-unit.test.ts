import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { IdpKeyCache } from '../../src/shared/idp-keys/cache.js';
import { jwksFetcher } from '../../src/shared/idp-keys/discovery.js';
import { parseKeySet } from '../../src/shared/idp-keys/keys.js';
import type { PersistedKeys } from '../../src/shared/idp-keys/types.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';

/** The cache on its own, against the real test IdP's JWKS endpoint. */
describe('IdpKeyCache', () => {
  let idp: TestIdp;
  beforeAll(async () => { idp = await startTestIdp({ alg: 'ES256' }); }, 30_000);
  afterAll(async () => { await idp?.close(); });

  const make = (clock: ManualClock, saved: Map<string, PersistedKeys>) => new IdpKeyCache({
    clock, fetchJwks: jwksFetcher({ allowPrivate: true }), persist: async (id, keys) => { saved.set(id, keys); },
  });

  it('merges concurrent fetches into one and saves only public key members', async () => {
    const saved = new Map<string, PersistedKeys>();
    const cache = make(new ManualClock(Date.now()), saved);
    const source = { id: 'idp-1', name: 'corp', jwksUri: idp.jwksUri };
    const before = idp.jwksRequests;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => cache.refresh(source)));
    expect(idp.jwksRequests - before).toBe(1);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(saved.get('idp-1')?.jwks.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: idp.kid, alg: 'ES256', use: 'sig' }]);
  });

  it('refreshes keys older than 10 minutes in the background pass, not younger ones', async () => {
    const clock = new ManualClock(Date.now());
    const cache = make(clock, new Map());
    const source = { id: 'idp-2', jwksUri: idp.jwksUri };
    await cache.refresh(source);
    const before = idp.jwksRequests;
    clock.advance(9 * 60_000);
    await cache.refreshDue();
    expect(idp.jwksRequests).toBe(before);
    clock.advance(60_000);
    await cache.refreshDue();
    expect(idp.jwksRequests).toBe(before + 1);
  });

  it('starts from saved keys without fetching', async () => {
    const saved = new Map<string, PersistedKeys>();
    const clock = new ManualClock(Date.now());
    await make(clock, saved).refresh({ id: 'idp-3', jwksUri: idp.jwksUri });
    const restarted = make(clock, new Map());
    restarted.prime({ id: 'idp-3', jwksUri: idp.jwksUri }, saved.get('idp-3')!);
    const before = idp.jwksRequests;
    const lookup = await restarted.keysFor({ id: 'idp-3', jwksUri: idp.jwksUri }, idp.kid);
    expect(lookup.ok).toBe(true);
    expect(idp.jwksRequests).toBe(before);
  });

  it('pins algorithms from the key and drops symmetric, private and encryption keys', () => {
    const parsed = parseKeySet({ keys: [
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
      { kty: 'RSA', kid: 'enc', use: 'enc', n: 'x', e: 'AQAB' },
      { kty: 'EC', kid: 'wrong-alg', crv: 'P-256', alg: 'RS256', x: 'x', y: 'y' },
      idp.publicJwk(),
    ] });
    expect(parsed.keys.map((k) => ({ kid: k.kid, algs: [...k.algs] }))).toEqual([{ kid: idp.kid, algs: ['ES256'] }]);
    expect(parsed.skipped).toEqual([
      'key "hmac": private or symmetric key material is never used',
      'key "enc": use is enc, not sig',
      'key "wrong-alg": EC key on P-256 declares alg RS256',
    ]);
  });
});
