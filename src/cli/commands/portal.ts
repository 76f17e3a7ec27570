import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { GRANT_ALIASES, portalPath, resolveApp } from './app.js';
import { orgOf } from './project.js';

interface Opts {
  org?: string;
  json?: boolean;
}

interface PortalApi {
  id: string;
  ref: string;
  name: string;
  contextPath: string;
  version: string;
  visibility: string;
  lifecycle: string;
  endpoints: { environment: string; url: string }[];
}

/** An API named by id or `project/component`, among those the caller sees in the portal. */
async function resolveApi(client: ApiClient, org: string, ref: string): Promise<PortalApi> {
  const apis = await client.get<PortalApi[]>(portalPath(org, 'apis'));
  const found = apis.find((a) => a.id === ref || a.ref === ref);
  if (!found) throw new CliError(`No API "${ref}" in the portal of ${org}`);
  return found;
}

export function register(program: Command): void {
  const portal = program.command('portal').description('Developer portal: browse APIs, subscribe applications, user keys and test tokens');
  const common = (cmd: Command) => cmd.option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');
  const ctx = (opts: Opts) => {
    const profile = loadProfile();
    return { client: new ApiClient(profile), org: orgOf(profile, opts.org) };
  };

  common(portal.command('apis').description('Published APIs you may see').option('--search <text>', 'match name, component or context path')).action(async (opts: Opts & { search?: string }) => {
    const { client, org } = ctx(opts);
    const rows = await client.get<PortalApi[]>(portalPath(org, 'apis') + (opts.search ? `?q=${encodeURIComponent(opts.search)}` : ''));
    printRows(
      rows.map((a) => ({ ...a, endpoints: a.endpoints.map((e) => `${e.environment}=${e.url}`) })),
      ['ref', 'name', 'contextPath', 'version', 'visibility', 'lifecycle', 'endpoints'],
      !!opts.json,
    );
  });

  common(portal.command('api <api>').description('One API: resources, versions, endpoints (id or project/component)')).action(async (ref: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    printObject(await client.get(portalPath(org, 'apis', (await resolveApi(client, org, ref)).id)), !!opts.json);
  });

  common(portal.command('subscriptions <app>').description('APIs an application is subscribed to')).action(async (appRef: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, appRef);
    printRows(await client.get<Record<string, unknown>[]>(portalPath(org, 'applications', id, 'subscriptions')), ['id', 'api', 'apiName', 'contextPath', 'version', 'connections'], !!opts.json);
  });

  common(portal.command('subscribe <app> <api>').description('Subscribe an application to a published API')).action(async (appRef: string, apiRef: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, appRef);
    printObject(await client.post(portalPath(org, 'applications', id, 'subscriptions'), { api: apiRef }), !!opts.json);
  });

  common(portal.command('unsubscribe <app> <api>').description('Unsubscribe an application from an API')).action(async (appRef: string, apiRef: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    const app = await resolveApp(client, org, appRef);
    // By the application's own subscriptions, not the APIs the portal lists: one to an API made
    // private or retired since is still there to remove. Else the server is given the name as is.
    const subscriptions = await client.get<{ id: string; apiId: string; api: string }[]>(portalPath(org, 'applications', app.id, 'subscriptions'));
    const found = subscriptions.find((s) => s.apiId === apiRef || s.api === apiRef || s.id === apiRef);
    await client.delete(portalPath(org, 'applications', app.id, 'subscriptions', found?.id ?? apiRef));
    process.stdout.write(`${app.name} unsubscribed from ${found?.api ?? apiRef}\n`);
  });

  common(
    portal
      .command('user-keys <app>')
      .description("How to exchange a token of one of the organization's IdPs: steps and a curl command")
      .requiredOption('--env <name>', 'environment, e.g. production')
      .requiredOption('--idp <name>', 'identity provider')
      .option('--audience <aud>', "one of the IdP's allowed audiences (default: its first)"),
  ).action(async (appRef: string, opts: Opts & { env: string; idp: string; audience?: string }) => {
    const { client, org } = ctx(opts);
    const { id } = await resolveApp(client, org, appRef);
    const query = opts.audience !== undefined ? `?audience=${encodeURIComponent(opts.audience)}` : '';
    const keys = await client.get<{ steps: { title: string; detail: string }[]; curl: string }>(portalPath(org, 'applications', id, 'keys', opts.env, 'user-keys', opts.idp) + query);
    if (opts.json) {
      printObject(keys, true);
      return;
    }
    keys.steps.forEach((s, i) => process.stdout.write(`${i + 1}. ${s.title}\n   ${s.detail}\n`));
    process.stdout.write(`\n${keys.curl}\n`);
  });

  common(
    portal
      .command('test-token <app>')
      .description(
        'Get a test token from the token endpoint: token exchange with --subject-token, else client credentials. The secret comes from DRAWBRIDGE_CONSUMER_SECRET or --secret-file (not from the command line, where it would end up in shell history)',
      )
      .requiredOption('--env <name>', 'environment')
      .option('--secret-file <path>', 'file holding the consumer secret')
      .option('--subject-token <jwt>', 'an IdP token to exchange')
      .option('--subject-token-file <path>', 'file holding the IdP token')
      .option('--grant <type>', 'client-credentials or token-exchange (default: by whether a subject token is given)')
      .option('--scope <scope>', 'scope to ask for'),
  ).action(async (appRef: string, opts: Opts & { env: string; secretFile?: string; subjectToken?: string; subjectTokenFile?: string; grant?: string; scope?: string }) => {
    const { client, org } = ctx(opts);
    const consumerSecret = (opts.secretFile ? readFileSync(opts.secretFile, 'utf8') : (process.env.DRAWBRIDGE_CONSUMER_SECRET ?? '')).trim();
    if (!consumerSecret) throw new CliError('Give the consumer secret in DRAWBRIDGE_CONSUMER_SECRET or --secret-file');
    const subjectToken = opts.subjectTokenFile ? readFileSync(opts.subjectTokenFile, 'utf8').trim() : opts.subjectToken;
    const { id } = await resolveApp(client, org, appRef);
    const body = {
      consumerSecret,
      ...(subjectToken !== undefined && { subjectToken }),
      ...(opts.grant !== undefined && { grantType: GRANT_ALIASES[opts.grant] ?? opts.grant }),
      ...(opts.scope !== undefined && { scope: opts.scope }),
    };
    printObject(await client.post(portalPath(org, 'applications', id, 'keys', opts.env, 'test-token'), body), !!opts.json);
  });
}
