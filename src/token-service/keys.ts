import type { JWK } from 'jose';
import type { Clock } from '../shared/clock.js';
import { MIN_SIGNING_KEY_PUBLISH_AHEAD, type Config } from '../shared/config.js';
import type { MasterKey } from '../shared/crypto.js';
import { ConfigError, conflict } from '../shared/errors.js';
import { AccessTokenSigner, AccessTokenVerifier, generateSigningKey, publicPart, type SigningAlg } from '../shared/jwt/index.js';
import { ServerError } from '../shared/oauth-errors.js';
import type { Store } from '../store/index.js';
import type { SigningKeyRecord } from '../store/repos/signing-keys.js';

/** No access token lives longer than this (seconds), whatever a credential asks for. */
export const MAX_TOKEN_LIFETIME = 86_400;
/** How often a node re-reads the key table (ms); another node's rotation is seen within this. */
export const KEY_REFRESH_MS = 30_000;
/** Margin for clocks of verifiers that run slightly behind (seconds). */
const SKEW_SECONDS = 60;

export interface KeyDeps {
  store: Store;
  masterKey: MasterKey;
  clock: Clock;
  config: Pick<Config, 'signingAlg' | 'signingKeyPublishAhead' | 'publicUrl'>;
}

export type KeyState = 'pending' | 'active' | 'retired';

/** A signing key as the admin API shows it (public half only). */
export interface SigningKeyView {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  publishUntil: string | null;
}

/** The key that signs at `now`: the most recently activated one that is not retired. */
function currentKey(records: SigningKeyRecord[], nowIso: string): SigningKeyRecord | undefined {
  let best: SigningKeyRecord | undefined;
  for (const r of records) {
    if (r.activatesAt > nowIso || (r.retiredAt !== null && r.retiredAt <= nowIso)) continue;
    if (!best || r.activatesAt > best.activatesAt || (r.activatesAt === best.activatesAt && r.kid > best.kid)) best = r;
  }
  return best;
}

function stateOf(r: SigningKeyRecord, current: SigningKeyRecord | undefined, nowIso: string): KeyState {
  if (r.kid === current?.kid) return 'active';
  return r.activatesAt > nowIso ? 'pending' : 'retired';
}

const isPublished = (r: SigningKeyRecord, nowIso: string) => r.publishUntil === null || r.publishUntil > nowIso;

/**
 * Bumped after every rotation made by this process commits, so the KeyRings of
 * this process re-read the key table at their next use instead of up to
 * KEY_REFRESH_MS later (other nodes still see it within KEY_REFRESH_MS).
 */
let localRotations = 0;

/** Generates a key, seals its private half with the master key (context = kid) and stores it. */
async function createKey(deps: KeyDeps, store: Store, alg: SigningAlg, activatesAtMs: number): Promise<SigningKeyRecord> {
  const key = await generateSigningKey(alg);
  const record = {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk as Record<string, unknown>,
    sealedPrivateJwk: deps.masterKey.encrypt(JSON.stringify(key.privateJwk), key.kid),
    createdAt: new Date(deps.clock.now()).toISOString(),
    activatesAt: new Date(activatesAtMs).toISOString(),
  };
  await store.signingKeys.insert(record);
  return { ...record, retiredAt: null, publishUntil: null };
}

export interface RotationResult {
  key: SigningKeyView;
  /** Keys that stop signing when the new one activates. */
  retiring: SigningKeyView[];
}

/**
 * Rotates the signing key: the new key is published at once and signs from
 * `now + publishAhead`; the keys it replaces stop signing then and stay
 * published until every token they signed has expired (plus the key refresh
 * interval of other nodes and a skew margin). One rotation at a time: a
 * pending key is a 409.
 *
 * The change feed tells the gateways, so the new public key
 * reaches every environment's snapshot long before it signs: the delay is at
 * least MIN_SIGNING_KEY_PUBLISH_AHEAD seconds.
 */
