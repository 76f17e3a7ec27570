import type { Command } from 'commander';
import { loadConfig, type Config } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the whole platform in one process (control plane, token service, gateways)')
    .option('--dev', 'development mode: allows identity-provider URLs on private addresses')
    .option('--change-issuer', 'make this node\'s DRAWBRIDGE_PUBLIC_URL the installation\'s token issuer (moving every node to a new URL)')
    .action(async (opts: { dev?: boolean; changeIssuer?: boolean }) => {
      const config = loadConfig(opts.dev ? { ...process.env, DRAWBRIDGE_MODE: 'development' } : process.env);
      const { startPlatform } = await import('../../platform.js'); // only this command needs the whole platform
      const platform = await startPlatform(config, { changeIssuer: opts.changeIssuer }).catch((error: unknown) => { throw portInUse(config, error) ?? error; });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        platform.deps.logger.info({ signal }, 'shutting down');
        platform.close().then(() => process.exit(0), (error: unknown) => {
          platform.deps.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
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
