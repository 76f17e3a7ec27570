import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile, type CliProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

interface Target {
  org?: string;
  project: string;
  app?: string;
  json?: boolean;
}

/** The application ID: `--app`, or the application of the named external-consumer component. */
async function applicationOf(api: ApiClient, profile: CliProfile, component: string | undefined, opts: Target): Promise<{ org: string; app: string }> {
  const org = orgOf(profile, opts.org);
  if (opts.app) return { org, app: opts.app };
  if (!component) throw new CliError('Name the external-consumer component, or pass --app <application id>');
  const app = await api.get<{ id: string }>(orgPath(org, 'projects', opts.project, 'components', component, 'application'));
  return { org, app: app.id };
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const int = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new CliError(`${name} must be a whole number of seconds`);
  return Number(value);
};

interface Settings {
  grantTypes?: string[];
  scopes?: string[];
  tokenLifetime?: number;
}
const settingsOf = (opts: Settings) => ({
  ...(opts.grantTypes && { grantTypes: opts.grantTypes }),
  ...(opts.scopes && { scopes: opts.scopes }),
  ...(opts.tokenLifetime !== undefined && { tokenLifetime: opts.tokenLifetime }),
});

function printSecret(result: Record<string, unknown>, json: boolean): void {
  printObject(result, json);
  if (!json) process.stdout.write('\nThe client secret is shown only this once: store it now.\n');
}

export function register(program: Command): void {
  const keys = program.command('keys').description("Consumer credentials per environment, and the token service's signing keys");
  const target = (cmd: Command) =>
    cmd
      .option('--project <name>', 'project of the component', 'default')
      .option('--app <id>', 'application ID (instead of a component name)')
      .option('--org <handle>', "organization (default: the profile's)")
      .option('--json', 'JSON output');
  const settings = (cmd: Command) =>
    cmd
      .option('--grant-types <list>', 'comma-separated: client_credentials, urn:ietf:params:oauth:grant-type:token-exchange', list)
      .option('--scopes <list>', 'comma-separated scopes the client may be granted', list)
      .option('--token-lifetime <seconds>', 'access-token lifetime (60-86400)', int('--token-lifetime'));

  settings(
    target(keys.command('generate [component]').description('Generate Keys: a client ID and secret for one environment (the secret is shown once)').requiredOption('--env <name>', 'environment')),
  ).action(async (component: string | undefined, opts: Target & Settings & { env: string }) => {
    const profile = loadProfile();
    const api = new ApiClient(profile);
    const { org, app } = await applicationOf(api, profile, component, opts);
    printSecret(await api.post(orgPath(org, 'applications', app, 'credentials', opts.env, 'keys'), settingsOf(opts)), !!opts.json);
  });

  target(
    keys
      .command('regenerate [component]')
      .description('Regenerate Secret: a new secret (shown once); the old one stops working after the grace period')
      .requiredOption('--env <name>', 'environment')
      .option('--grace-period <seconds>', 'seconds the old secret keeps working (default 0)', int('--grace-period')),
  ).action(async (component: string | undefined, opts: Target & { env: string; gracePeriod?: number }) => {
    const profile = loadProfile();
    const api = new ApiClient(profile);
    const { org, app } = await applicationOf(api, profile, component, opts);
    const body = opts.gracePeriod === undefined ? {} : { gracePeriod: opts.gracePeriod };
    printSecret(await api.post(orgPath(org, 'applications', app, 'credentials', opts.env, 'secret'), body), !!opts.json);
  });

  settings(target(keys.command('update [component]').description('Change grant types, scopes or token lifetime of existing keys').requiredOption('--env <name>', 'environment'))).action(
    async (component: string | undefined, opts: Target & Settings & { env: string }) => {
      const profile = loadProfile();
      const api = new ApiClient(profile);
      const { org, app } = await applicationOf(api, profile, component, opts);
      printObject(await api.patch(orgPath(org, 'applications', app, 'credentials', opts.env), settingsOf(opts)), !!opts.json);
    },
  );

  target(keys.command('show [component]').description('Credentials per environment (never the secret)').option('--env <name>', 'only this environment')).action(
    async (component: string | undefined, opts: Target & { env?: string }) => {
      const profile = loadProfile();
      const api = new ApiClient(profile);
      const { org, app } = await applicationOf(api, profile, component, opts);
      if (opts.env) return printObject(await api.get(orgPath(org, 'applications', app, 'credentials', opts.env)), !!opts.json);
      const rows = await api.get<Record<string, unknown>[]>(orgPath(org, 'applications', app, 'credentials'));
      printRows(rows, ['environment', 'kind', 'keysGenerated', 'clientId', 'grantTypes', 'scopes', 'tokenLifetime'], !!opts.json);
    },
  );

  keys
    .command('rotate')
    .description("Rotate the token service's signing key (platform administrator only)")
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      const result = await new ApiClient(loadProfile()).post<{ key: Record<string, unknown>; retiring: Record<string, unknown>[] }>('/api/v1/admin/signing-keys/rotate', {});
      if (opts.json) return printObject(result, true);
      const key = result.key as { kid: string; alg: string; activatesAt: string };
      process.stdout.write(`New key ${key.kid} (${key.alg}) is published now and signs from ${key.activatesAt}.\n`);
      for (const old of result.retiring as { kid: string; publishUntil: string }[]) {
        process.stdout.write(`Key ${old.kid} stops signing then and stays published until ${old.publishUntil}.\n`);
      }
    });

  keys
    .command('signing')
    .description("The token service's signing keys and their states (platform administrator only)")
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      const rows = await new ApiClient(loadProfile()).get<Record<string, unknown>[]>('/api/v1/admin/signing-keys');
      printRows(rows, ['kid', 'alg', 'state', 'activatesAt', 'retiredAt', 'publishUntil'], !!opts.json);
    });
}
