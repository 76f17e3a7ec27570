/**
 * The listener: settings checked once, the snapshot loaded (source, else the
 * disk copy), the HTTP server bound, and its drain on close. Requests go to
 * `handle.ts`; the steps are in `pipeline/`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, BlockList } from 'node:net';
import { isoNow, systemClock } from '../shared/clock.js';
import { ANY_ADDRESS, PRIVATE_NETWORKS, addressList } from '../shared/address-list.js';
import { ConfigError } from '../shared/errors.js';
import { AccessLog } from './access-log.js';
import { compileSnapshot } from './compile.js';
import { handle } from './handle.js';
import { readSnapshotFile, snapshotFile, SnapshotHolder, type SnapshotOrigin } from './holder.js';
import { GATEWAY_METRICS_KEY, GatewayMetrics } from './metrics.js';
import { statusOf } from './ops.js';
import { DEFAULT_DRAIN_MS, DEFAULT_LIMITS, type Gateway, type GatewayOptions } from './options.js';
import { Pools } from './proxy.js';
import { SEALED_SECRET_CONTEXT, type GatewaySnapshot } from './snapshot.js';
import { peerTrusted, type GatewayState, type MarkedSocket, TRUSTED_PEER } from './state.js';
import { TokenCache } from './tokens.js';

/** While the snapshot source stays away, how often its warning is repeated (with the count of failed attempts). */
const SOURCE_DOWN_REMINDER_MS = 5 * 60_000;

export type { Gateway, GatewayOptions } from './options.js';

export interface ListenerSettings {
  trusted: BlockList | undefined;
  metricsAllowed: BlockList | undefined;
  proto: 'http' | 'https';
  drainMs: number;
}

/** Settings are checked before anything is opened: a bad one rejects the start with a `ConfigError` naming it. */
function listenerSettings(options: GatewayOptions): ListenerSettings {
  const trusted = options.trustedProxies && options.trustedProxies.length > 0 ? addressList(options.trustedProxies, 'trustedProxies') : undefined;
  const metricsAllow = options.metricsAllow ?? PRIVATE_NETWORKS;
  const metricsAllowed = metricsAllow.join() === ANY_ADDRESS ? undefined : addressList(metricsAllow, 'metricsAllow');
  const proto = options.forwardedProto ?? 'http';
  if (proto !== 'http' && proto !== 'https') throw new ConfigError('forwardedProto', `must be http or https, got ${JSON.stringify(proto)}`);
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  if (!Number.isInteger(drainMs) || drainMs < 0) throw new ConfigError('drainMs', `must be a whole number of milliseconds, 0 or more, got ${JSON.stringify(drainMs)}`);
  return { trusted, metricsAllowed, proto, drainMs };
}

