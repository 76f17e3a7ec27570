import { startGateway, type Gateway } from '../../gateway/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import { egressPolicy, registerEgressPolicy, type EgressPolicy } from '../../shared/egress.js';
import type { IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/index.js';
import { externalTokenVerifier } from '../../gateway/index.js';
import { RuntimePublisher } from './publisher.js';

export interface RuntimeGateways {
  publisher: RuntimePublisher;
  /** The egress policy every gateway connects with (and deploys are checked against); add the control plane's bound port to it. */
  egress: EgressPolicy;
  /** One listener per configured environment (`config.gateways`), in configuration order. */
  gateways: Gateway[];
  gateway(environment: string): Gateway | undefined;
  close(): Promise<void>;
}

/**
 * The single-process default: one gateway listener per configured
 * environment, each loading its snapshot from the compiler at start and
 * receiving new ones from the publisher as soon as they change.
 */
export async function startRuntimeGateways(options: {
  config: Config;
  store: Store;
  masterKey: MasterKey;
  clock: Clock;
  logger: Logger;
  /** The platform's IdP key cache: with it, gateways accept direct tokens from organizations' IdPs. */
  idpKeys?: IdpKeyCache;
  /** Seeds of the gateways' `PolicyDeps.shared` (the platform's cluster caches). */
  shared?: Readonly<Record<string, unknown>>;
  /**
   * Listeners already serving (from their disk snapshots, while the database could not be
   * reached at start) and the egress policy they were started with: attached to the publisher
   * instead of started, and given their first live snapshot before this resolves. They are
   * listed in `gateways` but `close()` leaves them to their owner.
   */
  serving?: { gateways: Gateway[]; egress: EgressPolicy };
}): Promise<RuntimeGateways> {
  const { config, store, masterKey, clock, logger, serving } = options;
  // The platform's own listeners are refused as backends in production; ports bound as 0 are added as they bind.
  const egress = serving?.egress ?? egressPolicy(config);
  registerEgressPolicy(store, egress);
  const publisher = new RuntimePublisher({ store, masterKey, issuer: config.publicUrl, clock, logger, idpKeys: options.idpKeys, changes: store.changes });
  const externalVerifier = options.idpKeys && externalTokenVerifier(options.idpKeys, clock, (id) => publisher.identityProviders.get(id));
  const gateways: Gateway[] = [];
  const close = async () => {
    await publisher.close();
    for (const gw of gateways) if (!serving?.gateways.includes(gw)) await gw.close();
  };
  if (serving) {
    try {
      for (const gw of serving.gateways) {
        await gw.setSnapshot(await publisher.compile(gw.environment));
        gateways.push(gw);
        publisher.attach(gw.environment, gw);
      }
    } catch (error) {
      await close().catch(() => {});
      throw error;
    }
    return { publisher, egress, gateways, gateway: (environment) => gateways.find((g) => g.environment === environment), close };
  }
  try {
    // With gateway workers (DRAWBRIDGE_GATEWAY_WORKERS > 1) the listeners run in worker processes instead (gateway/workers.ts).
    for (const listener of config.gatewayWorkers > 1 ? [] : config.gateways) {
      const gw = await startGateway({
        environment: listener.environment,
        port: listener.port,
        host: config.gatewayHost,
        logger: logger.child({ gateway: listener.environment }),
        clock,
        snapshotSource: publisher.source(listener.environment),
        dataDir: config.dataDir,
        masterKey,
        externalVerifier,
        forwardedProto: config.gatewayForwardedProto,
        trustedProxies: config.gatewayTrustedProxies,
        metricsAllow: config.gatewayMetricsAllow,
        egress,
        drainMs: config.gatewayDrainMs,
        shared: options.shared,
      });
      gateways.push(gw);
      publisher.attach(listener.environment, gw);
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { publisher, egress, gateways, gateway: (environment) => gateways.find((g) => g.environment === environment), close };
}
