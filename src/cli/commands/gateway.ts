import type { Command } from 'commander';
import { loadConfig, workerCount, type Config } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

type GatewayOpts = { env: string; port?: string; poll: string; controlPlane?: string; workers?: string };
type Running = { gateway: import('../../gateway/index.js').Gateway; close(): Promise<void> };

export function register(program: Command): void {
  program
    .command('gateway')
    .description('Run one gateway listener alone: against the database (polls for snapshot changes), or with --control-plane as a gateway-only node that needs no database')
    .requiredOption('--env <name>', 'environment to serve, e.g. development')
    .option('--port <port>', 'port (default: the one DRAWBRIDGE_GATEWAYS gives the environment)')
    .option('--poll <ms>', 'how often to look for snapshot changes (database mode)', '2000')
    .option('--control-plane <url>', 'gateway-only node: get snapshots from this control plane with DRAWBRIDGE_GATEWAY_TOKEN (no database, no master key)')
    .option('--workers <n>', 'worker processes behind the one port: a number, or auto for one per core (default: DRAWBRIDGE_GATEWAY_WORKERS, else 1)')
    .action(async (opts: GatewayOpts) => {
      const config = loadConfig(process.env);
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError('--port', `must be a port number, got ${JSON.stringify(opts.port)}`);
      const pollMs = Number(opts.poll);
      if (!Number.isInteger(pollMs) || pollMs < 100) throw new ConfigError('--poll', 'must be an integer of at least 100 (milliseconds)');
      const workers = opts.workers === undefined ? config.gatewayWorkers : workerCount(opts.workers, '--workers');
      const token = process.env.DRAWBRIDGE_GATEWAY_TOKEN;
      if (opts.controlPlane !== undefined && !token) throw new ConfigError('DRAWBRIDGE_GATEWAY_TOKEN', 'is required with --control-plane (create one with POST /api/v1/admin/gateway-nodes)');
      // Loaded here, not at the top: every other CLI command starts without the gateway, store and drivers.
      const { isGatewayWorker, runGatewayWorker, startWorkerPool } = await import('../../gateway/workers.js');
      const { createLogger } = await import('../../shared/logger.js');
      const startOne = (workerId?: number) => runOne(config, opts, { port, pollMs, token, workerId });
      if (isGatewayWorker()) {
        await runGatewayWorker(async (workerId) => {
          const running = await startOne(workerId);
          return { urls: [running.gateway.url], close: () => running.close() };
        }, createLogger(config.logLevel));
        return;
      }
      let close: () => Promise<void>;
      if (workers > 1) {
        const pool = await startWorkerPool({ count: workers, logger: createLogger(config.logLevel), drainMs: config.gatewayDrainMs });
        process.stdout.write(`Gateway for "${opts.env}" listening on ${pool.urls[0]} (${workers} worker processes)\n`);
        close = () => pool.close();
      } else {
        const running = await startOne();
        const status = running.gateway.status();
        process.stdout.write(
          `Gateway for "${opts.env}" listening on ${running.gateway.url} (snapshot: ${status.snapshot ? `version ${status.snapshot.version} from ${status.snapshot.source}` : 'none yet'})\n`,
        );
        close = () => running.close();
      }
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}

/** One gateway listener in this process: a gateway-only node (`--control-plane`) or against the database. */
async function runOne(config: Config, opts: GatewayOpts, o: { port?: number; pollMs: number; token?: string; workerId?: number }): Promise<Running> {
  if (opts.controlPlane !== undefined) {
    const { runRemoteGateway } = await import('../remote-gateway.js');
    return runRemoteGateway(config, { controlPlaneUrl: opts.controlPlane, token: o.token!, environment: opts.env, port: o.port, workerId: o.workerId });
  }
  const { runStandaloneGateway } = await import('../standalone-gateway.js');
  return runStandaloneGateway(config, opts.env, { port: o.port, pollMs: o.pollMs, workerId: o.workerId });
}