/** The URL a client on this machine reaches a bound listener at. */
function boundUrl(address: string, port: number): string {
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

/**
 * Starts one gateway listener for one environment. The snapshot comes from
 * `snapshotSource` at start (or, when that fails, from the last good one on
 * disk, reported as `source: "disk"`), then from `setSnapshot`.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const environment = options.environment;
  const logger = options.logger;
  const settings = listenerSettings(options);
  const metrics = new GatewayMetrics(environment);
  const file = options.dataDir ? snapshotFile(options.dataDir, environment) : undefined;
  const sharedObjects = new Map<string, unknown>([[GATEWAY_METRICS_KEY, metrics], ...Object.entries(options.shared ?? {})]);
  // What policies created here (e.g. the outbound token manager's connection pool) closes with the listener; seeds belong to the platform.
  const ownedClosers: (() => unknown)[] = [];
  const workerId = options.workerId === undefined ? undefined : String(options.workerId);
  const gw: GatewayState = {
    environment,
    clock,
    logger,
    metrics,
    accessLog: new AccessLog(logger.child(workerId === undefined ? { env: environment } : { env: environment, worker: options.workerId }, { redact: [] })),
    holder: new SnapshotHolder(file, logger),
    pools: new Pools(options.limits?.connectionsPerOrigin ?? DEFAULT_LIMITS.connectionsPerOrigin, options.egress),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    externalVerifier: options.externalVerifier,
    proto: settings.proto,
    trusted: settings.trusted,
    metricsAllowed: settings.metricsAllowed,
    cache: new TokenCache(clock),
    cacheFingerprint: '',
    verifying: new Map(),
    failureLog: new Map(),
    workerId,
  };
  const masterKey = options.masterKey;

  const apply = (snapshot: GatewaySnapshot, origin: SnapshotOrigin): Promise<void> => {
    const compiled = compileSnapshot(snapshot, {
      environment,
      clock,
      logger,
      shared: <T>(key: string, create: () => T): T => {
        if (!sharedObjects.has(key)) {
          const created = create();
          sharedObjects.set(key, created);
          if (typeof (created as { close?: unknown } | undefined)?.close === 'function') ownedClosers.push(() => (created as { close(): unknown }).close());
        }
        return sharedObjects.get(key) as T;
      },
      openSecret: masterKey ? (sealed) => masterKey.decrypt(sealed, SEALED_SECRET_CONTEXT) : undefined,
      egress: options.egress,
      previous: gw.holder.current?.compiled,
    });
    // Verified tokens stay valid across snapshots unless the keys or trusted IdPs changed.
    const fingerprint = `${compiled.keys.fingerprint}:${compiled.idpByOrgIssuer.fingerprint()}`;
    if (fingerprint !== gw.cacheFingerprint) {
      gw.cache = new TokenCache(clock);
      gw.cacheFingerprint = fingerprint;
    }
    metrics.snapshotVersion.set({ environment }, compiled.version);
    const written = gw.holder.swap(compiled, origin, isoNow(clock));
    logger.info({ env: environment, version: compiled.version, source: origin, apis: compiled.apis.length }, 'gateway snapshot loaded');
    return written;
  };

  // One warning when the source goes away, a reminder every SOURCE_DOWN_REMINDER_MS while it stays away, one line when it is back:
  // a retry every few seconds must not fill the log during an outage.
  let failedLoads = 0;
  let warnedAt = 0;
  const loadFromSource = async (): Promise<boolean> => {
    if (!options.snapshotSource) return false;
    try {
      await apply(await options.snapshotSource.load(), 'live');
      if (failedLoads > 0) logger.info({ env: environment, failedAttempts: failedLoads }, 'gateway snapshot source reachable again');
      failedLoads = 0;
      return true;
    } catch (error) {
      failedLoads++;
      if (failedLoads === 1 || clock.now() - warnedAt >= SOURCE_DOWN_REMINDER_MS) {
        warnedAt = clock.now();
        logger.warn({ env: environment, failedAttempts: failedLoads, err: { message: (error as Error).message } }, 'gateway snapshot source unavailable');
      }
      return false;
    }
  };

  if (!(await loadFromSource()) && file) {
    try {
      const saved = await readSnapshotFile(file);
      if (saved) await apply(saved, 'disk');
    } catch (error) {
      logger.error({ env: environment, file, err: { message: (error as Error).message } }, 'saved gateway snapshot is unusable');
    }
  }

  let retry: NodeJS.Timeout | undefined;
  if (options.snapshotSource && gw.holder.current?.origin !== 'live') {
    let loading = false;
    retry = setInterval(() => {
      // A silent source can take longer than the interval to fail: one attempt at a time.
      if (loading) return;
      loading = true;
      void loadFromSource().then((ok) => {
        loading = false;
        if (ok && retry) {
          clearInterval(retry);
          retry = undefined;
        }
      });
    }, options.reloadIntervalMs ?? 5_000);
    retry.unref();
  }

  const server: Server = createServer((req, res) => handle(gw, req, res));
  const trusted = gw.trusted;
  // Decided once per connection, not per request: every socket gets the property, so they all keep one shape.
  if (trusted)
    server.on('connection', (socket: MarkedSocket) => {
      socket[TRUSTED_PEER] = peerTrusted(trusted, socket.remoteAddress);
    });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  options.egress?.addOwnPort(port);
  let closed: Promise<void> | undefined;

  return {
    url: boundUrl(address, port),
    port,
    environment,
    metrics,
    setSnapshot(snapshot) {
      try {
        const written = apply(snapshot, 'live');
        if (retry) {
          clearInterval(retry);
          retry = undefined;
        }
        return written;
      } catch (error) {
        logger.error({ env: environment, err: { message: (error as Error).message } }, 'gateway snapshot refused');
        return Promise.reject(error);
      }
    },
    status: () => statusOf(gw),
    close() {
      closed ??= (async () => {
        if (retry) clearInterval(retry);
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Requests in flight get `drainMs` to finish; then the connections still open are cut.
        const timer = setTimeout(() => server.closeAllConnections(), settings.drainMs);
        await done;
        clearTimeout(timer);
        await gw.pools.close();
        await Promise.allSettled(ownedClosers.map(async (close) => close()));
        gw.accessLog.flush();
        await gw.holder.flushed();
      })();
      return closed;
    },
  };
}
