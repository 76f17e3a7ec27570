import type { Clock } from '../clock.js';
import { IdpKeyCache, type IdpKeySource } from './cache.js';
import { jwksFetcher } from './discovery.js';
import type { PersistedKeys } from './types.js';

/** Where the last good keys live between runs (the store's identity-provider repo satisfies it). */
export interface IdpKeyPersistence {
  all(): Promise<IdpKeySource[]>;
  allKeys(): Promise<Map<string, PersistedKeys>>;
  saveKeys(idpId: string, keys: PersistedKeys): Promise<void>;
}

/**
 * The platform's one key cache: JWKS fetched under the installation's
 * private-URL policy, new keys saved through `persistence`.
 */
export function createIdpKeyCache(options: { allowPrivate: boolean; clock: Clock; persistence?: Pick<IdpKeyPersistence, 'saveKeys'>; logger?: { warn(obj: object, msg: string): void } }): IdpKeyCache {
  const { persistence } = options;
  return new IdpKeyCache({
    clock: options.clock,
    fetchJwks: jwksFetcher({ allowPrivate: options.allowPrivate }),
    persist: persistence && ((idpId, keys) => persistence.saveKeys(idpId, keys)),
    logger: options.logger,
  });
}

/** Loads every IdP's last good keys saved by an earlier run (done once at start, off the hot path). */
export async function primeFromPersistence(cache: IdpKeyCache, persistence: IdpKeyPersistence): Promise<number> {
  const [idps, saved] = await Promise.all([persistence.all(), persistence.allKeys()]);
  let primed = 0;
  for (const idp of idps) {
    const keys = saved.get(idp.id);
    if (keys) {
      cache.prime(idp, keys);
      primed++;
    }
  }
  return primed;
}

/** Creates the platform's key cache, loads the last good keys and starts the background refresh. Call `stop()` on shutdown. */
export async function openIdpKeyCache(options: { allowPrivate: boolean; clock: Clock; persistence: IdpKeyPersistence; logger?: { warn(obj: object, msg: string): void } }): Promise<IdpKeyCache> {
  const cache = createIdpKeyCache(options);
  await primeFromPersistence(cache, options.persistence);
  cache.start();
  return cache;
}
