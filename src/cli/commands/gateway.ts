import type { Command } from 'commander';
import { loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

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
      // Loaded here, not at the top: every other CLI command starts without the gateway, store and drivers.
      const { runStandaloneGateway } = await import('../standalone-gateway.js');
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
