import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

interface Opts {
  org?: string;
  json?: boolean;
}

const COLUMNS = ['position', 'name', 'displayName', 'gatewayUrl'];

function parsePosition(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new CliError(`--position must be a whole number, got "${raw}"`);
  return Number(raw);
}

export function register(program: Command): void {
  const env = program.command('env').description('Environments: the promotion chain (changes need an admin)');

  env
    .command('list')
    .description('Environments in promotion order')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (opts: Opts) => {
      const profile = loadProfile();
      printRows(await new ApiClient(profile).get<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'environments')), COLUMNS, !!opts.json);
    });

  env
    .command('add <name>')
    .description('Add an environment (last in the chain unless --position is given)')
    .requiredOption('--gateway-url <url>', 'base URL its gateway serves')
    .option('--display-name <text>', 'display name')
    .option('--position <n>', 'place in the chain, 0 = first')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts & { gatewayUrl: string; displayName?: string; position?: string }) => {
      const profile = loadProfile();
      const position = parsePosition(opts.position);
      const body = { name, gatewayUrl: opts.gatewayUrl, ...(opts.displayName !== undefined && { displayName: opts.displayName }), ...(position !== undefined && { position }) };
      printObject(await new ApiClient(profile).post<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'environments'), body), !!opts.json);
    });

  env
    .command('reorder <names...>')
    .description('Set the promotion order; name every environment once, first to last')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (names: string[], opts: Opts) => {
      const profile = loadProfile();
      printRows(await new ApiClient(profile).put<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'environments', 'order'), { names }), COLUMNS, !!opts.json);
    });
}
