/** `drawbridge gateway`: one gateway listener against the database, loaded only when that command runs. */
import { openClusterServices } from '../cluster-services.js';
import { externalTokenVerifier, primeKeysFromSnapshot, snapshotIdpConfigs } from '../gateway/index.js';
import { RuntimePublisher } from '../control-plane/snapshot/publisher.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { readSnapshotFile, snapshotFile } from '../gateway/holder.js';
import type { GatewaySnapshot } from '../gateway/snapshot.js';
import { systemClock } from '../shared/clock.js';
import type { Config } from '../shared/config.js';
import { MasterKey } from '../shared/crypto.js';
import { egressPolicy } from '../shared/egress.js';
import { ConfigError } from '../shared/errors.js';
import type { IdpVerificationConfig } from '../shared/idp-keys/types.js';
import { createIdpKeyCache, primeFromPersistence } from '../shared/idp-keys/runtime.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openStore, type OpenStore } from '../store/index.js';
import { ChangeRelay } from '../store/change-feed.js';

export interface StandaloneGateway {
  gateway: Gateway;
  close(): Promise<void>;
}

/**
 * One gateway listener alone against the database: it compiles its
 * environment's snapshot from the store, recompiles when a control-plane node
 * announces a change (PostgreSQL LISTEN/NOTIFY) and also polls (`pollMs`), and
 * swaps when the content changed. When the database cannot be reached it
 * serves the last snapshot saved on disk and keeps retrying.
 *
 * The IdP key cache works as the platform's does: once the store is reached
 * it loads the last good keys saved there, saves new ones back (in the
 * background, when they changed) and refreshes every IdP's keys in the
 * background. Started from the disk snapshot, it takes each IdP's settings
 * and last good keys from that snapshot, so direct external tokens verify
 * with the configured rules even while the database and the IdP are down.
 */
export async function runStandaloneGateway(config: Config, environment: string, options: { port?: number; pollMs?: number; logger?: Logger; workerId?: number } = {}): Promise<StandaloneGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = systemClock;
  const masterKey = MasterKey.load(config.masterKey, config.masterKeyFile);
  const port = options.port ?? config.gateways.find((g) => g.environment === environment)?.port;
  if (port === undefined) throw new ConfigError('--port', `no port configured for environment "${environment}" in DRAWBRIDGE_GATEWAYS; pass --port`);

  let opened: OpenStore | undefined;
  let publisher: RuntimePublisher | undefined;
  let relay: ChangeRelay | undefined;
  // Keys are saved through whichever store connection is open (none while the database is down).
  const idpKeys = createIdpKeyCache({
    allowPrivate: config.allowPrivateIdpUrls,
    clock,
    logger,
    persistence: {
      saveKeys: async (idpId, keys) => {
        if (!opened) throw new Error('the database cannot be reached; the keys are saved after the next fetch');
        await opened.store.identityProviders.saveKeys(idpId, keys);
      },
    },
  });
  idpKeys.start();
  // With DRAWBRIDGE_REDIS_URL, outbound tokens are shared with the rest of the cluster.
  const cluster = await openClusterServices(config, logger, clock);

  // The database is opened on first use and again after a failure, so a gateway started while it is down comes up from disk.
  const compile = async (): Promise<GatewaySnapshot> => {
    if (!publisher) {
      const store = await openStore(config.databaseUrl, clock, { logger });
      try {
        await primeFromPersistence(idpKeys, store.store.identityProviders);
      } catch (error) {
        await store.close().catch(() => {});
        throw error;
      }
      opened = store;
      // Changes the control-plane nodes commit arrive at once (NOTIFY, then the change log); the poll is the fallback.
      relay = new ChangeRelay(store.store.kysely, store.store.changes, {
        postgresUrl: store.store.dialect === 'postgres' ? config.databaseUrl : undefined,
        pollMs: options.pollMs ?? 2000,
        logger,
      });
      await relay.start();
      publisher = new RuntimePublisher({ store: store.store, masterKey, issuer: config.publicUrl, clock, logger, idpKeys, changes: store.store.changes });
      if (gateway) publisher.attach(environment, gateway);
    }
    return publisher.compile(environment);
  };

  // IdP settings from the disk snapshot, used only until the store answers.
  let fromDisk = new Map<string, IdpVerificationConfig>();
  const externalVerifier = externalTokenVerifier(idpKeys, clock, (id) => (publisher ? publisher.identityProviders.get(id) : fromDisk.get(id)));

  let gateway: Gateway | undefined;
  gateway = await startGateway({
    environment,
    port,
    host: config.gatewayHost,
    logger: logger.child({ gateway: environment }),
    clock,
    snapshotSource: { load: compile },
    dataDir: config.dataDir,
    masterKey,
    externalVerifier,
    reloadIntervalMs: options.pollMs ?? 2000,
    forwardedProto: config.gatewayForwardedProto,
    trustedProxies: config.gatewayTrustedProxies,
    metricsAllow: config.gatewayMetricsAllow,
    egress: egressPolicy(config),
    drainMs: config.gatewayDrainMs,
    workerId: options.workerId,
    shared: cluster.gatewayShared,
  });
  publisher?.attach(environment, gateway);
  if (!publisher && gateway.status().snapshot?.source === 'disk') {
    const saved = await readSnapshotFile(snapshotFile(config.dataDir, environment)).catch(() => undefined);
    if (saved) {
      fromDisk = snapshotIdpConfigs(saved);
      primeKeysFromSnapshot(idpKeys, saved);
    }
  }
  const started = gateway;
  return {
    gateway: started,
    async close() {
      await relay?.close();
      await publisher?.close();
      await started.close();
      await idpKeys.stop();
      await opened?.close();
      await cluster.close();
    },
  };
}
