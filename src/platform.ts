import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './shared/clock.js';
import type { Config } from './shared/config.js';
import { hashPassword, MasterKey, randomToken } from './shared/crypto.js';
import { createLogger, type Logger } from './shared/logger.js';
import { ConfigError } from './shared/errors.js';
import { buildServer, type App } from './control-plane/app.js';
import { webApp } from './control-plane/web.js';
import { gatewaySync, SnapshotFeed } from './control-plane/gateway-sync.js';
import { INSTALLATION_ADMIN, type ControlPlaneDeps } from './control-plane/context.js';
import { isDatabaseUnavailable, isUniqueViolation, openStore, type OpenStore, type Store } from './store/index.js';
import { ChangeRelay } from './store/change-feed.js';
import { openIdpKeyCache, primeFromPersistence } from './shared/idp-keys/runtime.js';
import { KeyRing, tokenService } from './token-service/index.js';
import { startRuntimeGateways, type RuntimeGateways } from './control-plane/snapshot/gateways.js';
import { openClusterServices, type ClusterServices } from './cluster-services.js';
import { databaseRefusal, describeDatabase, safeMessage, startDegraded, type DegradedStart } from './degraded-start.js';
import type { IdpKeyCache } from './shared/idp-keys/cache.js';

export interface PlatformOptions {
  clock?: Clock;
  logger?: Logger;
  /** How often the change log is read without a notification from another node (ms, default 2000; 0: never, so only notified changes arrive). */
  snapshotPollMs?: number;
  /** Store this node's public URL as the installation's token issuer even though another one is stored (see checkIssuer). */
  changeIssuer?: boolean;
  /** Write the first-start banner here (default: stdout). */
  print?: (line: string) => void;
  /**
   * When the (PostgreSQL) database cannot be reached: serve from the gateways' disk snapshots and
   * resolve once the database answered and the start is complete, instead of failing at once
   * (`drawbridge start`). A database that refuses this node (user, password, database name) still fails the start.
   */
  waitForDatabase?: WaitForDatabase;
}

export interface WaitForDatabase {
  /** Aborting gives up waiting: the listeners close and the start rejects with the abort reason. */
  signal?: AbortSignal;
  /** Called once the node serves without its database, its listeners bound. */
  onDegraded?(degraded: DegradedStart): void | Promise<void>;
}

export interface Platform {
  config: Config;
  store: Store;
  app: App;
  deps: ControlPlaneDeps;
  /** Base URL of the control plane as actually bound (port 0 resolved). */
  url: string;
  /** Set on the very first start only, when the password was generated. */
  initialAdminPassword?: string;
  /** Gateway listeners (one per configured environment) and the snapshot publisher feeding them. */
  runtime: RuntimeGateways;
  close(): Promise<void>;
}

/** The bootstrap user's login: the installation administrator (one constant, in control-plane/context.ts). */
export const ADMIN_USERNAME = INSTALLATION_ADMIN;

/**
 * Creates the first user on an empty database. Returns the password when it was generated.
 * Another node starting on the same database at the same moment may win the race: its
 * admin then stands and this call reports `created: false` (the unique email refuses ours).
 */
export async function bootstrapAdmin(store: Store, config: Config): Promise<{ created: boolean; password?: string }> {
  if ((await store.users.count()) > 0) return { created: false };
  const password = config.adminPassword ?? randomToken(18);
  const passwordHash = await hashPassword(password);
  try {
    await store.transaction(async (tx) => {
      const user = await tx.users.create({ email: ADMIN_USERNAME, name: 'Administrator', passwordHash });
      await tx.audit.record({ orgId: null, actorId: null, actor: 'system', action: 'user.created', targetType: 'user', targetId: user.id, details: { email: user.email, bootstrap: true } });
    });
  } catch (error) {
    // Caught outside the transaction: PostgreSQL aborts a transaction on a violation.
    if (isUniqueViolation(error)) return { created: false };
    throw error;
  }
  return { created: true, password: config.adminPassword ? undefined : password };
}

/** The settings key of the installation's token issuer. */
export const ISSUER_SETTING = 'issuer';

