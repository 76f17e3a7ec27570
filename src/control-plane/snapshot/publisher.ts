import type { GatewaySnapshot } from '../../gateway/index.js';
import type { Clock } from '../../shared/clock.js';
import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { IdpVerificationConfig } from '../../shared/idp-keys/types.js';
import type { MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { ChangeFeed, Store } from '../../store/index.js';
import { EnvironmentCompiler } from './environment.js';

/** What the publisher pushes snapshots into (a gateway listener). */
export interface SnapshotTarget {
  setSnapshot(snapshot: GatewaySnapshot): Promise<void>;
}

export interface RuntimePublisherOptions {
  store: Store;
  masterKey: MasterKey;
  issuer: string;
  clock: Clock;
  logger: Logger;
  /** The IdP key cache: snapshots take each IdP's last good keys from it instead of reading every saved key set from the store. */
  idpKeys?: IdpKeyCache;
  /**
   * The change feed to follow (the store's): committed changes recompile what they touched and
   * push it. Without it, snapshots are compiled only by `compile` and `refresh`.
   */
  changes?: ChangeFeed;
  /** Changes arriving within this window are compiled once (default 5 ms: a burst of writes, not a wait). */
  debounceMs?: number;
  /**
   * How often what changes with time alone is re-read (default 60 s; 0: never):
   * revocations expiring, signing keys leaving the JWKS, IdP keys refreshed. The
   * rest is recompiled only when the store's change feed says it changed, and
   * only the part it touched.
   */
  pollMs?: number;
}

interface EnvironmentState {
  compiler: EnvironmentCompiler;
  digest: string | undefined;
  /** The snapshot of that digest, as handed out (same object until the content changes). */
  snapshot?: GatewaySnapshot;
  version: number;
  targets: SnapshotTarget[];
}

/**
 * Compiles each environment's snapshot and pushes it to that environment's
 * in-process gateways when its content changed. It subscribes to the store's
 * change feed: nothing changed, nothing compiled; a change recompiles only the
 * parts it touched (see `EnvironmentCompiler`). Versions increase per
 * environment (at least the compile time in ms, so a restarted publisher
 * does not go backwards).
 */
export class RuntimePublisher {
  private readonly environments = new Map<string, EnvironmentState>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly unsubscribe: () => void;
  /** Full IdP settings from the latest compile (IdPs belong to organizations, not environments). */
  readonly identityProviders = new Map<string, IdpVerificationConfig>();

  constructor(private readonly options: RuntimePublisherOptions) {
    this.unsubscribe =
      options.changes?.subscribe(({ changes }) => {
        for (const s of this.environments.values()) s.compiler.mark(changes);
        this.notify();
      }) ?? (() => {});
    const pollMs = options.pollMs ?? 60_000;
    if (pollMs > 0) {
      this.poller = setInterval(() => this.rereadTimed(), pollMs);
      this.poller.unref();
    }
  }

  /** Re-reads what changes with time alone (the `pollMs` timer's work): published soon if it changed. */
  rereadTimed(): void {
    for (const s of this.environments.values()) s.compiler.markTimed();
    this.schedule(0);
  }

  private state(environment: string): EnvironmentState {
    let s = this.environments.get(environment);
    if (!s) this.environments.set(environment, (s = { compiler: new EnvironmentCompiler(this.options, environment), digest: undefined, version: 0, targets: [] }));
    return s;
  }

  /** Compiles the environment's current snapshot, checking every part; the version moves only when the content did. */
  async compile(environment: string): Promise<GatewaySnapshot> {
    this.state(environment).compiler.markAll();
    return this.compileChanged(environment);
  }

  /** Compiles what changed since the last compile (nothing read when nothing changed). */
  private async compileChanged(environment: string): Promise<GatewaySnapshot> {
    const s = this.state(environment);
    if (!s.compiler.pending && s.snapshot) return s.snapshot;
    const compiled = await s.compiler.compile();
    for (const [id, config] of compiled.idpConfigs) this.identityProviders.set(id, config);
    if (compiled.digest !== s.digest || !s.snapshot) {
      s.digest = compiled.digest;
      s.version = Math.max(s.version + 1, this.options.clock.now());
      s.snapshot = { ...compiled.snapshot, version: s.version };
      for (const skip of compiled.skipped) {
        this.options.logger.error({ environment, apiId: skip.apiId, orgId: skip.orgId, reason: skip.reason, version: s.version }, 'deployment left out of the gateway snapshot');
      }
    }
    return s.snapshot;
  }

  /** A snapshot source for a gateway of `environment` (its `load()` compiles). */
  source(environment: string): { load(): Promise<GatewaySnapshot> } {
    return { load: () => this.compile(environment) };
  }

  /** Pushes future snapshots of `environment` into `target`. */
  attach(environment: string, target: SnapshotTarget): void {
    const s = this.state(environment);
    s.targets.push(target);
    // A change that came between the target's first snapshot and now found no target to push to: publish it now.
    if (s.compiler.pending) this.notify();
  }

  /** Something gateways must see changed (a batch on the change feed): recompile soon, once for a burst of changes. */
  notify(): void {
    this.schedule(this.options.debounceMs ?? 5);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.publishAll());
    }, delayMs);
  }

  /** Recompiles every attached environment now, checking every part, and pushes changed snapshots; resolves when they are in place. */
  async refresh(): Promise<void> {
    for (const s of this.environments.values()) s.compiler.markAll();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running = this.running.then(() => this.publishAll());
    return this.running;
  }

  private async publishAll(): Promise<void> {
    for (const [environment, s] of this.environments) {
      if (this.closed || s.targets.length === 0) continue;
      try {
        const before = s.digest;
        const snapshot = await this.compileChanged(environment);
        if (s.digest === before) continue;
        // Every target at once: one gateway's disk write does not hold back the next.
        await Promise.all(
          s.targets.map((target) =>
            target.setSnapshot(snapshot).catch((error: Error) => {
              this.options.logger.error({ environment, version: snapshot.version, err: { message: error.message } }, 'gateway refused the new snapshot; it keeps serving the previous one');
            }),
          ),
        );
      } catch (error) {
        this.options.logger.error({ environment, err: { message: (error as Error).message } }, 'could not compile the gateway snapshot; gateways keep serving the previous one');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    await this.running;
  }
}
