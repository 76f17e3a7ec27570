import type { Command } from 'commander';
import { loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

export function register(program: Command): void {
  program
    .command('gateway')
    .description('Run one gateway listener alone: against the database (polls for snapshot changes), or with --control-plane as a gateway-only node that needs no database')
    .requiredOption('--env <name>', 'environment to serve, e.g. development')
    .option('--port <port>', 'port (default: the one DRAWBRIDGE_GATEWAYS gives the environment)')
    .option('--poll <ms>', 'how often to look for snapshot changes (database mode)', '2000')
    .option('--control-plane <url>', 'gateway-only node: get snapshots from this control plane with DRAWBRIDGE_GATEWAY_TOKEN (no database, no master key)')
    .action(async (opts: { env: string; port?: string; poll: string; controlPlane?: string }) => {
      const config = loadConfig(process.env);
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ConfigError('--port', `must be a port number, got ${JSON.stringify(opts.port)}`);
      const pollMs = Number(opts.poll);
      if (!Number.isInteger(pollMs) || pollMs < 100) throw new ConfigError('--poll', 'must be an integer of at least 100 (milliseconds)');
      // Loaded here, not at the top: every other CLI command starts without the gateway, store and drivers.
      let running: { gateway: import('../../gateway/index.js').Gateway; close(): Promise<void> };
      if (opts.controlPlane !== undefined) {
        const token = process.env.DRAWBRIDGE_GATEWAY_TOKEN;
        if (!token) throw new ConfigError('DRAWBRIDGE_GATEWAY_TOKEN', 'is required with --control-plane (create one with POST /api/v1/admin/gateway-nodes)');
        const { runRemoteGateway } = await import('../remote-gateway.js');
        running = await runRemoteGateway(config, { controlPlaneUrl: opts.controlPlane, token, environment: opts.env, port });
      } else {
        const { runStandaloneGateway } = await import('../standalone-gateway.js');
        running = await runStandaloneGateway(config, opts.env, { port, pollMs });
      }
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