/**
 * Every node of an installation must issue and check tokens as one issuer: a node with
 * another public URL would sign tokens the other nodes' gateways refuse. The first start
 * stores its public URL as the installation's issuer; on PostgreSQL (several nodes) a node
 * whose DRAWBRIDGE_PUBLIC_URL differs refuses to start and says what to set, unless it is
 * started to move the installation (`changeIssuer`). On SQLite there is one node, and the
 * stored issuer follows its configuration.
 */
async function checkIssuer(store: Store, config: Config, changeIssuer = false): Promise<void> {
  const stored = await store.settings.claim(ISSUER_SETTING, config.publicUrl);
  if (stored === config.publicUrl) return;
  if (changeIssuer || store.dialect === 'sqlite') {
    await store.settings.put(ISSUER_SETTING, config.publicUrl);
    return;
  }
  throw new ConfigError(
    'DRAWBRIDGE_PUBLIC_URL',
    `must be this installation's token issuer ${stored}, which every node shares (got ${config.publicUrl}). Set DRAWBRIDGE_PUBLIC_URL=${stored} on this node, or, to move the whole installation to the new URL, stop every node and start one with "drawbridge start --change-issuer" (tokens issued before stop working).`,
  );
}

/** Waits for every promise; then rejects with the first failure, if any. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Starts the whole platform in one process: control plane API, token service and gateways. */
export async function startPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  mkdirSync(config.dataDir, { recursive: true });
  const context: BootContext = {
    config,
    options,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? createLogger(config.logLevel),
    print: options.print ?? ((line: string) => process.stdout.write(line + '\n')),
    masterKey: MasterKey.load(config.masterKey, config.masterKeyFile),
  };
  let opened: OpenStore;
  try {
    opened = await openStore(config.databaseUrl, context.clock, { logger: context.logger });
  } catch (error) {
    if (options.waitForDatabase && isDatabaseUnavailable(error)) return startWithoutDatabase(context, options.waitForDatabase, error);
    throw databaseRefusal(error) ?? error;
  }
  return boot(context, opened);
}

interface BootContext {
  config: Config;
  options: PlatformOptions;
  clock: Clock;
  logger: Logger;
  print: (line: string) => void;
  masterKey: MasterKey;
}

/**
 * The database could not be reached: serve from the gateways' disk snapshots (degraded-start.ts)
 * and retry; once it answers, finish the start on the same listeners. Losing the database again
 * before the start is done goes back to waiting.
 */
async function startWithoutDatabase(context: BootContext, wait: WaitForDatabase, firstError: unknown): Promise<Platform> {
  const { config, clock, logger, masterKey, print } = context;
  const degraded = await startDegraded({ config, masterKey, clock, logger, firstError, print });
  try {
    await wait.onDegraded?.(degraded);
    for (;;) {
      const opened = await degraded.connect(wait.signal);
      try {
        return await boot(context, opened, degraded);
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        logger.warn({ err: safeMessage(error, config.databaseUrl) }, 'database lost again while finishing the start; retrying');
      }
    }
  } catch (error) {
    await degraded.close().catch(() => {});
    throw error;
  }
}

