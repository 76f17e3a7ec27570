import type { Command } from 'commander';
import { ApiClient, loadProfile, saveProfile } from '../client.js';
import { printObject, printRows } from '../output.js';

export function register(program: Command): void {
  const org = program.command('org').description('Organizations');

  org
    .command('create <name>')
    .description('Create an organization (you become its admin)')
    .option('--handle <handle>', 'URL handle (derived from the name by default)')
    .option('--json', 'JSON output')
    .action(async (name: string, opts: { handle?: string; json?: boolean }) => {
      const created = await new ApiClient(loadProfile()).post<Record<string, unknown>>('/api/v1/orgs', { name, ...(opts.handle && { handle: opts.handle }) });
      printObject(created, !!opts.json);
    });

  org
    .command('list')
    .description('Organizations you belong to')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      const rows = await new ApiClient(loadProfile()).get<Record<string, unknown>[]>('/api/v1/orgs');
      printRows(rows, ['handle', 'name', 'role', 'createdAt'], !!opts.json);
    });

  org
    .command('use <handle>')
    .description('Make <handle> the default organization for later commands')
    .action(async (handle: string) => {
      const profile = loadProfile();
      await new ApiClient(profile).get(`/api/v1/orgs/${encodeURIComponent(handle)}`);
      saveProfile({ ...profile, org: handle });
      process.stdout.write(`Using organization ${handle}\n`);
    });
}
