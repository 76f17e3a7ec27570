import { SafeFetchError } from '../safe-fetch.js';
import type { Clock } from '../clock.js';
import { sha256 } from '../crypto.js';
import { parseKeySet, type PinnedKey } from './keys.js';
import type { PersistedKeys } from './types.js';

/**
 * Keys of external identity providers, shared by the token service (token
 * exchange) and the gateway (direct external tokens). It never reads the
 * database: the platform hands it the last good keys at start (`prime`) and a
 * `persist` callback to store new ones.
 *
 * Rules:
 * - keys are fetched when an IdP is saved (`refresh`), and refreshed in the
 *   background every `refreshIntervalMs` (10 min);
 * - a token with an unknown `kid` causes at most one refetch per
 *   `unknownKidCooldownMs` (30 s) per IdP, so random `kid`s cannot cause a
 *   fetch storm; concurrent fetches of one IdP are merged into one;
 * - when the JWKS endpoint fails, the last good keys keep working for
 *   `maxStaleMs` (24 h) after their fetch; after that tokens are refused with
 *   a message that says the keys are stale;
 * - a failed fetch is retried at most once per `failureRetryMs` (30 s);
 * - new keys are saved in the background (a fetch never waits for the
 *   database), and only when the key set changed or the saved copy is older
 *   than `persistTouchMs` (1 h), so an unchanged JWKS does not rewrite its
 *   row every 10 minutes while the saved `fetchedAt` still bounds how stale
 *   restarted keys may be.
 */
export interface IdpKeyCacheOptions {
  clock: Clock;
  /** Fetches a JWKS document (use `safeFetchJson` with the installation's private-URL policy). */
  fetchJwks: (jwksUri: string) => Promise<unknown>;
  /** Stores the last good keys (e.g. `store.identityProviders.saveKeys`); called in the background. Errors are logged, not thrown. */
  persist?: (idpId: string, keys: PersistedKeys) => Promise<void>;
  logger?: { warn(obj: object, msg: string): void };
  refreshIntervalMs?: number;
  unknownKidCooldownMs?: number;
  maxStaleMs?: number;
  failureRetryMs?: number;
  /** An unchanged key set is saved again (to move its `fetchedAt`) at most this often. */
  persistTouchMs?: number;
}

export const KEY_CACHE_DEFAULTS = {
  refreshIntervalMs: 10 * 60_000,
  unknownKidCooldownMs: 30_000,
  maxStaleMs: 24 * 60 * 60_000,
  failureRetryMs: 30_000,
  persistTouchMs: 60 * 60_000,
} as const;

export interface IdpKeySource {
  id: string;
  name?: string;
  jwksUri: string;
}

export type KeyLookupFailure = 'keys_unavailable' | 'keys_stale' | 'unknown_kid';
export type KeyLookup = { ok: true; keys: PinnedKey[] } | { ok: false; code: KeyLookupFailure; message: string };

export interface RefreshOutcome {
  ok: boolean;
  /** Usable keys after the attempt (the previous ones when it failed). */
  keys: PinnedKey[];
  /** Keys in the document that were not usable, and why. */
  skipped: string[];
  /** Epoch ms of the last successful fetch. */
  fetchedAt?: number;
  error?: string;
}

export interface KeyCacheStatus {
  jwksUri: string;
  fetches: number;
  keyIds: (string | undefined)[];
  fetchedAt?: number;
  lastError?: string;
}

interface Entry {
  source: IdpKeySource;
  keys: PinnedKey[];
  byKid: Map<string, PinnedKey>;
  skipped: string[];
  fetchedAt?: number;
  lastAttemptAt?: number;
  lastError?: string;
  lastUnknownKidFetchAt?: number;
  inflight?: Promise<RefreshOutcome>;
  fetches: number;
  /** SHA-256 of the key set last saved (or loaded), and that copy's `fetchedAt`. */
  savedDigest?: string;
  savedAt?: number;
  /** The entry's saves run one after the other, so an older set never overwrites a newer one. */
  saving?: Promise<void>;
}

const keySetDigest = (keys: PinnedKey[]): string => sha256(JSON.stringify(keys.map((k) => k.jwk)));

