/**
 * `drawbridge gateway --control-plane URL`: a gateway-only node (hybrid mode). It
 * needs no database and no master key: it long-polls the control plane's sync
 * endpoint with its own token, serves the snapshots it receives, keeps the last one
 * on disk (secrets sealed with a key derived from its token) and serves from it
 * while the control plane is away. After the first snapshot it asks for deltas
 * (`have=<id>`): the APIs that did not change stay the same objects, so its
 * gateway compiles, and its disk copy serializes, only the ones that did.
 */
import { openClusterServices } from '../cluster-services.js';
import { externalTokenVerifier, primeKeysFromSnapshot, snapshotIdpConfigs } from '../gateway/index.js';
import { GATEWAY_SYNC_PATH, nodeSealingKey } from '../control-plane/gateway-sync.js';
import { applySnapshotDelta, DELTA_MEDIA_TYPE, DeltaMismatch, SNAPSHOT_ID_HEADER, SNAPSHOT_ID_PATTERN } from '../control-plane/gateway-sync-delta.js';
import { readSnapshotFile, snapshotFile } from '../gateway/holder.js';
import { startGateway, type Gateway, type GatewaySnapshot } from '../gateway/index.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Config } from '../shared/config.js';
import { egressPolicy } from '../shared/egress.js';
import { ConfigError } from '../shared/errors.js';
import type { IdpVerificationConfig } from '../shared/idp-keys/types.js';
import { createIdpKeyCache } from '../shared/idp-keys/runtime.js';
import { createLogger, type Logger } from '../shared/logger.js';

export interface RemoteGatewayOptions {
  /** Base URL of a control plane (`https://…` in production). */
  controlPlaneUrl: string;
  /** The node's token (`DRAWBRIDGE_GATEWAY_TOKEN`, from `POST /api/v1/admin/gateway-nodes`). */
  token: string;
  environment: string;
  port?: number;
  /** Seconds one long poll may wait for a change (the control plane caps it at 60). */
  waitSeconds?: number;
  logger?: Logger;
  clock?: Clock;
  /** In a gateway worker process: its slot number. */
  workerId?: number;
}

export interface RemoteGateway {
  gateway: Gateway;
  close(): Promise<void>;
}

interface Held {
  snapshot: GatewaySnapshot;
  /** Undefined from a control plane that does not name its snapshots (it sends no deltas). */
  id: string | undefined;
}

interface Base {
  snapshot: GatewaySnapshot;
  id: string;
}

