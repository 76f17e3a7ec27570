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
  beforeAll(async () => {
    idp = await startTestIdp({ alg: 'ES256' });
  }, 30_000);
  afterAll(async () => {
    await idp?.close();
  });

  const make = (clock: ManualClock, saved: Map<string, PersistedKeys>) =>
    new IdpKeyCache({
      clock,
      fetchJwks: jwksFetcher({ allowPrivate: true }),
      persist: async (id, keys) => {
        saved.set(id, keys);
      },
    });

  it('merges concurrent fetches into one and saves only public key members', async () => {
    const saved = new Map<string, PersistedKeys>();
    const cache = make(new ManualClock(Date.now()), saved);
    const source = { id: 'idp-1', name: 'corp', jwksUri: idp.jwksUri };
    const before = idp.jwksRequests;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => cache.refresh(source)));
    expect(idp.jwksRequests - before).toBe(1);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await cache.flush();
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
    const first = make(clock, saved);
    await first.refresh({ id: 'idp-3', jwksUri: idp.jwksUri });
    await first.flush();
    const restarted = make(clock, new Map());
    restarted.prime({ id: 'idp-3', jwksUri: idp.jwksUri }, saved.get('idp-3')!);
    const before = idp.jwksRequests;
    const lookup = await restarted.keysFor({ id: 'idp-3', jwksUri: idp.jwksUri }, idp.kid);
    expect(lookup.ok).toBe(true);
    expect(idp.jwksRequests).toBe(before);
  });

  it('saves in the background (a fetch does not wait for the database), and only when the key set changed or the saved copy is an hour old', async () => {
    const clock = new ManualClock(Date.now());
    const saves: PersistedKeys[] = [];
    let release: () => void = () => {};
    let blocked = true;
    const cache = new IdpKeyCache({
      clock,
      fetchJwks: jwksFetcher({ allowPrivate: true }),
      persist: async (_id, keys) => {
        if (blocked)
          await new Promise<void>((r) => {
            release = r;
          });
        saves.push(keys);
      },
    });
    const source = { id: 'idp-4', jwksUri: idp.jwksUri };
    // The database write hangs: the fetch (and so the request behind it) completes anyway.
    const outcome = await cache.refresh(source);
    expect(outcome.ok).toBe(true);
    expect(saves).toHaveLength(0);
    blocked = false;
    release();
    await cache.flush();
    expect(saves.map((k) => k.fetchedAt)).toEqual([outcome.fetchedAt]);

    // Same keys ten minutes later: nothing rewritten.
    clock.advance(10 * 60_000);
    await cache.refresh(source);
    await cache.flush();
    expect(saves).toHaveLength(1);
    // An hour after the saved copy: saved again, so its fetchedAt keeps bounding staleness after a restart.
    clock.advance(50 * 60_000);
    const touched = await cache.refresh(source);
    await cache.flush();
    expect(saves.map((k) => k.fetchedAt)).toEqual([outcome.fetchedAt, touched.fetchedAt]);
    // A rotation changes the set: saved at once.
    await idp.rotateKeys();
    clock.advance(60_000);
    await cache.refresh(source);
    await cache.stop();
    expect(saves).toHaveLength(3);
    expect(saves[2]!.jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([idp.kid]));
  });

  it('does not save keys loaded from the saved copy again when a fetch finds them unchanged', async () => {
    const clock = new ManualClock(Date.now());
    const saved = new Map<string, PersistedKeys>();
    const first = make(clock, saved);
    await first.refresh({ id: 'idp-5', jwksUri: idp.jwksUri });
    await first.stop();
    const writes: string[] = [];
    const counting = new IdpKeyCache({
      clock,
      fetchJwks: jwksFetcher({ allowPrivate: true }),
      persist: async (id) => {
        writes.push(id);
      },
    });
    counting.prime({ id: 'idp-5', jwksUri: idp.jwksUri }, saved.get('idp-5')!);
    clock.advance(10 * 60_000);
    await counting.refresh({ id: 'idp-5', jwksUri: idp.jwksUri });
    await counting.flush();
    expect(writes).toEqual([]);
  });

  it('pins algorithms from the key and drops symmetric, private and encryption keys', () => {
    const parsed = parseKeySet({
      keys: [
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
        { kty: 'RSA', kid: 'enc', use: 'enc', n: 'x', e: 'AQAB' },
        { kty: 'EC', kid: 'wrong-alg', crv: 'P-256', alg: 'RS256', x: 'x', y: 'y' },
        idp.publicJwk(),
      ],
    });
    expect(parsed.keys.map((k) => ({ kid: k.kid, algs: [...k.algs] }))).toEqual([{ kid: idp.kid, algs: ['ES256'] }]);
    expect(parsed.skipped).toEqual(['key "hmac": private or symmetric key material is never used', 'key "enc": use is enc, not sig', 'key "wrong-alg": EC key on P-256 declares alg RS256']);
  });
});
