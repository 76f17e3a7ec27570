import type { Command } from 'commander';
import { loadConfig, workerCount, type Config } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the whole platform in one process (control plane, token service, gateways)')
    .option('--dev', 'development mode: allows identity-provider URLs on private addresses')
    .option('--change-issuer', "make this node's DRAWBRIDGE_PUBLIC_URL the installation's token issuer (moving every node to a new URL)")
    .option('--workers <n>', 'gateway worker processes behind each gateway port: a number, or auto for one per core (default: DRAWBRIDGE_GATEWAY_WORKERS, else 1)')
    .action(async (opts: { dev?: boolean; changeIssuer?: boolean; workers?: string }) => {
      const loaded = loadConfig(opts.dev ? { ...process.env, DRAWBRIDGE_MODE: 'development' } : process.env);
      const config: Config = opts.workers === undefined ? loaded : { ...loaded, gatewayWorkers: workerCount(opts.workers, '--workers') };
      const workers = await import('../../gateway/workers.js');
      if (workers.isGatewayWorker()) return runStartWorker(config, workers.runGatewayWorker);
      const { startPlatform } = await import('../../platform.js'); // only this command needs the whole platform
      const { createLogger } = await import('../../shared/logger.js');
      const logger = createLogger(config.logLevel);
      // With workers, the gateway listeners run in worker processes (the platform starts none in this one).
      // A node still waiting for its database starts them at once: they serve from their disk snapshots meanwhile.
      let pool: import('../../gateway/workers.js').WorkerPool | undefined;
      const startPool = async () => {
        if (pool || config.gatewayWorkers <= 1 || config.gateways.length === 0) return;
        pool = await workers.startWorkerPool({ count: config.gatewayWorkers, logger, drainMs: config.gatewayDrainMs }).catch((error: unknown) => {
          throw portInUse(config, error) ?? error;
        });
        for (const [i, url] of pool.urls.entries()) process.stdout.write(`  Gateway ${config.gateways[i]!.environment.padEnd(11)} ${url}   (${config.gatewayWorkers} worker processes)\n`);
      };
      // A signal while the database is awaited ends the wait (the listeners close); afterwards it stops the running platform.
      const waiting = new AbortController();
      const starting = startPlatform(config, { logger, changeIssuer: opts.changeIssuer, waitForDatabase: { signal: waiting.signal, onDegraded: startPool } });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        waiting.abort();
        Promise.all([
          pool?.close(),
          starting.then(
            (platform) => platform.close(),
            () => {},
          ),
        ]).then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      let platform: import('../../platform.js').Platform;
      try {
        platform = await starting;
        await startPool();
      } catch (error) {
        if (stopping) return; // `stop` exits
        await Promise.all([
          pool?.close(),
          starting.then(
            (p) => p.close(),
            () => {},
          ),
        ]).catch(() => {});
        throw portInUse(config, error) ?? error;
      }
      const urls = pool?.urls;
      if (urls) platform.deps.localGatewayUrl = (environment) => urls[config.gateways.findIndex((g) => g.environment === environment)];
    });
}

/** A gateway worker of `start`: every configured environment's listener, each against the database as `drawbridge gateway` does. */
async function runStartWorker(config: Config, runGatewayWorker: typeof import('../../gateway/workers.js').runGatewayWorker): Promise<void> {
  const { runStandaloneGateway } = await import('../standalone-gateway.js');
  const { createLogger } = await import('../../shared/logger.js');
  const logger = createLogger(config.logLevel);
  await runGatewayWorker(async (workerId) => {
    const started: Awaited<ReturnType<typeof runStandaloneGateway>>[] = [];
    try {
      for (const listener of config.gateways) started.push(await runStandaloneGateway(config, listener.environment, { port: listener.port, workerId, logger }));
    } catch (error) {
      for (const gw of started) await gw.close().catch(() => {});
      throw error;
    }
    return {
      urls: started.map((s) => s.gateway.url),
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  }, logger);
}

/** A listener that cannot bind is a wrong setting: name the variable that chose the port instead of printing a stack. */
function portInUse(config: Config, error: unknown): ConfigError | undefined {
  const { code, port } = (error ?? {}) as { code?: string; port?: number };
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return undefined;
  const reason = code === 'EADDRINUSE' ? `port ${port} is already in use` : `no permission to listen on port ${port}`;
  if (port === config.port) return new ConfigError('DRAWBRIDGE_PORT', reason);
  const i = config.gateways.findIndex((g) => g.port === port);
  return i >= 0 ? new ConfigError(`DRAWBRIDGE_GATEWAYS[${i}]`, `${reason} (gateway ${config.gateways[i]!.environment})`) : undefined;
}
