import type { Command } from 'commander';
import { ApiClient, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { orgOf, orgPath } from './project.js';

interface Opts {
  org?: string;
  json?: boolean;
}

export function register(program: Command): void {
  const sub = program.command('subscription').description('Subscriptions: which applications may call which APIs');
  const common = (cmd: Command) => cmd.option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');

  common(
    sub.command('create').description('Subscribe an application to a published API').requiredOption('--app <id>', 'application id').requiredOption('--api <api>', 'API: project/component, or its id'),
  ).action(async (opts: Opts & { app: string; api: string }) => {
    const profile = loadProfile();
    printObject(await new ApiClient(profile).post<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'subscriptions'), { applicationId: opts.app, api: opts.api }), !!opts.json);
  });

  common(sub.command('list').description('Subscriptions of the organization').option('--app <id>', 'only this application').option('--api-id <id>', 'only this API')).action(
    async (opts: Opts & { app?: string; apiId?: string }) => {
      const profile = loadProfile();
      const query = new URLSearchParams({ ...(opts.app && { applicationId: opts.app }), ...(opts.apiId && { apiId: opts.apiId }) }).toString();
      const rows = await new ApiClient(profile).get<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'subscriptions') + (query ? `?${query}` : ''));
      printRows(rows, ['id', 'applicationName', 'api', 'contextPath', 'version', 'createdAt'], !!opts.json);
    },
  );

  common(sub.command('delete <id>').description('Unsubscribe (takes effect at the gateway with the next snapshot)')).action(async (id: string, opts: Opts) => {
    const profile = loadProfile();
    await new ApiClient(profile).delete(orgPath(orgOf(profile, opts.org), 'subscriptions', id));
    process.stdout.write(`Subscription ${id} deleted\n`);
  });
}
