import {
  SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotApi, type SnapshotExternalClient, type SnapshotIdentityProvider, type SnapshotJwk,
} from '../../gateway/index.js';
import { isoNow, type Clock } from '../../shared/clock.js';
import { KEY_CACHE_DEFAULTS, type IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { IdpVerificationConfig, PersistedKeys } from '../../shared/idp-keys/types.js';
import { sha256, type MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { Change, Store } from '../../store/index.js';
import { canonicalJson } from '../../store/repos/apis.js';
import type { ActiveDeployment } from '../../store/repos/deployments.js';
import { byFirstDeployment, compileApi, sealSecrets } from './compile.js';

/**
 * Compiles one environment's runtime snapshot from the store, part by part, and
 * keeps the parts: every organization's active deployments in environments of
 * that name (parameters resolved, secrets decrypted here only and sealed again
 * for the gateway), subscriptions, client-ID maps, the token service's public
 * keys, external IdPs and revoked token IDs. `mark` says what a committed
 * change touched; the next `compile` re-reads and recompiles only that, so a
 * redeploy of one API costs one API whatever the number of APIs, and nothing
 * changed costs nothing.
 */

export interface CompileOptions {
  store: Store;
  masterKey: MasterKey;
  /** Issuer of platform tokens (`config.publicUrl`). */
  issuer: string;
  environment: string;
  clock: Clock;
  logger: Logger;
  /**
   * The platform's IdP key cache: each IdP's last good keys are read from it
   * (in memory). Without it they are read from the store.
   */
  idpKeys?: IdpKeyCache;
}

export interface CompiledRuntime {
  /** `version` is 0 here: the publisher numbers snapshots. */
  snapshot: GatewaySnapshot;
  /** Hash of the content before secrets are sealed (sealing is randomized): equal digests, equal behavior. */
  digest: string;
  /** Deployments left out because they no longer compile (the publisher logs them; the rest of the environment still serves). */
  skipped: { apiId: string; orgId: string; reason: string }[];
  /** Full settings of every IdP in the snapshot, for the in-process external-token verifier. */
  idpConfigs: Map<string, IdpVerificationConfig>;
}

/** One API's part of the snapshot, kept until a change touches it. */
interface ApiPart {
  /** What the part was compiled from: a new deployment, handle or name makes a new part. */
  key: string;
  deployment: Pick<ActiveDeployment, 'apiId' | 'orgId' | 'firstDeployedAt'>;
  /** Secrets still in clear (marked); absent when the deployment no longer compiles. */
  api?: SnapshotApi;
  digest: string;
  skipped?: string;
  /** `api` with its secrets sealed, made once when first handed out (the gateway reuses what it compiled for the same object). */
  sealed?: SnapshotApi;
}

/** The parts read per organization: client maps, IdPs and revocations. */
interface OrgWideParts {
  builtin: Record<string, string>;
  external: SnapshotExternalClient[];
  identityProviders: SnapshotIdentityProvider[];
  revokedTokens: GatewaySnapshot['revokedTokens'];
  idpConfigs: Map<string, IdpVerificationConfig>;
}

interface Dirty {
  all: boolean;
  apis: Set<string>;
  orgs: Set<string>;
  subscriptions: boolean;
  orgWide: boolean;
  keys: boolean;
}

const everythingDirty = (): Dirty => ({ all: true, apis: new Set(), orgs: new Set(), subscriptions: true, orgWide: true, keys: true });
const nothingDirty = (): Dirty => ({ all: false, apis: new Set(), orgs: new Set(), subscriptions: false, orgWide: false, keys: false });

const partKey = (d: ActiveDeployment): string => `${d.id}\n${d.orgHandle}\n${d.componentName}\n${d.firstDeployedAt}`;

function compilePart(d: ActiveDeployment, masterKey: MasterKey): ApiPart {
  const deployment = { apiId: d.apiId, orgId: d.orgId, firstDeployedAt: d.firstDeployedAt };
  try {
    const api = compileApi(d, masterKey);
    return { key: partKey(d), deployment, api, digest: sha256(canonicalJson(api)) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { key: partKey(d), deployment, digest: '', skipped: reason };
  }
}

/** Keys per IdP carried in the snapshot (a JWKS rarely has more than a handful). */
const MAX_SNAPSHOT_IDP_KEYS = 20;

/** The IdP's last good keys for the snapshot entry, so a disk snapshot verifies without the IdP. */
const snapshotJwks = (saved: PersistedKeys | undefined): Pick<SnapshotIdentityProvider, 'jwks'> =>
  saved && saved.jwks.keys.length > 0 ? { jwks: { keys: saved.jwks.keys.slice(0, MAX_SNAPSHOT_IDP_KEYS), fetchedAt: new Date(saved.fetchedAt).toISOString() } } : {};

/** Keys read from a key cache, per IdP, as of the cache entry's `fetchedAt` (re-read only after the cache fetched or loaded keys). */
const cacheReads = new WeakMap<IdpKeyCache, Map<string, { jwksUri: string; fetchedAt: number; keys: PersistedKeys }>>();

/**
 * The IdP's last good keys as the key cache holds them (no database read).
 * Keys older than the 24 h staleness bound are left out (the cache would
 * refetch them before using them, and refuse them if that fails).
 */
async function cachedKeys(cache: IdpKeyCache, idp: { id: string; name: string; jwksUri: string }, now: number): Promise<PersistedKeys | undefined> {
  let reads = cacheReads.get(cache);
  if (!reads) cacheReads.set(cache, (reads = new Map()));
  const status = cache.status(idp.id);
  if (status?.fetchedAt === undefined || status.jwksUri !== idp.jwksUri) {
    reads.delete(idp.id);
    return undefined;
  }
  if (now - status.fetchedAt > KEY_CACHE_DEFAULTS.maxStaleMs) return undefined;
  const read = reads.get(idp.id);
  if (read && read.fetchedAt === status.fetchedAt && read.jwksUri === status.jwksUri) return read.keys;
  const found = await cache.keysFor(idp, undefined);
  if (!found.ok) return undefined;
  const keys: PersistedKeys = { jwks: { keys: found.keys.map((k) => k.jwk) }, fetchedAt: status.fetchedAt };
  reads.set(idp.id, { jwksUri: status.jwksUri, fetchedAt: status.fetchedAt, keys });
  return keys;
}

/**
 * The digest counts an IdP's key fetch time only in steps of this size: the
 * key cache refetches every 10 minutes and saves an unchanged key set again
 * every hour, and neither should move the snapshot. The disk copy's
 * `fetchedAt` (which bounds the 24 h staleness rule for a gateway started
 * from it) thus lags the last fetch by at most this much.
 */
const KEYS_FETCHED_STEP_MS = 6 * 60 * 60_000;

/** The IdP entries as the digest sees them: `jwks.fetchedAt` coarsened to `KEYS_FETCHED_STEP_MS`. */
const digestedIdps = (idps: SnapshotIdentityProvider[]): unknown[] => idps.map(({ jwks, ...settings }) =>
  (jwks ? { ...settings, jwks: { keys: jwks.keys, fetchedStep: Math.floor(Date.parse(jwks.fetchedAt) / KEYS_FETCHED_STEP_MS) } } : settings));

async function compileOrgWide(options: CompileOptions, environment: string): Promise<OrgWideParts> {
  const { store, clock } = options;
  const out: OrgWideParts = { builtin: {}, external: [], identityProviders: [], revokedTokens: [], idpConfigs: new Map() };
  const idpKeys = options.idpKeys ? undefined : await store.identityProviders.allKeys();
  for (const org of await store.orgs.all()) {
    const env = await store.orgs.environment(org.id, environment);
    if (!env) continue;
    for (const c of await store.credentials.forOrgEnvironment(org.id, env.id)) {
      if (c.kind === 'builtin' && c.clientId) out.builtin[c.clientId] = c.applicationId;
      if (c.kind === 'external' && c.idpId && c.externalClientId) out.external.push({ idpId: c.idpId, externalClientId: c.externalClientId, appId: c.applicationId });
    }
    for (const idp of await store.identityProviders.list(org.id)) {
      const issuer = idp.issuer ?? idp.issuerTemplate;
      if (!issuer) continue;
      out.idpConfigs.set(idp.id, idp);
      out.identityProviders.push({
        id: idp.id, orgId: org.id, name: idp.name, issuer, jwksUri: idp.jwksUri, audiences: idp.audiences,
        clientIdClaim: idp.clientIdClaims[0] ?? 'client_id', clientIdClaims: idp.clientIdClaims.length > 0 ? idp.clientIdClaims : ['client_id'], clockSkewSeconds: idp.clockSkew,
        subjectClaim: idp.subjectClaim, maxTokenAge: idp.maxTokenAge, tokenTyping: idp.tokenTyping,
        ...(idp.issuerTemplate !== null && { issuerTemplate: idp.issuerTemplate, allowedTenantIds: idp.allowedTenantIds }),
        ...snapshotJwks(options.idpKeys ? await cachedKeys(options.idpKeys, { id: idp.id, name: idp.name, jwksUri: idp.jwksUri }, clock.now()) : idpKeys!.get(idp.id)),
      });
    }
    for (const r of await store.revocations.active(org.id, environment)) {
      out.revokedTokens.push({ jti: r.jti, exp: Math.ceil(Date.parse(r.expiresAt) / 1000) });
    }
  }
  return out;
}

/** `ordered` without `removed` and with `added` in snapshot order: a redeploy does not sort every API again. */
function placed(ordered: ApiPart[], removed: ReadonlySet<ApiPart>, added: readonly ApiPart[]): ApiPart[] {
  const out = removed.size > 0 ? ordered.filter((p) => !removed.has(p)) : ordered.slice();
  for (const part of added) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byFirstDeployment(out[mid]!.deployment, part.deployment) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, part);
  }
  return out;
}

/** One environment's snapshot, compiled part by part (see the top of this file). */
export class EnvironmentCompiler {
  private parts = new Map<string, ApiPart>();
  /** `parts` in snapshot order (by first deployment), rebuilt when a part came or went. */
  private ordered: ApiPart[] | undefined;
  private subscriptionRows: { applicationId: string; apiId: string }[] = [];
  private orgWide: OrgWideParts | undefined;
  private keys: SnapshotJwk[] = [];
  private dirty: Dirty = everythingDirty();

  constructor(private readonly options: Omit<CompileOptions, 'environment'>, readonly environment: string) {}

  /** What committed changes touched; compiled at the next `compile`. */
  mark(changes: readonly Change[]): void {
    const d = this.dirty;
    for (const c of changes) {
      switch (c.kind) {
        case 'api': d.apis.add(c.apiId); break;
        case 'organization': d.orgs.add(c.orgId); d.orgWide = true; break;
        case 'subscriptions': d.subscriptions = true; break;
        case 'credentials': case 'identityProviders': case 'revocations': d.orgWide = true; break;
        case 'signingKeys': d.keys = true; break;
        case 'everything': this.dirty = everythingDirty(); return;
      }
    }
  }

  /** Re-read what changes with time alone (revocations expiring, keys leaving the JWKS, IdP keys refreshed). */
  markTimed(): void {
    this.dirty.orgWide = true;
    this.dirty.keys = true;
  }

  /** Re-read everything (parts whose deployment did not change are kept). */
  markAll(): void {
    this.dirty = everythingDirty();
  }

  get pending(): boolean {
    const d = this.dirty;
    return d.all || d.apis.size > 0 || d.orgs.size > 0 || d.subscriptions || d.orgWide || d.keys;
  }

  async compile(): Promise<CompiledRuntime> {
    const d = this.dirty;
    this.dirty = nothingDirty();
    try {
      await this.update(d);
    } catch (error) {
      // Marks that arrived meanwhile are kept; what this compile did not finish is compiled next time.
      this.mark([{ kind: 'everything' }]);
      throw error;
    }
    return this.assemble();
  }

  private async update(d: Dirty): Promise<void> {
    const { store, masterKey, clock } = this.options;
    if (d.all || d.apis.size > 0 || d.orgs.size > 0) {
      const only = d.all ? undefined : { apiIds: [...d.apis], orgIds: [...d.orgs] };
      const deployments = await store.deployments.activeInEnvironment(this.environment, only);
      const next = d.all ? new Map<string, ApiPart>() : this.parts;
      const removed = new Set<ApiPart>();
      if (only) {
        const touched = (apiId: string, part: ApiPart) => d.apis.has(apiId) || d.orgs.has(part.deployment.orgId);
        // One organization's change scans every part; one API's looks up that API only.
        const candidates = d.orgs.size > 0 ? [...next] : [...d.apis].flatMap((id) => (next.has(id) ? [[id, next.get(id)!] as const] : []));
        for (const [apiId, part] of candidates) if (touched(apiId, part)) { next.delete(apiId); removed.add(part); }
      }
      const added: ApiPart[] = [];
      for (const deployment of deployments) {
        const old = this.parts.get(deployment.apiId) ?? [...removed].find((p) => p.deployment.apiId === deployment.apiId);
        const part = old && old.key === partKey(deployment) ? old : compilePart(deployment, masterKey);
        next.set(deployment.apiId, part);
        if (removed.has(part)) removed.delete(part);
        else added.push(part);
      }
      this.parts = next;
      this.ordered = d.all || !this.ordered ? undefined : placed(this.ordered, removed, added);
    }
    if (d.all || d.subscriptions) this.subscriptionRows = (await store.subscriptions.all()).map((s) => ({ applicationId: s.applicationId, apiId: s.apiId }));
    if (d.all || d.orgWide || !this.orgWide) this.orgWide = await compileOrgWide({ ...this.options, environment: this.environment }, this.environment);
    if (d.all || d.keys) {
      this.keys = (await store.signingKeys.published(isoNow(clock))).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg }) as SnapshotJwk);
    }
  }

  private assemble(): CompiledRuntime {
    const { masterKey, clock, issuer } = this.options;
    const environment = this.environment;
    this.ordered ??= [...this.parts.values()].sort((a, b) => byFirstDeployment(a.deployment, b.deployment));
    const served = this.ordered.filter((p) => p.api);
    const skipped = this.ordered.filter((p) => p.skipped !== undefined).map((p) => ({ apiId: p.deployment.apiId, orgId: p.deployment.orgId, reason: p.skipped! }));
    const servedIds = new Set(served.map((p) => p.deployment.apiId));
    const subscriptions: Record<string, string[]> = {};
    for (const s of this.subscriptionRows) if (servedIds.has(s.apiId)) (subscriptions[s.applicationId] ??= []).push(s.apiId);
    const { builtin, external, identityProviders, revokedTokens, idpConfigs } = this.orgWide!;
    const rest = { format: SNAPSHOT_FORMAT, environment, issuer, keys: this.keys, subscriptions, clients: { builtin, external }, revokedTokens };
    const digest = sha256(`${canonicalJson({ ...rest, identityProviders: digestedIdps(identityProviders) })}\n${served.map((p) => p.digest).join('\n')}`);
    const nowIso = isoNow(clock);
    let snapshot: GatewaySnapshot | undefined;
    return {
      // Sealing encrypts afresh; done once per API part, when someone first needs it.
      get snapshot() {
        return (snapshot ??= { ...rest, identityProviders, version: 0, generatedAt: nowIso, apis: served.map((p) => (p.sealed ??= sealSecrets([p.api!], masterKey)[0]!)) });
      },
      digest, skipped, idpConfigs,
    };
  }
}

/** Compiles an environment's snapshot from scratch (the publisher keeps an `EnvironmentCompiler` per environment instead). */
export async function compileRuntimeSnapshot(options: CompileOptions): Promise<CompiledRuntime> {
  return new EnvironmentCompiler(options, options.environment).compile();
}
