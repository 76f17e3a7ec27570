import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { resolveApp } from './app.js';
import { orgOf, orgPath } from './project.js';

/** `drawbridge idp …`: the organization's external identity providers. */
interface Opts {
  org?: string;
  json?: boolean;
}
interface SetOpts extends Opts {
  kind?: string;
  description?: string;
  wellKnownUrl?: string;
  issuer?: string;
  issuerOverride?: boolean;
  tokenEndpoint?: string;
  jwksUri?: string;
  audience?: string[];
  tenant?: string[];
  clientIdClaim?: string[];
  subjectClaim?: string;
  tokenTyping?: string;
  clockSkew?: string;
  maxTokenAge?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function integer(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new CliError(`--${name} must be a whole number of seconds`);
  return Number(raw);
}

function bodyOf(opts: SetOpts): Record<string, unknown> {
  const body: Record<string, unknown> = {
    kind: opts.kind,
    description: opts.description,
    wellKnownUrl: opts.wellKnownUrl,
    issuer: opts.issuer,
    tokenEndpoint: opts.tokenEndpoint,
    jwksUri: opts.jwksUri,
    audiences: opts.audience,
    allowedTenantIds: opts.tenant,
    clientIdClaims: opts.clientIdClaim,
    subjectClaim: opts.subjectClaim,
    tokenTyping: opts.tokenTyping,
    clockSkew: integer('clock-skew', opts.clockSkew),
    maxTokenAge: integer('max-token-age', opts.maxTokenAge),
    issuerOverride: opts.issuerOverride || undefined,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function settingOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'description')
    .option('--well-known-url <url>', 'discovery document; fills issuer, token endpoint and JWKS URI')
    .option('--issuer <url>', 'issuer (overrides discovery; {tenantid} for Microsoft multi-tenant)')
    .option('--issuer-override', 'accept an issuer that does not match the well-known URL')
    .option('--token-endpoint <url>', 'token endpoint (overrides discovery)')
    .option('--jwks-uri <url>', 'JWKS URI (overrides discovery)')
    .option('--audience <aud>', 'allowed token audience (repeatable)', collect)
    .option('--tenant <id>', 'allowed tenant ID for an issuer template (repeatable)', collect)
    .option('--client-id-claim <claim>', 'claim carrying the client ID, in order of preference (repeatable)', collect)
    .option('--subject-claim <claim>', 'claim carrying the end user')
    .option('--token-typing <mode>', 'how the IdP marks token types: at+jwt, claim or none')
    .option('--clock-skew <seconds>', 'allowed clock skew (default 60, max 300)')
    .option('--max-token-age <seconds>', 'oldest token accepted (default 86400)')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output');
}

const summary = (idp: Record<string, unknown>) => {
  const keys = idp.keys as { keyIds: string[]; fetchedAt: string | null; lastError: string | null } | undefined;
  return { ...idp, keys: keys ? `${keys.keyIds.length} key(s)${keys.fetchedAt ? `, fetched ${keys.fetchedAt}` : ''}${keys.lastError ? `, last error: ${keys.lastError}` : ''}` : '' };
};

export function register(program: Command): void {
  const idp = program.command('idp').description('External identity providers of the organization');

  idp
    .command('list')
    .description('Identity providers')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (opts: Opts) => {
      const profile = loadProfile();
      const rows = await new ApiClient(profile).get<Record<string, unknown>[]>(orgPath(orgOf(profile, opts.org), 'identity-providers'));
      printRows(rows, ['name', 'kind', 'issuer', 'audiences'], !!opts.json);
    });