class SyncError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function runRemoteGateway(config: Config, options: RemoteGatewayOptions): Promise<RemoteGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const controlPlane = options.controlPlaneUrl.replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(controlPlane)) throw new ConfigError('--control-plane', `must be an http(s) URL, got ${JSON.stringify(options.controlPlaneUrl)}`);
  if (!/^dbg_[A-Za-z0-9_-]{20,100}$/.test(options.token)) throw new ConfigError('DRAWBRIDGE_GATEWAY_TOKEN', 'must be a gateway-node token (dbg_…) from POST /api/v1/admin/gateway-nodes');
  const port = options.port ?? config.gateways.find((g) => g.environment === options.environment)?.port;
  if (port === undefined) throw new ConfigError('--port', `no port configured for environment "${options.environment}" in DRAWBRIDGE_GATEWAYS; pass --port`);
  const waitSeconds = options.waitSeconds ?? 30;

  const idpKeys = createIdpKeyCache({ allowPrivate: config.allowPrivateIdpUrls, clock, logger });
  idpKeys.start();
  // With DRAWBRIDGE_REDIS_URL, outbound tokens are shared with the rest of the cluster.
  const cluster = await openClusterServices(config, logger, clock);
  let idpConfigs = new Map<string, IdpVerificationConfig>();
  const adopt = (snapshot: GatewaySnapshot) => {
    idpConfigs = snapshotIdpConfigs(snapshot);
    primeKeysFromSnapshot(idpKeys, snapshot);
  };

  /** The snapshot the gateway was given last and its id from the control plane: the base deltas apply to. */
  let held: Held | undefined;
  let inFlight: AbortController | undefined;
  const fetchSnapshot = async (after: number, wait: number, base?: Base): Promise<Held | undefined> => {
    inFlight = new AbortController();
    const timer = setTimeout(() => inFlight?.abort(), (wait + 15) * 1000);
    try {
      const have = base ? `&have=${encodeURIComponent(base.id)}` : '';
      const res = await fetch(`${controlPlane}${GATEWAY_SYNC_PATH}?after=${after}&wait=${wait}${have}`, { headers: { authorization: `Bearer ${options.token}` }, signal: inFlight.signal });
      if (res.status === 204) return undefined;
      const body = (await res.json().catch(() => ({}))) as GatewaySnapshot & { message?: string };
      if (res.status !== 200) throw new SyncError(res.status, body.message ?? `HTTP ${res.status}`);
      const id = res.headers.get(SNAPSHOT_ID_HEADER) ?? '';
      const isDelta = res.headers.get('content-type')?.split(';')[0]?.trim() === DELTA_MEDIA_TYPE;
      if (isDelta && !base) throw new DeltaMismatch('a delta came for a request that named no base');
      const snapshot = isDelta ? applySnapshotDelta(base!.snapshot, base!.id, body) : body;
      return { snapshot, id: SNAPSHOT_ID_PATTERN.test(id) ? id : undefined };
    } finally {
      clearTimeout(timer);
    }
  };

  const gateway = await startGateway({
    environment: options.environment,
    port,
    host: config.gatewayHost,
    logger: logger.child({ gateway: options.environment }),
    clock,
    snapshotSource: {
      load: async () => {
        const got = await fetchSnapshot(-1, 0);
        if (!got) throw new Error('no snapshot');
        adopt(got.snapshot);
        held = got;
        return got.snapshot;
      },
    },
    dataDir: config.dataDir,
    masterKey: nodeSealingKey(options.token),
    externalVerifier: externalTokenVerifier(idpKeys, clock, (id) => idpConfigs.get(id)),
    forwardedProto: config.gatewayForwardedProto,
    trustedProxies: config.gatewayTrustedProxies,
    metricsAllow: config.gatewayMetricsAllow,
    egress: egressPolicy(config),
    drainMs: config.gatewayDrainMs,
    workerId: options.workerId,
    shared: cluster.gatewayShared,
  });
  if (gateway.status().snapshot?.source === 'disk') {
    const saved = await readSnapshotFile(snapshotFile(config.dataDir, options.environment)).catch(() => undefined);
    if (saved) adopt(saved);
  }

  /** `held`, while it is what the gateway serves (not a refused snapshot, nor one from disk). */
  const base = (): Base | undefined => {
    const serving = gateway.status().snapshot;
    return held?.id && serving?.source === 'live' && serving.version === held.snapshot.version ? { snapshot: held.snapshot, id: held.id } : undefined;
  };

  // The long poll: each answer is the next snapshot, or what changed since the one held (or nothing new); failures back off up to 10 s.
  let closed = false;
  let lastWarning = 0;
  let full = false;
  const loop = (async () => {
    let backoffMs = 0;
    while (!closed) {
      if (backoffMs) await new Promise((r) => setTimeout(r, backoffMs));
      if (closed) break;
      try {
        // After a delta that did not fit, the full snapshot at once.
        const got = full ? await fetchSnapshot(-1, 0) : await fetchSnapshot(gateway.status().snapshot?.version ?? -1, waitSeconds, base());
        full = false;
        if (got && !closed) {
          adopt(got.snapshot);
          await gateway.setSnapshot(got.snapshot);
          held = got;
        }
        backoffMs = 0;
      } catch (error) {
        if (closed) break;
        if (error instanceof DeltaMismatch && !full) {
          full = true;
          logger.warn({ controlPlane, err: error.message }, 'the snapshot delta does not fit the snapshot held; asking for the full snapshot');
          continue;
        }
        backoffMs = Math.min(10_000, Math.max(500, backoffMs * 2));
        if (clock.now() - lastWarning > 30_000) {
          lastWarning = clock.now();
          const status = error instanceof SyncError ? error.status : undefined;
          logger.warn({ controlPlane, status, err: (error as Error).message }, 'cannot get snapshots from the control plane; serving the last one');
        }
      }
    }
  })();

  return {
    gateway,
    async close() {
      closed = true;
      inFlight?.abort();
      await loop;
      await gateway.close();
      await idpKeys.stop();
      await cluster.close();
    },
  };
}
