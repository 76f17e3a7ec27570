import type { Command } from 'commander';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { collect } from './app.js';
import { orgOf, orgPath } from './project.js';

interface Opts {
  org?: string;
  project: string;
  json?: boolean;
}

interface EnvParams {
  environment: string;
  deployed: boolean;
  keysCreated: boolean;
  params: Record<string, string>;
}
interface Connection {
  name: string;
  level: string;
  component: string | null;
  api: { ref: string };
  environments: EnvParams[];
}

/** `--map ServiceURL=API_URL` pairs → a mapping of connection parameters to variable names. */
function parseMap(pairs: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of pairs) {
    const m = /^([A-Za-z]+)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(pair);
    if (!m) throw new CliError(`--map ${pair}: expected PARAMETER=VARIABLE, e.g. ServiceURL=API_URL`);
    map.set(m[1]!, m[2]!);
  }
  return map;
}

/** A value safe to `source` in a shell and to read from a .env file: quoted unless plain. */
const shellValue = (v: string): string => (/^[A-Za-z0-9_./:@%+=,-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** `KEY=value` lines for one environment's parameters, names mapped. */
function envLines(params: Record<string, string>, map: Map<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${map.get(k) ?? k}=${shellValue(v)}\n`)
    .join('');
}

function pickEnvironment(connection: Connection, env: string): EnvParams {
  const found = connection.environments.find((e) => e.environment === env);
  if (!found) throw new CliError(`No environment "${env}" (${connection.environments.map((e) => e.environment).join(', ')})`);
  return found;
}

export function register(program: Command): void {
  const connection = program.command('connection').description('Connections from a consumer (component or project) to an API, and their parameters as environment variables');
  const common = (cmd: Command) => cmd.option('--org <handle>', "organization (default: the profile's)").option('--project <name>', 'project', 'default').option('--json', 'JSON output');
  const ctx = (opts: Opts) => {
    const profile = loadProfile();
    const org = orgOf(profile, opts.org);
    return { client: new ApiClient(profile), base: orgPath(org, 'projects', opts.project, 'connections') };
  };

  common(
    connection
      .command('create <name>')
      .description("Connect to a published API: subscribes the consumer's application; keys made now are printed once (ConsumerSecret)")
      .requiredOption('--api <api>', 'API: project/component or its id')
      .option('--component <name>', 'the consumer component (default: a project-level connection)')
      .option('--description <text>', 'description')
      .option('--no-keys', 'do not generate keys in environments that have none')
      .option('--env <name>', "print only this environment's parameters, as KEY=value lines")
      .option('--map <PARAM=VAR>', 'variable name for a parameter, e.g. ServiceURL=API_URL; repeatable', collect, []),
  ).action(async (name: string, opts: Opts & { api: string; component?: string; description?: string; keys: boolean; env?: string; map: string[] }) => {
    const map = parseMap(opts.map);
    const { client, base } = ctx(opts);
    const body = {
      name,
      api: opts.api,
      generateKeys: opts.keys,
      ...(opts.component !== undefined && { component: opts.component }),
      ...(opts.description !== undefined && { description: opts.description }),
    };
    const created = await client.post<Connection>(base, body);
    if (opts.json) return printObject(created as unknown as Record<string, unknown>, true);
    if (opts.env) {
      process.stdout.write(envLines(pickEnvironment(created, opts.env).params, map));
    } else {
      for (const e of created.environments) process.stdout.write(`# ${e.environment}\n${envLines(e.params, map)}`);
    }
    if (created.environments.some((e) => e.keysCreated)) process.stderr.write('ConsumerSecret is shown only now: save it.\n');
  });

  common(connection.command('list').description('Connections of a project').option('--component <name>', "only this component's (- for project-level)")).action(
    async (opts: Opts & { component?: string }) => {
      const { client, base } = ctx(opts);
      const rows = await client.get<Connection[]>(base + (opts.component ? `?component=${encodeURIComponent(opts.component)}` : ''));
      printRows(
        rows.map((c) => ({ ...c, api: c.api.ref, environments: c.environments.map((e) => e.environment) })),
        ['name', 'level', 'component', 'api', 'description', 'createdAt'],
        !!opts.json,
      );
    },
  );

  common(connection.command('get <name>').description('One connection with its parameters per environment')).action(async (name: string, opts: Opts) => {
    const { client, base } = ctx(opts);
    printObject(await client.get(`${base}/${encodeURIComponent(name)}`), !!opts.json);
  });

  common(connection.command('delete <name>').description('Delete a connection (and its subscription unless another connection needs it)')).action(async (name: string, opts: Opts) => {
    const { client, base } = ctx(opts);
    await client.delete(`${base}/${encodeURIComponent(name)}`);
    process.stdout.write(`Connection ${name} deleted\n`);
  });

  common(
    connection
      .command('env <name>')
      .description("Print one environment's connection parameters as KEY=value lines (for `source` or a .env file)")
      .requiredOption('--env <name>', 'environment, e.g. production')
      .option('--map <PARAM=VAR>', 'variable name for a parameter, e.g. ServiceURL=API_URL; repeatable', collect, []),
  ).action(async (name: string, opts: Opts & { env: string; map: string[] }) => {
    const map = parseMap(opts.map);
    const { client, base } = ctx(opts);
    const found = await client.get<Connection>(`${base}/${encodeURIComponent(name)}`);
    process.stdout.write(envLines(pickEnvironment(found, opts.env).params, map));
  });
}
