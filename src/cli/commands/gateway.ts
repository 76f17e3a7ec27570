import type { Command } from 'commander';
import { externalTokenVerifier } from '../../control-plane/snapshot/external-verifier.js';
import { RuntimePublisher } from '../../control-plane/snapshot/publisher.js';
import { startGateway, type Gateway } from '../../gateway/index.js';
import type { GatewaySnapshot } from '../../gateway/snapshot.js';
import { systemClock } from '../../shared/clock.js';
import { loadConfig, type Config } from '../../shared/config.js';
import { MasterKey } from '../../shared/crypto.js';
import { ConfigError } from '../../shared/errors.js';
import { createIdpKeyCache } from '../../shared/idp-keys/runtime.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { openStore, type OpenStore } from '../../store/index.js';

export interface StandaloneGateway {
  gateway: Gateway;
  close(): Promise<void>;
}

/**
 * One gateway listener alone against the database: it compiles its
 * environment's snapshot from the store, polls for changes (`pollMs`) and
 * swaps when the content changed. When the database cannot be reached it
 * serves the last snapshot saved on disk and keeps retrying.
 */
export async function runStandaloneGateway(config: Config, environment: string, options: { port?: number; pollMs?: number; logger?: Logger } = {}): Promise<StandaloneGateway> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = systemClock;
  const masterKey = MasterKey.load(config.masterKey, config.masterKeyFile);
  const port = options.port ?? config.gateways.find((g) => g.environment === environment)?.port;
  if (port === undefined) throw new ConfigError('--port', `no port configured for environment "${environment}" in DRAWBRIDGE_GATEWAYS; pass --port`);

  let opened: OpenStore | undefined;
  let publisher: RuntimePublisher | undefined;
  // The database is opened on first use and again after a failure, so a gateway started while it is down comes up from disk.
  const compile = async (): Promise<GatewaySnapshot> => {
    if (!publisher) {
      opened = await openStore(config.databaseUrl, clock, { logger });
      publisher = new RuntimePublisher({ store: opened.store, masterKey, issuer: config.publicUrl, clock, logger, pollMs: options.pollMs ?? 2000 });
      if (gateway) publisher.attach(environment, gateway);
    }
    return publisher.compile(environment);
  };

  const idpKeys = createIdpKeyCache({ allowPrivate: config.allowPrivateIdpUrls, clock, logger });
  const externalVerifier = externalTokenVerifier(idpKeys, clock, (id) => publisher?.identityProviders.get(id));

  let gateway: Gateway | undefined;
  gateway = await startGateway({
    environment, port, host: config.gatewayHost, logger: logger.child({ gateway: environment }), clock,
    snapshotSource: { load: compile }, dataDir: config.dataDir, masterKey, externalVerifier, reloadIntervalMs: options.pollMs ?? 2000,
  });
  publisher?.attach(environment, gateway);
  const started = gateway;
  return {
    gateway: started,
    async close() {
      await publisher?.close();
      await started.close();
      idpKeys.stop();
      await opened?.close();
    },
  };
}

export function register(program: Command): void {
  program
    .command('gateway')
    .description('Run one gateway listener alone against the database (polls for snapshot changes)')
    .requiredOption('--env <name>', 'environment to serve, e.g. development')
    .option('--port <port>', 'port (default: the one DRAWBRIDGE_GATEWAYS gives the environment)')
    .option('--poll <ms>', 'how often to look for snapshot changes', '2000')
    .action(async (opts: { env: string; port?: string; poll: string }) => {
      const config = loadConfig(process.env);
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError('--port', `must be a port number, got ${JSON.stringify(opts.port)}`);
      const pollMs = Number(opts.poll);
      if (!Number.isInteger(pollMs) || pollMs < 100) throw new ConfigError('--poll', 'must be an integer of at least 100 (milliseconds)');
      const running = await runStandaloneGateway(config, opts.env, { port, pollMs });
      const status = running.gateway.status();
      process.stdout.write(`Gateway for "${opts.env}" listening on ${running.gateway.url} (snapshot: ${status.snapshot ? `version ${status.snapshot.version} from ${status.snapshot.source}` : 'none yet'})\n`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        running.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
