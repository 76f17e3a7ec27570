import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

const TYPES = ['external-consumer', 'api-proxy'];

interface Opts {
  org?: string;
  project: string;
  json?: boolean;
}

interface Overview extends Record<string, unknown> {
  environments?: { name: string }[];
}

/** Readable form of an overview: environments as the promotion chain. */
function printOverview(overview: Overview, json: boolean): void {
  if (json || !overview.environments) {
    printObject(overview, json);
    return;
  }
  printObject({ ...overview, environments: overview.environments.map((e) => e.name).join(' -> ') }, false);
}

function checkType(type: string | undefined): void {
  if (type !== undefined && !TYPES.includes(type)) throw new CliError(`--type must be one of ${TYPES.join(', ')}`);
}

export function register(program: Command): void {
  const component = program.command('component').description('Components: external consumers and API proxies');
  const common = (cmd: Command) => cmd.option('--project <name>', 'project', 'default').option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');

  common(
    component
      .command('create <name>')
      .description('Create a component and show its overview')
      .requiredOption('--type <type>', TYPES.join(' | '))
      .option('--display-name <text>', 'display name (default: the name)')
      .option('--description <text>', 'description'),
  ).action(async (name: string, opts: Opts & { type: string; displayName?: string; description?: string }) => {
    checkType(opts.type);
    const profile = loadProfile();
    const body = { type: opts.type, name, displayName: opts.displayName ?? name, ...(opts.description !== undefined && { description: opts.description }) };
    printOverview(await new ApiClient(profile).post<Overview>(orgPath(orgOf(profile, opts.org), 'projects', opts.project, 'components'), body), !!opts.json);
  });

  common(
    component
      .command('list')
      .description('Components of a project')
      .option('--type <type>', `only this type (${TYPES.join(' | ')})`),
  ).action(async (opts: Opts & { type?: string }) => {
    checkType(opts.type);
    const profile = loadProfile();
    const query = opts.type ? `?type=${encodeURIComponent(opts.type)}` : '';
    const rows = await new ApiClient(profile).get<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'projects', opts.project, 'components') + query);
    printRows(rows, ['name', 'type', 'displayName', 'description'], !!opts.json);
  });

  common(component.command('get <name>').description("Show a component's overview")).action(async (name: string, opts: Opts) => {
    const profile = loadProfile();
    printOverview(await new ApiClient(profile).get<Overview>(orgPath(orgOf(profile, opts.org), 'projects', opts.project, 'components', name)), !!opts.json);
  });

  common(component.command('delete <name>').description('Delete a component')).action(async (name: string, opts: Opts) => {
    const profile = loadProfile();
    await new ApiClient(profile).delete(orgPath(orgOf(profile, opts.org), 'projects', opts.project, 'components', name));
    if (opts.json) printObject({ deleted: name, project: opts.project }, true);
    else process.stdout.write(`Deleted component ${name} from project ${opts.project}\n`);
  });
}
