import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile, type CliProfile } from '../client.js';
import { printObject, printRows } from '../output.js';

/** The organization a command acts on: `--org`, else the profile's (`drawbridge org use`, DRAWBRIDGE_ORG). */
export function orgOf(profile: CliProfile, flag: string | undefined): string {
  const org = flag ?? profile.org;
  if (!org) throw new CliError('No organization given: pass --org <handle> or run "drawbridge org use <handle>" once');
  return org;
}

/** `/api/v1/orgs/<org>` with every segment escaped. */
export const orgPath = (org: string, ...rest: string[]): string => ['/api/v1/orgs', org, ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');

interface Opts {
  org?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const project = program.command('project').description('Projects (folders of components)');

  project
    .command('list')
    .description('Projects of the organization')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (opts: Opts) => {
      const profile = loadProfile();
      const rows = await new ApiClient(profile).get<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'projects'));
      printRows(rows, ['name', 'displayName', 'isDefault', 'description'], !!opts.json);
    });

  project
    .command('create <name>')
    .description('Create a project')
    .option('--display-name <text>', 'display name (default: the name)')
    .option('--description <text>', 'description')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts & { displayName?: string; description?: string }) => {
      const profile = loadProfile();
      const body = { name, ...(opts.displayName !== undefined && { displayName: opts.displayName }), ...(opts.description !== undefined && { description: opts.description }) };
      printObject(await new ApiClient(profile).post<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'projects'), body), !!opts.json);
    });

  project
    .command('get <name>')
    .description('Show a project')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts) => {
      const profile = loadProfile();
      printObject(await new ApiClient(profile).get<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'projects', name)), !!opts.json);
    });

  project
    .command('delete <name>')
    .description('Delete an empty project')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts) => {
      const profile = loadProfile();
      await new ApiClient(profile).delete(orgPath(orgOf(profile, opts.org), 'projects', name));
      if (opts.json) printObject({ deleted: name }, true);
      else process.stdout.write(`Deleted project ${name}\n`);
    });
}