export async function rotateSigningKey(deps: KeyDeps, options: { alg?: SigningAlg } = {}): Promise<RotationResult> {
  const now = deps.clock.now();
  const nowIso = new Date(now).toISOString();
  const publishAhead = deps.config.signingKeyPublishAhead;
  if (!(publishAhead >= MIN_SIGNING_KEY_PUBLISH_AHEAD)) {
    throw new ConfigError('DRAWBRIDGE_SIGNING_KEY_PUBLISH_AHEAD', `must be at least ${MIN_SIGNING_KEY_PUBLISH_AHEAD} seconds, got ${publishAhead}`);
  }
  const result = await deps.store.transaction(async (tx): Promise<RotationResult> => {
    const records = await tx.signingKeys.all();
    const pending = records.find((r) => r.retiredAt === null && r.activatesAt > nowIso);
    if (pending) throw conflict(`Key ${pending.kid} is already waiting to sign from ${pending.activatesAt}; rotate again after that`);
    const activatesAt = now + publishAhead * 1000;
    const key = await createKey(deps, tx, options.alg ?? deps.config.signingAlg, activatesAt);
    const retiredAt = new Date(activatesAt).toISOString();
    const publishUntil = new Date(activatesAt + (MAX_TOKEN_LIFETIME + KEY_REFRESH_MS / 1000 + SKEW_SECONDS) * 1000).toISOString();
    const retiring = records.filter((r) => r.retiredAt === null);
    await tx.signingKeys.retireAll(key.kid, retiredAt, publishUntil);
    await tx.signingKeys.deleteUnpublished(new Date(now - 7 * 86_400_000).toISOString());
    return {
      key: { ...view(key, undefined, nowIso), state: 'pending' },
      retiring: retiring.map((r) => ({ ...view(r, r, nowIso), retiredAt, publishUntil })),
    };
  });
  localRotations++;
  return result;
}

function view(r: SigningKeyRecord, current: SigningKeyRecord | undefined, nowIso: string): SigningKeyView {
  return { kid: r.kid, alg: r.alg, state: stateOf(r, current, nowIso), createdAt: r.createdAt, activatesAt: r.activatesAt, retiredAt: r.retiredAt, publishUntil: r.publishUntil };
}

/** Every stored key with its state at `now`, for the admin API. */
export async function listSigningKeys(store: Store, clock: Clock): Promise<SigningKeyView[]> {
  const nowIso = new Date(clock.now()).toISOString();
  const records = await store.signingKeys.all();
  const current = currentKey(records, nowIso);
  return records.map((r) => view(r, current, nowIso));
}

/** A key's private JWK; a master key that cannot open it is a configuration error naming the master key. */
function openPrivateJwk(masterKey: MasterKey, record: SigningKeyRecord): JWK {
  let plain: string;
  try {
    plain = masterKey.decrypt(record.sealedPrivateJwk, record.kid);
  } catch {
    const from = masterKey.source === 'DRAWBRIDGE_MASTER_KEY' ? '' : ` (read from ${masterKey.source})`;
    throw new ConfigError(
      'DRAWBRIDGE_MASTER_KEY',
      `the master key${from} cannot decrypt signing key ${record.kid} stored in the database; ` +
        'start with the master key the database was created with (set DRAWBRIDGE_MASTER_KEY, or restore the key file of the data folder)',
    );
  }
  return JSON.parse(plain) as JWK;
}

/**
 * The signing keys of this node, cached: private keys are decrypted and
 * imported once per kid, the key table re-read every KEY_REFRESH_MS (so a
 * rotation made elsewhere is seen well before the new key signs).
 */
export class KeyRing {
  private records: SigningKeyRecord[] = [];
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loadedRotations = -1;
  private loading: Promise<void> | undefined;
  private readonly signers = new Map<string, Promise<AccessTokenSigner>>();
  private verifierCache: { at: number; verifier: AccessTokenVerifier } | undefined;
  private lastForcedReload = Number.NEGATIVE_INFINITY;

  private constructor(private readonly deps: KeyDeps) {}

