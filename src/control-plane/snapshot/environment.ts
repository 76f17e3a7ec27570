// Over 300 lines on purpose: one environment's incremental snapshot state and the steps that patch it belong together.
import { SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotApi, type SnapshotJwk } from '../../gateway/index.js';
import { isoNow, type Clock } from '../../shared/clock.js';
import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { IdpVerificationConfig } from '../../shared/idp-keys/types.js';
import { sha256, type MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { Change, Store } from '../../store/index.js';
import { canonicalJson } from '../../store/repos/apis.js';
import type { ActiveDeployment } from '../../store/repos/deployments.js';
import { byFirstDeployment, compileApi, sealSecrets } from './compile.js';
import { compileOrgWide, digestedIdps, type OrgWideParts } from './org-wide.js';

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

/** Where `part` goes in `ordered` (snapshot order): the first place whose part sorts at or after it. */
function placeOf(ordered: readonly ApiPart[], part: ApiPart): number {
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byFirstDeployment(ordered[mid]!.deployment, part.deployment) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `ordered` without `removed` and with `added` in snapshot order: a redeploy does not sort every API again. */
function placed(ordered: ApiPart[], removed: ReadonlySet<ApiPart>, added: readonly ApiPart[]): ApiPart[] {
  // A redeploy replaces one part by another of the same API, first deployed at the same time: same place.
  if (removed.size === 1 && added.length === 1) {
    const [old] = removed;
    const at = placeOf(ordered, old!);
    if (ordered[at] === old && byFirstDeployment(old!.deployment, added[0]!.deployment) === 0) {
      const out = ordered.slice();
      out[at] = added[0]!;
      return out;
    }
  }
  const out = removed.size > 0 ? ordered.filter((p) => !removed.has(p)) : ordered.slice();
  for (const part of added) out.splice(placeOf(out, part), 0, part);
  return out;
}

/** Served APIs per digest chunk: a redeploy, which leaves every API in its place, rehashes one chunk. */
const DIGEST_CHUNK = 128;

/**
 * The digest of the served parts in order, by chunks of `DIGEST_CHUNK`: a chunk
 * whose parts are the very same as last time keeps its hash. Depends only on
 * the parts' digests and order, so two compilers of the same content agree.
 */
class ServedDigest {
  private parts: readonly ApiPart[] = [];
  private chunks: string[] = [];

  of(served: readonly ApiPart[]): string {
    const chunks: string[] = [];
    for (let start = 0; start < served.length; start += DIGEST_CHUNK) {
      const end = Math.min(start + DIGEST_CHUNK, served.length);
      const c = start / DIGEST_CHUNK;
      let same = this.chunks[c] !== undefined && Math.min(start + DIGEST_CHUNK, this.parts.length) === end;
      for (let i = start; same && i < end; i++) same = served[i] === this.parts[i];
      chunks.push(
        same
          ? this.chunks[c]!
          : sha256(
              served
                .slice(start, end)
                .map((p) => p.digest)
                .join('\n'),
            ),
      );
    }
    this.parts = served;
    this.chunks = chunks;
    return chunks.join('\n');
  }
}

/** Whether the APIs of `removed` and `added` parts, served ones only, differ (a redeploy usually serves the same API again). */
function servedIdsDiffer(removed: ReadonlySet<ApiPart>, added: readonly ApiPart[]): boolean {
  const before = new Map<string, boolean>();
  for (const p of removed) before.set(p.deployment.apiId, p.api !== undefined);
  for (const p of added) {
    if ((before.get(p.deployment.apiId) ?? false) !== (p.api !== undefined)) return true;
    before.delete(p.deployment.apiId);
  }
  for (const served of before.values()) if (served) return true;
  return false;
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
  /** Whether the set of served APIs may have changed since `subscriptions` was made. */
  private servedChanged = true;
  private subscriptions: { rows: unknown; value: Record<string, string[]> } | undefined;
  /** Digest of what is not an API, with what it was made from. */
  private restDigest: { keys: unknown; subscriptions: unknown; orgWide: unknown; value: string } | undefined;
  private readonly servedDigest = new ServedDigest();
  private lastAssembled: { ordered: ApiPart[]; served: ApiPart[]; skipped: CompiledRuntime['skipped'] } | undefined;

  constructor(
    private readonly options: Omit<CompileOptions, 'environment'>,
    readonly environment: string,
  ) {}

  /** What committed changes touched; compiled at the next `compile`. */
  mark(changes: readonly Change[]): void {
    const d = this.dirty;
    for (const c of changes) {
      switch (c.kind) {
        case 'api':
          d.apis.add(c.apiId);
          break;
        case 'organization':
          d.orgs.add(c.orgId);
          d.orgWide = true;
          break;
        case 'subscriptions':
          d.subscriptions = true;
          break;
        case 'credentials':
        case 'identityProviders':
        case 'revocations':
          d.orgWide = true;
          break;
        case 'signingKeys':
          d.keys = true;
          break;
        case 'everything':
          this.dirty = everythingDirty();
          return;
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
        for (const [apiId, part] of candidates)
          if (touched(apiId, part)) {
            next.delete(apiId);
            removed.add(part);
          }
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
      if (d.all || servedIdsDiffer(removed, added)) this.servedChanged = true;
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
    const ordered = (this.ordered ??= [...this.parts.values()].sort((a, b) => byFirstDeployment(a.deployment, b.deployment)));
    if (this.lastAssembled?.ordered !== ordered) {
      this.lastAssembled = {
        ordered,
        served: ordered.filter((p) => p.api),
        skipped: ordered.filter((p) => p.skipped !== undefined).map((p) => ({ apiId: p.deployment.apiId, orgId: p.deployment.orgId, reason: p.skipped! })),
      };
    }
    const { served, skipped } = this.lastAssembled;
    if (this.servedChanged || this.subscriptions?.rows !== this.subscriptionRows) {
      const servedIds = new Set(served.map((p) => p.deployment.apiId));
      const value: Record<string, string[]> = {};
      for (const s of this.subscriptionRows) if (servedIds.has(s.apiId)) (value[s.applicationId] ??= []).push(s.apiId);
      // The same object while its content is the same: the gateway reuses what it built from it.
      this.subscriptions = { rows: this.subscriptionRows, value: this.subscriptions && canonicalJson(this.subscriptions.value) === canonicalJson(value) ? this.subscriptions.value : value };
      this.servedChanged = false;
    }
    const subscriptions = this.subscriptions!.value;
    const { builtin, external, identityProviders, revokedTokens, idpConfigs } = this.orgWide!;
    const rest = { format: SNAPSHOT_FORMAT, environment, issuer, keys: this.keys, subscriptions, clients: { builtin, external }, revokedTokens };
    const r = this.restDigest;
    if (r?.keys !== this.keys || r.subscriptions !== subscriptions || r.orgWide !== this.orgWide) {
      this.restDigest = { keys: this.keys, subscriptions, orgWide: this.orgWide, value: sha256(canonicalJson({ ...rest, identityProviders: digestedIdps(identityProviders) })) };
    }
    const digest = sha256(`${this.restDigest!.value}\n${this.servedDigest.of(served)}`);
    const nowIso = isoNow(clock);
    let snapshot: GatewaySnapshot | undefined;
    return {
      // Sealing encrypts afresh; done once per API part, when someone first needs it.
      get snapshot() {
        return (snapshot ??= { ...rest, identityProviders, version: 0, generatedAt: nowIso, apis: served.map((p) => (p.sealed ??= sealSecrets([p.api!], masterKey)[0]!)) });
      },
      digest,
      skipped,
      idpConfigs,
    };
  }
}

/** Compiles an environment's snapshot from scratch (the publisher keeps an `EnvironmentCompiler` per environment instead). */
export async function compileRuntimeSnapshot(options: CompileOptions): Promise<CompiledRuntime> {
  return new EnvironmentCompiler(options, options.environment).compile();
}
