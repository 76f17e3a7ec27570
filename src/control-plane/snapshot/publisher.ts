import type { GatewaySnapshot } from '../../gateway/snapshot.js';
import type { Clock } from '../../shared/clock.js';
import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { IdpVerificationConfig } from '../../shared/idp-keys/types.js';
import type { MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/index.js';
import { compileRuntimeSnapshot } from './compile.js';

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
  /** Changes arriving within this window are compiled once (default 50 ms). */
  debounceMs?: number;
  /**
   * Recompile this often even without a change notice (default 2 s; 0: never),
   * so changes made elsewhere (another node, revocations, key rotation, time
   * passing) reach the gateways.
   */
  pollMs?: number;
}

interface EnvironmentState {
  digest: string | undefined;
  /** The snapshot of that digest, as handed out (same object until the content changes). */
  snapshot?: GatewaySnapshot;
  version: number;
  targets: SnapshotTarget[];
}

/**
 * Compiles each environment's snapshot and pushes it to that environment's
 * in-process gateways when its content changed. Versions increase per
 * environment (at least the compile time in ms, so a restarted publisher
 * does not go backwards).
 */
export class RuntimePublisher {
  private readonly environments = new Map<string, EnvironmentState>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  /** Full IdP settings from the latest compile (IdPs belong to organizations, not environments). */
  readonly identityProviders = new Map<string, IdpVerificationConfig>();

  constructor(private readonly options: RuntimePublisherOptions) {
    const pollMs = options.pollMs ?? 2000;
    if (pollMs > 0) {
      this.poller = setInterval(() => this.schedule(0), pollMs);
      this.poller.unref();
    }
  }

  private state(environment: string): EnvironmentState {
    let s = this.environments.get(environment);
    if (!s) this.environments.set(environment, (s = { digest: undefined, version: 0, targets: [] }));
    return s;
  }

  /** Compiles the environment's current snapshot; the version moves only when the content did. */
  async compile(environment: string): Promise<GatewaySnapshot> {
    const compiled = await compileRuntimeSnapshot({ ...this.options, environment });
    for (const [id, config] of compiled.idpConfigs) this.identityProviders.set(id, config);
    const s = this.state(environment);
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
    this.state(environment).targets.push(target);
  }

  /** Something gateways must see changed (the `onRuntimeChange` hook): recompile soon, once for a burst of changes. */
  notify(): void {
    this.schedule(this.options.debounceMs ?? 50);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.running.then(() => this.publishAll());
    }, delayMs);
  }

  /** Recompiles every attached environment now and pushes changed snapshots; resolves when they are in place. */
  async refresh(): Promise<void> {
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
        const snapshot = await this.compile(environment);
        if (s.digest === before) continue;
        for (const target of s.targets) {
          await target.setSnapshot(snapshot).catch((error: Error) => {
            this.options.logger.error({ environment, version: snapshot.version, err: { message: error.message } }, 'gateway refused the new snapshot; it keeps serving the previous one');
          });
        }
      } catch (error) {
        this.options.logger.error({ environment, err: { message: (error as Error).message } }, 'could not compile the gateway snapshot; gateways keep serving the previous one');
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    await this.running;
  }
}