  /**
   * Loads the keys, creating the first one on a fresh installation. When the
   * configured algorithm changed since the last start, schedules a rotation to it.
   *
   * Every key that signs now or will (the current one, a pending one) is
   * decrypted here, before anything is written: a wrong master key stops the
   * start with a ConfigError naming it, instead of failing the first token with a 500.
   */
  static async open(deps: KeyDeps): Promise<KeyRing> {
    const ring = new KeyRing(deps);
    const nowIso = new Date(deps.clock.now()).toISOString();
    const records = await deps.store.signingKeys.all();
    const live = records.filter((r) => r.retiredAt === null || r.retiredAt > nowIso);
    for (const r of live) await ring.signerFor(r);
    if (live.length === 0) {
      await createKey(deps, deps.store, deps.config.signingAlg, deps.clock.now());
    } else if (!live.some((r) => r.alg === deps.config.signingAlg && r.retiredAt === null) && !live.some((r) => r.activatesAt > nowIso)) {
      // A pending key is left to activate; the next start rotates again if the algorithm still differs.
      await rotateSigningKey(deps);
    }
    await ring.reload();
    return ring;
  }

  /** The signer of the key current at the clock's now. */
  async signer(): Promise<AccessTokenSigner> {
    await this.refreshIfStale();
    const now = this.deps.clock.now();
    const record = currentKey(this.records, new Date(now).toISOString());
    if (!record) throw new ServerError('The token service has no active signing key', 'no signing key is active; check the signing_keys table');
    return this.signerFor(record);
  }

  /** Decrypts and imports a key's private half once per kid. */
  private signerFor(record: SigningKeyRecord): Promise<AccessTokenSigner> {
    let signer = this.signers.get(record.kid);
    if (!signer) {
      signer = AccessTokenSigner.fromJwk(openPrivateJwk(this.deps.masterKey, record), record.kid, record.alg);
      this.signers.set(record.kid, signer);
      signer.catch(() => this.signers.delete(record.kid));
    }
    return signer;
  }

  /**
   * A verifier over the keys published now. An unknown `kid` re-reads the
   * table (at most once a second), so tokens from a key rotated in on another
   * node verify here too.
   */
  async verifier(kid?: string): Promise<AccessTokenVerifier> {
    await this.refreshIfStale();
    const now = this.deps.clock.now();
    if (kid !== undefined && !this.records.some((r) => r.kid === kid) && Math.abs(now - this.lastForcedReload) >= 1000) {
      this.lastForcedReload = now;
      await this.reload();
    }
    if (!this.verifierCache || this.verifierCache.at !== this.loadedAt) {
      const nowIso = new Date(now).toISOString();
      const keys = this.records.filter((r) => isPublished(r, nowIso)).map((r) => r.publicJwk as JWK);
      this.verifierCache = { at: this.loadedAt, verifier: new AccessTokenVerifier(this.deps.config.publicUrl, keys) };
    }
    return this.verifierCache.verifier;
  }

  /**
   * The algorithms of every key published now (pending, active and
   * retired-but-needed; during a rotation to another algorithm, both), for the
   * discovery metadata. Read from the cached records: no query per call, only
   * when the ring refreshes.
   */
  async publishedAlgorithms(): Promise<string[]> {
    return [...new Set((await this.published()).map((r) => r.alg))];
  }

  /**
   * The JWKS document (every key published now), from the cached records like
   * `publishedAlgorithms`: the public endpoint costs no query per request.
   */
  async publishedJwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.published()).map((r) => publicPart(r.publicJwk as JWK)) };
  }

  /** The cached records of the keys published at the clock's now. */
  private async published(): Promise<SigningKeyRecord[]> {
    await this.refreshIfStale();
    const nowIso = new Date(this.deps.clock.now()).toISOString();
    return this.records.filter((r) => isPublished(r, nowIso));
  }

  private async refreshIfStale(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.loadedAt >= KEY_REFRESH_MS || now < this.loadedAt || this.loadedRotations !== localRotations) await this.reload();
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const at = this.deps.clock.now();
        const rotations = localRotations;
        this.records = await this.deps.store.signingKeys.published(new Date(at).toISOString());
        this.loadedAt = at;
        this.loadedRotations = rotations;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