/** Everything after the store opened. With `degraded`, its listeners, IdP key cache and cluster services are taken over. */
async function boot(context: BootContext, opened: OpenStore, degraded?: DegradedStart): Promise<Platform> {
  const { config, options, clock, logger, print, masterKey } = context;
  const { store } = opened;
  const closeStore = () => opened.close();
  const closers: (() => Promise<void>)[] = [closeStore];
  try {
    await checkIssuer(store, config, options.changeIssuer);
    let idpKeys: IdpKeyCache;
    let cluster: ClusterServices;
    if (degraded) {
      idpKeys = degraded.idpKeys;
      await primeFromPersistence(idpKeys, store.identityProviders);
      cluster = degraded.cluster;
    } else {
      idpKeys = await openIdpKeyCache({ allowPrivate: config.allowPrivateIdpUrls, clock, logger, persistence: store.identityProviders });
      closers.unshift(async () => idpKeys.stop());
      cluster = await openClusterServices(config, logger, clock);
      closers.push(() => cluster.close()); // after the listeners, which may still use it
    }
    const deps: ControlPlaneDeps = { config, store, clock, logger, masterKey, idpKeys, redis: cluster.redis, signInThrottle: cluster.signInThrottle };
    const keys = await KeyRing.open({ store, masterKey, clock, config });
    // One change feed (store.changes): repositories publish what they changed once it committed;
    // caches and the snapshot publisher subscribe. Other nodes' changes are read from the change
    // log on their NOTIFY (PostgreSQL), or at the poll should a notification be lost.
    const relay = new ChangeRelay(store.kysely, store.changes, {
      postgresUrl: store.dialect === 'postgres' ? config.databaseUrl : undefined,
      pollMs: options.snapshotPollMs ?? 2000,
      logger,
    });
    await relay.start();
    closers.unshift(() => relay.close());
    const runtime = await startRuntimeGateways({
      config,
      store,
      masterKey,
      clock,
      logger,
      idpKeys,
      shared: cluster.gatewayShared,
      serving: degraded && { gateways: degraded.gateways.map((g) => g.gateway), egress: degraded.egress },
    });
    degraded?.connected(store, runtime.publisher.identityProviders);
    const closeRuntime = () => runtime.close();
    closers.unshift(closeRuntime);
    deps.localGatewayUrl = (environment) => runtime.gateway(environment)?.url;
    const app = await buildServer(deps, { mount: [tokenService(deps, keys), gatewaySync(deps, new SnapshotFeed(runtime.publisher)), webApp()], serverFactory: degraded?.serverFactory });
    const closeApp = async () => {
      await app.close();
    };
    closers.unshift(closeApp);
    // Without its database at start, the node listens already: the app answers there from handOver on.
    if (degraded) await app.ready();
    else await app.listen({ port: config.port, host: config.host });
    const { port } = app.server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
    // Only now, with every listener bound, is the first admin created: a start that fails
    // earlier (a port in use) leaves the database without users, so the next start creates
    // the admin and prints its password instead of having created one nobody saw.
    const admin = await bootstrapAdmin(store, config);

    // Every listener (control plane and each gateway) stops accepting at the same moment: closed one
    // after the other, the later ones would keep taking new connections while the first waits for its
    // requests in flight. Each lets its own requests in flight finish; the store closes only after all.
    // (`runtime.close()` afterwards finds the publisher and gateways closed already.)
    closers.splice(closers.indexOf(closeApp), 1);
    closers.splice(closers.indexOf(closeRuntime), 1, async () => {
      await settleAll([app.close(), runtime.publisher.close(), ...runtime.gateways.map((gw) => gw.close()), ...(degraded ? [degraded.closeServer()] : [])]);
      await closeRuntime();
    });
    if (degraded) {
      // As in a normal start: the key cache stops once the listeners drained, just before the store closes.
      closers.splice(closers.indexOf(closeStore), 0, async () => idpKeys.stop());
      closers.push(() => degraded.close());
      degraded.handOver();
      logger.info({ database: describeDatabase(config.databaseUrl) }, 'database reached: the start is complete and the node is ready');
    }

    print(`Drawbridge is running (${config.mode} mode)`);
    print(`  Web console        ${config.publicUrl}/console/`);
    print(`  Developer portal   ${config.publicUrl}/portal/`);
    print(`  Control plane API  ${config.publicUrl}/api/v1   (listening on ${url})`);
    print(`  OpenAPI document   ${config.publicUrl}/api/v1/openapi.json`);
    print(`  Token service      ${config.publicUrl}/.well-known/oauth-authorization-server`);
    print(`  Data folder        ${config.dataDir}`);
    for (const gw of runtime.gateways) print(`  Gateway ${gw.environment.padEnd(11)} ${gw.url}`);
    if (admin.created) {
      print(
        admin.password
          ? `  First start: sign in as "${ADMIN_USERNAME}" with the one-time password ${admin.password}\n  (it is not shown again; change it with POST /api/v1/me/password)`
          : `  First start: sign in as "${ADMIN_USERNAME}" with the password from DRAWBRIDGE_ADMIN_PASSWORD`,
      );
    }
    let closed = false;
    return {
      config,
      store,
      app,
      deps,
      url,
      runtime,
      initialAdminPassword: admin.password,
      async close() {
        if (closed) return;
        closed = true;
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}
