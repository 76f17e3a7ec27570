import type { Command } from 'commander';
import { loadConfig } from '../../shared/config.js';
import { startPlatform } from '../../platform.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start the whole platform in one process (control plane, token service, gateways)')
    .option('--dev', 'development mode: allows identity-provider URLs on private addresses')
    .action(async (opts: { dev?: boolean }) => {
      const config = loadConfig(opts.dev ? { ...process.env, DRAWBRIDGE_MODE: 'development' } : process.env);
      const platform = await startPlatform(config);
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
