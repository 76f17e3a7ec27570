/**
 * `drawbridge start` while its PostgreSQL database cannot be reached. Like a Kong
 * data plane, the node comes up anyway: each gateway serves the last snapshot it
 * saved on disk (its APIs, and tokens checked against that snapshot's keys), or
 * answers 503 without one; the control-plane listener answers /healthz 200,
 * /readyz 503 and every other request 503 with Retry-After, in the shapes the
 * API and the token service use when the database goes away later. Meanwhile
 * `connect` retries with capped exponential backoff; the platform then finishes
 * its boot on these same listeners (no port is ever closed) and hands the
 * control-plane listener over to the real app.
 *
 * A database that answers and refuses (wrong user or password, unknown database)
 * is a wrong setting, not an outage: the start fails at once, naming it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyServerFactory } from 'fastify';
import { openClusterServices, type ClusterServices } from './cluster-services.js';
import { DATABASE_RETRY_AFTER } from './control-plane/errors.js';
import { externalTokenVerifier, primeKeysFromSnapshot, snapshotIdpConfigs, startGateway, type Gateway } from './gateway/index.js';
import { readSnapshotFile, snapshotFile } from './gateway/holder.js';
import type { Clock } from './shared/clock.js';
import type { Config } from './shared/config.js';
import type { MasterKey } from './shared/crypto.js';
import { egressPolicy, type EgressPolicy } from './shared/egress.js';
import { ApiError, ConfigError } from './shared/errors.js';
import type { IdpKeyCache } from './shared/idp-keys/cache.js';
import { createIdpKeyCache } from './shared/idp-keys/runtime.js';
import type { IdpVerificationConfig } from './shared/idp-keys/types.js';
import type { Logger } from './shared/logger.js';
import { isDatabaseUnavailable, openStore, type OpenStore, type Store } from './store/index.js';
import { DatabaseUnavailable } from './token-service/render.js';
import { PATHS } from './token-service/discovery.js';

/** The first wait between two connection attempts (ms); each failure doubles it, up to `config.databaseRetryMaxMs`. */
const FIRST_RETRY_MS = 500;

/**
 * The database answered and refused this node (SQLSTATE class 28: wrong user or
 * password; 3D000: no such database): retrying cannot help, so the start fails.
 */
export function databaseRefusal(error: unknown): ConfigError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !(/^28/.test(code) || code === '3D000')) return undefined;
  return new ConfigError('DRAWBRIDGE_DATABASE_URL', `the database refused the connection: ${String(message)} (SQLSTATE ${code}); check the user, password and database name`);
}