  idp
    .command('get <name>')
    .description('One identity provider, with the state of its keys')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts) => {
      const profile = loadProfile();
      const found = await new ApiClient(profile).get<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'identity-providers', name));
      printObject(opts.json ? found : summary(found), !!opts.json);
    });

  settingOptions(idp.command('create <name>').description('Connect an identity provider (admin)').requiredOption('--kind <kind>', 'okta, microsoft, auth0, keycloak or generic-oidc')).action(
    async (name: string, opts: SetOpts) => {
      const profile = loadProfile();
      if (!opts.audience?.length) throw new CliError('At least one --audience is required');
      const created = await new ApiClient(profile).post<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'identity-providers'), { name, ...bodyOf(opts) });
      printObject(opts.json ? created : summary(created), !!opts.json);
    },
  );

  settingOptions(idp.command('update <name>').description('Change an identity provider (admin); the name cannot change').option('--kind <kind>', 'kind')).action(
    async (name: string, opts: SetOpts) => {
      const profile = loadProfile();
      const updated = await new ApiClient(profile).patch<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'identity-providers', name), bodyOf(opts));
      printObject(opts.json ? updated : summary(updated), !!opts.json);
    },
  );

  idp
    .command('delete <name>')
    .description('Remove an identity provider (admin)')
    .option('--org <handle>', "organization (default: the profile's)")
    .action(async (name: string, opts: Opts) => {
      const profile = loadProfile();
      await new ApiClient(profile).delete(orgPath(orgOf(profile, opts.org), 'identity-providers', name));
      process.stdout.write(`Deleted identity provider ${name}\n`);
    });

  idp
    .command('discover <wellKnownUrl>')
    .description('Show what a discovery document says (saves nothing)')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (wellKnownUrl: string, opts: Opts) => {
      const profile = loadProfile();
      printObject(await new ApiClient(profile).post<Record<string, unknown>>(orgPath(orgOf(profile, opts.org), 'identity-providers', 'discover'), { wellKnownUrl }), !!opts.json);
    });

  idp
    .command('test <name>')
    .description('Fetch the JWKS now and list the keys found, or the error')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts) => {
      const profile = loadProfile();
      const result = await new ApiClient(profile).post<{ ok: boolean; error: string | null; keys: Record<string, unknown>[]; skipped: string[] }>(
        orgPath(orgOf(profile, opts.org), 'identity-providers', name, 'test'),
      );
      if (opts.json) return printObject(result, true);
      printRows(result.keys, ['kid', 'kty', 'crv', 'algorithms'], false);
      for (const s of result.skipped) process.stdout.write(`skipped: ${s}\n`);
      if (!result.ok) throw new CliError(`JWKS fetch failed: ${result.error}`);
    });

  idp
    .command('explain <name>')
    .description('Check a token against the provider step by step (token from --token-file or stdin; never stored)')
    .option('--token-file <file>', 'file holding the token (default: stdin)')
    .option('--expected-type <type>', 'access_token, id_token or jwt')
    .option('--org <handle>', "organization (default: the profile's)")
    .option('--json', 'JSON output')
    .action(async (name: string, opts: Opts & { tokenFile?: string; expectedType?: string }) => {
      const profile = loadProfile();
      const token = readFileSync(opts.tokenFile ?? 0, 'utf8').trim();
      const result = await new ApiClient(profile).post<{ valid: boolean; steps: { step: string; ok: boolean; message: string }[] }>(
        orgPath(orgOf(profile, opts.org), 'identity-providers', name, 'explain'),
        { token, ...(opts.expectedType && { expectedType: opts.expectedType }) },
      );
      if (opts.json) return printObject(result, true);
      for (const s of result.steps) process.stdout.write(`${s.ok ? 'ok  ' : 'FAIL'}  ${s.step.padEnd(11)} ${s.message}\n`);
      process.stdout.write(result.valid ? 'The token is valid for this provider.\n' : 'The token is NOT valid for this provider.\n');
    });

  registerKeys(idp);
}

/**
 * `drawbridge idp keys add|list|remove`: "Add Keys" for an external identity
 * provider (`routes/external-keys.ts`): an application's credentials in one
 * environment become (IdP, client ID registered there), and the gateway then
 * accepts that IdP's tokens carrying the client ID as the application's.
 */
function registerKeys(idp: Command): void {
  const keys = idp.command('keys').description('External client IDs ("Add Keys"): link an application to the client ID of its app at an identity provider');
  const common = (cmd: Command) => cmd.option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');
  const ctx = (opts: Opts) => {
    const profile = loadProfile();
    return { client: new ApiClient(profile), org: orgOf(profile, opts.org) };
  };

  common(
    keys
      .command('add <app>')
      .description("Use an identity provider's client ID as the application's keys in one environment (admin or the application's owner)")
      .requiredOption('--env <name>', 'environment, e.g. development')
      .requiredOption('--idp <name>', 'identity provider of the organization')
      .requiredOption('--client-id <id>', 'client ID of the app registered at the identity provider'),
  ).action(async (ref: string, opts: Opts & { env: string; idp: string; clientId: string }) => {
    const { client, org } = ctx(opts);
    const app = await resolveApp(client, org, ref);
    const linked = await client.put<Record<string, unknown>>(orgPath(org, 'applications', app.id, 'credentials', opts.env, 'external'), { idpName: opts.idp, clientId: opts.clientId });
    if (opts.json) return printObject(linked, true);
    process.stdout.write(`Application ${app.name} uses client ID ${String(linked.externalClientId)} of identity provider ${String(linked.identityProvider)} in ${String(linked.environment)}\n`);
  });

  common(keys.command('list <app>').description('External client IDs of an application, per environment')).action(async (ref: string, opts: Opts) => {
    const { client, org } = ctx(opts);
    const app = await resolveApp(client, org, ref);
    const [auth, idps] = await Promise.all([
      client.get<{ environment: string; kind: string; idpId: string | null; externalClientId: string | null }[]>(orgPath(org, 'applications', app.id, 'credentials')),
      client.get<{ id: string; name: string }[]>(orgPath(org, 'identity-providers')),
    ]);
    const names = new Map(idps.map((i) => [i.id, i.name]));
    const rows = auth.filter((a) => a.kind === 'external').map((a) => ({ environment: a.environment, identityProvider: (a.idpId && names.get(a.idpId)) ?? a.idpId, clientId: a.externalClientId }));
    printRows(rows, ['environment', 'identityProvider', 'clientId'], !!opts.json);
  });

  common(
    keys.command('remove <app>').description("Remove the external client ID of an application in one environment (admin or the application's owner)").requiredOption('--env <name>', 'environment'),
  ).action(async (ref: string, opts: Opts & { env: string }) => {
    const { client, org } = ctx(opts);
    const app = await resolveApp(client, org, ref);
    await client.delete(orgPath(org, 'applications', app.id, 'credentials', opts.env, 'external'));
    process.stdout.write(`Removed the external keys of ${app.name} in ${opts.env}\n`);
  });
}