export class IdpKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<Omit<IdpKeyCacheOptions, 'persist' | 'logger'>> & Pick<IdpKeyCacheOptions, 'persist' | 'logger'>;
  private timer: NodeJS.Timeout | undefined;
  private readonly pendingSaves = new Set<Promise<void>>();

  constructor(options: IdpKeyCacheOptions) {
    this.o = { ...KEY_CACHE_DEFAULTS, ...options };
  }

  /** Loads keys saved by an earlier run (no fetch). Ignored when the IdP already has fresher keys. */
  prime(source: IdpKeySource, persisted: PersistedKeys): void {
    const e = this.entry(source);
    if (e.fetchedAt !== undefined && e.fetchedAt >= persisted.fetchedAt) return;
    try {
      const parsed = parseKeySet(persisted.jwks);
      if (parsed.keys.length) {
        this.install(e, parsed.keys, parsed.skipped, persisted.fetchedAt);
        e.savedDigest = keySetDigest(parsed.keys);
        e.savedAt = persisted.fetchedAt;
      }
    } catch {
      /* a corrupt saved set is as good as none */
    }
  }

  /** Forgets an IdP (deleted). */
  forget(idpId: string): void {
    this.entries.delete(idpId);
  }

  /** Fetches the IdP's JWKS now (merged with a fetch already running). */
  refresh(source: IdpKeySource): Promise<RefreshOutcome> {
    return this.fetch(this.entry(source));
  }

  /**
   * Keys that may verify a token from this IdP: the key with `kid`, or every
   * key when the token names none. Fetches only when needed and allowed.
   */
  async keysFor(source: IdpKeySource, kid: string | undefined): Promise<KeyLookup> {
    const e = this.entry(source);
    const label = source.name ? `identity provider "${source.name}"` : 'the identity provider';
    if (e.fetchedAt === undefined) {
      await this.fetchIfAllowed(e);
      if (e.fetchedAt === undefined) return { ok: false, code: 'keys_unavailable', message: `The signing keys of ${label} could not be fetched (${e.lastError ?? 'not fetched yet'})` };
    }
    if (this.o.clock.now() - e.fetchedAt! > this.o.maxStaleMs) {
      await this.fetchIfAllowed(e);
      if (this.o.clock.now() - e.fetchedAt! > this.o.maxStaleMs) {
        return {
          ok: false,
          code: 'keys_stale',
          message: `The signing keys of ${label} are stale: they were last fetched at ${new Date(e.fetchedAt!).toISOString()} and every refresh since has failed (${e.lastError ?? 'unknown error'})`,
        };
      }
    } else if (this.o.clock.now() - e.fetchedAt! >= this.o.refreshIntervalMs) {
      void this.fetchIfAllowed(e);
    }
    if (kid === undefined) return { ok: true, keys: e.keys };
    let key = e.byKid.get(kid);
    if (!key && e.inflight) {
      await e.inflight;
      key = e.byKid.get(kid);
    }
    if (!key) {
      const now = this.o.clock.now();
      if (e.lastUnknownKidFetchAt === undefined || now - e.lastUnknownKidFetchAt >= this.o.unknownKidCooldownMs) {
        e.lastUnknownKidFetchAt = now;
        await this.fetch(e);
        key = e.byKid.get(kid);
      }
    }
    if (!key) return { ok: false, code: 'unknown_kid', message: `No key with the token's kid is published by ${label}` };
    return { ok: true, keys: [key] };
  }

  status(idpId: string): KeyCacheStatus | undefined {
    const e = this.entries.get(idpId);
    return e && { jwksUri: e.source.jwksUri, fetches: e.fetches, keyIds: e.keys.map((k) => k.kid), fetchedAt: e.fetchedAt, lastError: e.lastError };
  }

  /** Starts the background refresh (timer unref'd so it never keeps the process alive). */
  start(checkEveryMs = Math.min(60_000, this.o.refreshIntervalMs)): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.refreshDue(), checkEveryMs);
    this.timer.unref();
  }

  /** Stops the background refresh; resolves once the saves already started are done. */
  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  /** Resolves when every background save started so far has finished (or failed and been logged). */
  async flush(): Promise<void> {
    while (this.pendingSaves.size) await Promise.all([...this.pendingSaves]);
  }

  /** Refreshes every IdP whose keys are older than the refresh interval (the background timer's work). */
  async refreshDue(): Promise<void> {
    const now = this.o.clock.now();
    await Promise.all([...this.entries.values()].filter((e) => e.fetchedAt === undefined || now - e.fetchedAt >= this.o.refreshIntervalMs).map((e) => this.fetchIfAllowed(e)));
  }

  private entry(source: IdpKeySource): Entry {
    let e = this.entries.get(source.id);
    if (!e || e.source.jwksUri !== source.jwksUri) {
      e = { source, keys: [], byKid: new Map(), skipped: [], fetches: 0 };
      this.entries.set(source.id, e);
    } else if (e.source.name !== source.name) {
      e.source = source;
    }
    return e;
  }

  private install(e: Entry, keys: PinnedKey[], skipped: string[], fetchedAt: number): void {
    e.keys = keys;
    e.byKid = new Map(keys.filter((k) => k.kid !== undefined).map((k) => [k.kid!, k]));
    e.skipped = skipped;
    e.fetchedAt = fetchedAt;
  }

  /** Saves a fetched key set off the request path, only when it changed or the saved copy is old. */
  private saveInBackground(e: Entry, keys: PinnedKey[], fetchedAt: number): void {
    const persist = this.o.persist;
    if (!persist || this.entries.get(e.source.id) !== e) return;
    const digest = keySetDigest(keys);
    if (digest === e.savedDigest && e.savedAt !== undefined && fetchedAt - e.savedAt < this.o.persistTouchMs) return;
    e.savedDigest = digest;
    e.savedAt = fetchedAt;
    const id = e.source.id;
    const save: Promise<void> = (e.saving ?? Promise.resolve())
      .then(() => persist(id, { jwks: { keys: keys.map((k) => k.jwk) }, fetchedAt }))
      .catch((error: unknown) => {
        // Try again after the next fetch.
        if (e.savedDigest === digest) e.savedDigest = undefined;
        this.o.logger?.warn({ idpId: id, err: error }, 'could not save identity provider keys');
      })
      .finally(() => {
        this.pendingSaves.delete(save);
        if (e.saving === save) e.saving = undefined;
      });
    e.saving = save;
    this.pendingSaves.add(save);
  }

  private async fetchIfAllowed(e: Entry): Promise<void> {
    if (e.inflight) {
      await e.inflight;
      return;
    }
    const failedRecently = e.lastError !== undefined && e.lastAttemptAt !== undefined && this.o.clock.now() - e.lastAttemptAt < this.o.failureRetryMs;
    if (!failedRecently) await this.fetch(e);
  }

  private fetch(e: Entry): Promise<RefreshOutcome> {
    e.inflight ??= this.doFetch(e).finally(() => {
      e.inflight = undefined;
    });
    return e.inflight;
  }

  private async doFetch(e: Entry): Promise<RefreshOutcome> {
    e.fetches++;
    e.lastAttemptAt = this.o.clock.now();
    const uri = e.source.jwksUri;
    try {
      const doc = await this.o.fetchJwks(uri);
      const parsed = parseKeySet(doc);
      if (parsed.keys.length === 0) throw new Error(`the JWKS has no usable signing key${parsed.skipped.length ? ` (${parsed.skipped.join('; ')})` : ''}`);
      const fetchedAt = this.o.clock.now();
      if (this.entries.get(e.source.id) === e) this.install(e, parsed.keys, parsed.skipped, fetchedAt);
      e.lastError = undefined;
      this.saveInBackground(e, parsed.keys, fetchedAt);
      return { ok: true, keys: parsed.keys, skipped: parsed.skipped, fetchedAt };
    } catch (error) {
      e.lastError = (error as Error).message;
      // An IdP that is down or misbehaves is expected: one warn line with the stable code and the host, no stack.
      const code = error instanceof SafeFetchError ? error.code : 'invalid_jwks';
      let host: string | undefined;
      try {
        host = new URL(uri).host;
      } catch {
        host = undefined;
      }
      this.o.logger?.warn({ idpId: e.source.id, jwksUri: uri, code, host, error: e.lastError }, 'identity provider JWKS fetch failed');
      return { ok: false, keys: e.keys, skipped: e.skipped, fetchedAt: e.fetchedAt, error: e.lastError };
    }
  }
}
