import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

interface Opts {
  org?: string;
  json?: boolean;
}

/** Short names the CLI accepts for grant types, besides their wire values. */
export const GRANT_ALIASES: Readonly<Record<string, string>> = {
  'client-credentials': 'client_credentials',
  'token-exchange': 'urn:ietf:params:oauth:grant-type:token-exchange',
};
const grantType = (value: string): string => GRANT_ALIASES[value] ?? value;

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export const portalPath = (org: string, ...rest: string[]): string => orgPath(org, 'portal', ...rest);

/** An application named by id or by name. */
export async function resolveApp(client: ApiClient, org: string, ref: string): Promise<{ id: string; name: string }> {
  const apps = await client.get<{ id: string; name: string }[]>(portalPath(org, 'applications'));
  const found = apps.find((a) => a.id === ref) ?? apps.filter((a) => a.name.toLowerCase() === ref.toLowerCase())[0];
  if (!found) throw new CliError(`No application "${ref}" in organization ${org}`);
  return found;
}

const KEY_COLUMNS = ['environment', 'label', 'kind', 'consumerKey', 'grantTypes', 'tokenLifetime', 'tokenEndpoint'];

/** The key-settings body shared by generate-keys and update-keys. */
function keySettings(opts: { grant: string[]; lifetime?: string; scope: string[] }): Record<string, unknown> {
  return {
    ...(opts.grant.length && { grantTypes: opts.grant.map(grantType) }),
    ...(opts.lifetime !== undefined && { tokenLifetime: Number(opts.lifetime) }),
    ...(opts.scope.length && { scopes: opts.scope }),
  };
}

export function register(program: Command): void {
  const app = program.command('app').description("Applications in the developer portal (external consumers' included) and their keys");
  const common = (cmd: Command) => cmd.option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');
  const ctx = (opts: Opts) => {
    const profile = loadProfile();
    return { client: new ApiClient(profile), org: orgOf(profile, opts.org) };
  };

  common(app.command('list').description('Applications of the organization').option('--mine', 'only the ones you may change')).action(async (opts: Opts & { mine?: boolean }) => {
    const { client, org } = ctx(opts);
    const rows = await client.get<Record<string, unknown>[]>(portalPath(org, 'applications') + (opts.mine ? '?mine=true' : ''));
    printRows(rows, ['id', 'name', 'component', 'owner', 'subscriptions', 'environmentsWithKeys'], !!opts.json);
  });

  common(app.command('create <name>').description('Create an application you own').option('--description <text>', 'description')).action(
    async (name: string, opts: Opts & { description?: string }) => {
      const { client, org } = ctx(opts);
      printObject(await client.post(portalPath(org, 'applications'), { name, ...(opts.description !== undefined && { description: opts.description }) }), !!opts.json);
    },
  );

  common(app.command('get <app>').description('Show an application (id or name)')).action(async (ref: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, ref);
    printObject(await client.get(portalPath(org, 'applications', id)), !!opts.json);
  });

  common(app.command('update <app>').description('Rename an application or change its description').option('--name <name>', 'new name').option('--description <text>', 'new description')).action(
    async (ref: string, opts: Opts & { name?: string; description?: string }) => {
      const { client, org } = ctx(opts);
      const { id } = await resolveApp(client, org, ref);
      const body = { ...(opts.name !== undefined && { name: opts.name }), ...(opts.description !== undefined && { description: opts.description }) };
      if (!Object.keys(body).length) throw new CliError('Nothing to change: pass --name or --description');
      printObject(await client.patch(portalPath(org, 'applications', id), body), !!opts.json);
    },
  );

  common(app.command('delete <app>').description('Delete an application and its keys').option('--force', 'also when it has live subscriptions (they are removed)')).action(
    async (ref: string, opts: Opts & { force?: boolean }) => {
      const { client, org } = ctx(opts);
      const { id, name } = await resolveApp(client, org, ref);
      await client.delete(portalPath(org, 'applications', id) + (opts.force ? '?force=true' : ''));
      process.stdout.write(`Application ${name} deleted\n`);
    },
  );

  common(app.command('keys <app>').description('Keys per environment: token endpoint and consumer key (never the secret)').option('--env <name>', 'one environment')).action(
    async (ref: string, opts: Opts & { env?: string }) => {
      const { client, org } = ctx(opts);
      const { id } = await resolveApp(client, org, ref);
      if (opts.env) printObject(await client.get(portalPath(org, 'applications', id, 'keys', opts.env)), !!opts.json);
      else printRows(await client.get<Record<string, unknown>[]>(portalPath(org, 'applications', id, 'keys')), KEY_COLUMNS, !!opts.json);
    },
  );

  common(
    app
      .command('generate-keys <app>')
      .description('Generate Credentials for one environment; the consumer secret is printed once')
      .requiredOption('--env <name>', 'environment, e.g. production')
      .option('--grant <type>', 'grant type to enable (client-credentials, token-exchange, or the wire value); repeatable', collect, [])
      .option('--lifetime <seconds>', 'access-token lifetime')
      .option('--scope <scope>', 'scope the client may be granted; repeatable', collect, []),
  ).action(async (ref: string, opts: Opts & { env: string; grant: string[]; lifetime?: string; scope: string[] }) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, ref);
    const body = keySettings(opts);
    printObject(await client.post(portalPath(org, 'applications', id, 'keys', opts.env), body), !!opts.json);
    if (!opts.json) process.stderr.write('Save the consumer secret now: it is not shown again.\n');
  });

  common(
    app
      .command('update-keys <app>')
      .description('Change the grant types, scopes or token lifetime of existing keys')
      .requiredOption('--env <name>', 'environment')
      .option('--grant <type>', 'grant type (replaces the list); repeatable', collect, [])
      .option('--lifetime <seconds>', 'access-token lifetime')
      .option('--scope <scope>', 'allowed scope (replaces the list); repeatable', collect, []),
  ).action(async (ref: string, opts: Opts & { env: string; grant: string[]; lifetime?: string; scope: string[] }) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, ref);
    const body = keySettings(opts);
    if (!Object.keys(body).length) throw new CliError('Nothing to change: pass --grant, --lifetime or --scope');
    printObject(await client.patch(portalPath(org, 'applications', id, 'keys', opts.env), body), !!opts.json);
  });

  common(
    app
      .command('regenerate-secret <app>')
      .description('A new consumer secret, printed once; the old one stops working (after --grace seconds)')
      .requiredOption('--env <name>', 'environment')
      .option('--grace <seconds>', 'seconds the old secret keeps working', '0'),
  ).action(async (ref: string, opts: Opts & { env: string; grace: string }) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, ref);
    printObject(await client.post(portalPath(org, 'applications', id, 'keys', opts.env, 'regenerate-secret'), { gracePeriod: Number(opts.grace) }), !!opts.json);
  });
}