/** The database URL without its user and password, for logs and the banner. */
export function describeDatabase(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** A driver's message, with the URL's password taken out should it ever appear in one. */
export function safeMessage(error: unknown, databaseUrl: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const password = URL.canParse(databaseUrl) ? decodeURIComponent(new URL(databaseUrl).password) : '';
  return password ? message.split(password).join('***') : message;
}

export interface DegradedGateway {
  gateway: Gateway;
  /** The snapshot file it serves from; undefined when there was none (it answers 503 until the first live snapshot). */
  servingFrom?: string;
}

export interface DegradedStart {
  /** The control plane's listener, bound at `config.port`. */
  server: Server;
  /** Base URL of `server` as bound. */
  url: string;
  gateways: DegradedGateway[];
  egress: EgressPolicy;
  /** The platform's IdP key cache, primed from the disk snapshots until the store's saved keys are loaded. */
  idpKeys: IdpKeyCache;
  cluster: ClusterServices;
  /** For the app's Fastify: it answers on `server`, once `handOver` is called. */
  serverFactory: FastifyServerFactory;
  /** Retries opening the store until it opens; rejects when the database refuses this node, another error occurs, or `signal` aborts. */
  connect(signal?: AbortSignal): Promise<OpenStore>;
  /** The store this node reached: new IdP keys are saved through it; IdP settings come from `identityProviders` instead of the disk snapshots. */
  connected(store: Store, identityProviders: ReadonlyMap<string, IdpVerificationConfig>): void;
  /** From now on the app answers on `server`. */
  handOver(): void;
  /** Stops accepting on the control-plane listener; resolves when its requests are done. */
  closeServer(): Promise<void>;
  /** Closes everything started here. Idempotent. */
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const OAUTH_PATHS = new Set<string>([PATHS.token, PATHS.introspect, PATHS.revoke]);

/** The control plane's answers while the store cannot be reached. */
function answerWithoutDatabase(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, body: unknown, headers: Record<string, string | number> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
    res.end(text);
  };
  const retry = { 'retry-after': DATABASE_RETRY_AFTER };
  if (path === '/healthz') send(200, { status: 'ok' });
  else if (path === '/readyz') send(503, { status: 'not_ready', database: 'unavailable' }, retry);
  else if (OAUTH_PATHS.has(path)) send(503, new DatabaseUnavailable('The token service cannot reach its database; try again shortly').toJSON(), { ...retry, pragma: 'no-cache' });
  else send(503, new ApiError('unavailable', 'The database is unavailable; try again shortly').toJSON(), retry);
}

/**
 * Binds the control-plane listener and the in-process gateways (from their disk
 * snapshots) after the first connection attempt failed with `firstError`.
 */
export async function startDegraded(options: { config: Config; masterKey: MasterKey; clock: Clock; logger: Logger; firstError: unknown; print: (line: string) => void }): Promise<DegradedStart> {
  const { config, masterKey, clock, logger, print } = options;
  const database = describeDatabase(config.databaseUrl);
  let store: Store | undefined;
  let identityProviders: ReadonlyMap<string, IdpVerificationConfig> | undefined;
  const idpKeys = createIdpKeyCache({
    allowPrivate: config.allowPrivateIdpUrls,
    clock,
    logger,
    persistence: {
      saveKeys: async (idpId, keys) => {
        if (!store) throw new Error('the database cannot be reached; the keys are saved after the next fetch');
        await store.identityProviders.saveKeys(idpId, keys);
      },
    },
  });
  // IdP settings and last good keys from the disk snapshots, used only until the store answers.
  const fromDisk = new Map<string, IdpVerificationConfig>();
  const listeners = config.gatewayWorkers > 1 ? [] : config.gateways; // with workers, each worker process serves from disk itself
  const saved = new Map<string, { file: string; found: boolean }>();
  for (const { environment } of listeners) {
    const file = snapshotFile(config.dataDir, environment);
    const snapshot = await readSnapshotFile(file).catch(() => undefined); // an unusable file is reported by the gateway that reads it
    saved.set(environment, { file, found: snapshot !== undefined });
    if (!snapshot) continue;
    for (const [id, idp] of snapshotIdpConfigs(snapshot)) fromDisk.set(id, idp);
    primeKeysFromSnapshot(idpKeys, snapshot);
  }
  idpKeys.start();

  let handler: (req: IncomingMessage, res: ServerResponse) => void = answerWithoutDatabase;
  let appHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => handler(req, res));
  const egress = egressPolicy(config);
  const gateways: DegradedGateway[] = [];
  let cluster: ClusterServices | undefined;
  let closing: Promise<void> | undefined;
  let serverClosed: Promise<void> | undefined;
  const closeServer = () =>
    (serverClosed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }));
  const close = () =>
    (closing ??= (async () => {
      await Promise.allSettled([closeServer(), ...gateways.map((g) => g.gateway.close())]);
      await idpKeys.stop();
      await cluster?.close();
    })());

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    egress.addOwnPort(port);
    cluster = await openClusterServices(config, logger, clock);
    const externalVerifier = externalTokenVerifier(idpKeys, clock, (id) => (identityProviders ? identityProviders.get(id) : fromDisk.get(id)));
    for (const listener of listeners) {
      const gateway = await startGateway({
        environment: listener.environment,
        port: listener.port,
        host: config.gatewayHost,
        logger: logger.child({ gateway: listener.environment }),
        clock,
        dataDir: config.dataDir,
        masterKey,
        externalVerifier,
        forwardedProto: config.gatewayForwardedProto,
        trustedProxies: config.gatewayTrustedProxies,
        metricsAllow: config.gatewayMetricsAllow,
        egress,
        drainMs: config.gatewayDrainMs,
        shared: cluster.gatewayShared,
      });
      const file = saved.get(listener.environment)!.file;
      gateways.push({ gateway, servingFrom: gateway.status().snapshot ? file : undefined });
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }

  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  const reason = safeMessage(options.firstError, config.databaseUrl);
  const serving = gateways.filter((g) => g.servingFrom).map((g) => g.servingFrom!);
  logger.warn(
    { database, err: reason, snapshots: serving, retryMaxMs: config.databaseRetryMaxMs },
    `database unreachable at start; ${serving.length > 0 ? `serving the last snapshot from ${serving.join(', ')}` : 'no gateway snapshot on disk, gateways answer 503'}; retrying`,
  );
  print(`Drawbridge is starting (${config.mode} mode): database unreachable at start; retrying`);
  print(`  Database           ${database}: ${reason} (next attempt in ${Math.min(FIRST_RETRY_MS, config.databaseRetryMaxMs)} ms, then backing off up to ${config.databaseRetryMaxMs} ms)`);
  print(`  Control plane API  ${config.publicUrl}/api/v1   (listening on ${url}; /readyz and the API answer 503 until the database is reached)`);
  for (const { gateway, servingFrom } of gateways) {
    const status = gateway.status().snapshot;
    print(
      `  Gateway ${gateway.environment.padEnd(11)} ${gateway.url}   ${servingFrom && status ? `serving the last snapshot from ${servingFrom} (version ${status.version}, ${status.apis} APIs)` : 'no snapshot on disk: 503 until the database is reached'}`,
    );
  }

  return {
    server,
    url,
    egress,
    idpKeys,
    cluster: cluster!,
    gateways,
    serverFactory: (fastifyHandler, options) => {
      // An app from an earlier boot attempt that failed leaves its handlers behind: only the newest app's stay.
      server.removeAllListeners('clientError');
      // Fastify sets its timeouts only on servers it creates: the same ones as a normal start (keep-alive 72 s).
      const timeouts = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      if (timeouts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = timeouts.maxRequestsPerSocket;
      appHandler = fastifyHandler;
      return server;
    },
    async connect(signal) {
      let delayMs = Math.min(FIRST_RETRY_MS, config.databaseRetryMaxMs);
      for (let attempt = 2; ; attempt++) {
        await sleep(delayMs, undefined, { signal });
        try {
          const opened = await openStore(config.databaseUrl, clock, { logger });
          logger.info({ database, attempt }, 'database reached; finishing the start');
          return opened;
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw databaseRefusal(error) ?? error;
          delayMs = Math.min(delayMs * 2, config.databaseRetryMaxMs);
          logger.warn({ database, attempt, err: safeMessage(error, config.databaseUrl), retryInMs: delayMs }, 'database still unreachable; retrying');
        }
      }
    },
    connected(next, idps) {
      store = next;
      identityProviders = idps;
    },
    handOver() {
      if (!appHandler) throw new Error('no app was built on the control-plane listener');
      handler = appHandler;
    },
    closeServer,
    close,
  };
}
