import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ApiClient, CliError, loadProfile } from '../client.js';
import { printObject, printRows } from '../output.js';
import { prompt, promptSecret } from '../prompt.js';
import { orgOf, orgPath } from './project.js';

interface Common {
  org?: string;
  project: string;
  json?: boolean;
}
interface ParamOpts {
  param: string[];
  secretParam: string[];
  paramsFile?: string;
}

type ParamBody = Record<string, string | { value: string; secret: boolean }>;

const collect = (value: string, previous: string[]) => [...previous, value];

function readStructured(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function pair(text: string, flag: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new CliError(`${flag} expects name=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Parameters from `--params-file` (JSON/YAML object: name → value or {value, secret}), then `--param`/`--secret-param`. */
function paramsOf(opts: ParamOpts): ParamBody {
  const out: ParamBody = {};
  if (opts.paramsFile) {
    const doc = readStructured(opts.paramsFile);
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`${opts.paramsFile} must hold an object of name: value`);
    for (const [k, v] of Object.entries(doc)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else if (v && typeof v === 'object' && 'value' in v) out[k] = { value: String((v as { value: unknown }).value), secret: !!(v as { secret?: unknown }).secret };
      else throw new CliError(`${opts.paramsFile}: ${k} must be a value or {value, secret}`);
    }
  }
  for (const p of opts.param) {
    const [k, v] = pair(p, '--param');
    out[k] = v;
  }
  for (const p of opts.secretParam) {
    const [k, v] = pair(p, '--secret-param');
    out[k] = { value: v, secret: true };
  }
  return out;
}

const withParams = (cmd: Command) =>
  cmd
    .option('--param <name=value>', 'parameter value (repeatable)', collect, [])
    .option('--secret-param <name=value>', 'secret parameter value, encrypted at rest (repeatable)', collect, [])
    .option('--params-file <file>', 'JSON or YAML object of parameters (name: value, or name: {value, secret: true})');

function printDeployment(d: Record<string, unknown>, json: boolean): void {
  if (json) {
    printObject(d, true);
    return;
  }
  const params = Object.entries((d.params ?? {}) as Record<string, { secret: boolean; value?: string }>)
    .map(([k, p]) => (p.secret ? `${k}=(secret)` : `${k}=${p.value}`))
    .join(' ');
  printObject({ environment: d.environment, revision: d.revision, status: d.status, endpoint: d.endpointUrl, backend: d.backendUrl, params, deployedBy: d.deployedBy, createdAt: d.createdAt }, false);
}

export function register(program: Command): void {
  const api = program.command('api').description('APIs of api-proxy components: define, import, publish, deploy, promote, roll back');
  const common = (cmd: Command) => cmd.option('--project <name>', 'project', 'default').option('--org <handle>', "organization (default: the profile's)").option('--json', 'JSON output');
  const ctx = (component: string, opts: Common) => {
    const profile = loadProfile();
    return { client: new ApiClient(profile), base: orgPath(orgOf(profile, opts.org), 'projects', opts.project, 'components', component, 'api') };
  };

  common(
    api
      .command('define <component>')
      .description('Define or replace the API of an api-proxy component (from a JSON/YAML file and/or flags)')
      .option('--file <file>', 'definition: contextPath, version, resources, backendUrls, cors, policies, visibility')
      .option('--context <path>', 'context path, e.g. /orders')
      .option('--api-version <version>', 'API version, e.g. v1')
      .option('--visibility <visibility>', 'public | private')
      .option('--backend <env=url>', 'backend URL of an environment (repeatable)', collect, []),
  ).action(async (component: string, opts: Common & { file?: string; context?: string; apiVersion?: string; visibility?: string; backend: string[] }) => {
    const { client, base } = ctx(component, opts);
    const body = { ...((opts.file ? readStructured(opts.file) : {}) as Record<string, unknown>) };
    if (opts.context) body.contextPath = opts.context;
    if (opts.apiVersion) body.version = opts.apiVersion;
    if (opts.visibility) body.visibility = opts.visibility;
    if (opts.backend.length) body.backendUrls = { ...(body.backendUrls as Record<string, string> | undefined), ...Object.fromEntries(opts.backend.map((b) => pair(b, '--backend'))) };
    printObject(await client.put<Record<string, unknown>>(base, body), !!opts.json);
  });

  common(
    api
      .command('import <component> <openapi-file>')
      .description("Replace the API's resources with those of an OpenAPI 3 document (JSON or YAML)")
      .option('--context <path>', 'context path (needed when the API is not defined yet)')
      .option('--api-version <version>', 'API version (needed when the API is not defined yet)'),
  ).action(async (component: string, file: string, opts: Common & { context?: string; apiVersion?: string }) => {
    const { client, base } = ctx(component, opts);
    let document: string;
    try {
      document = readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
    }
    const body = { document, ...(opts.context && { contextPath: opts.context }), ...(opts.apiVersion && { version: opts.apiVersion }) };
    const result = await client.post<{ resources: { method: string; path: string; security: { oauth2: boolean; scopes: string[] } }[] }>(`${base}/import`, body);
    if (opts.json) return printObject(result as unknown as Record<string, unknown>, true);
    printRows(
      result.resources.map((r) => ({ method: r.method, path: r.path, oauth2: r.security.oauth2, scopes: r.security.scopes })),
      ['method', 'path', 'oauth2', 'scopes'],
      false,
    );
  });

  common(api.command('show <component>').description('Show the API definition and where each environment serves it')).action(async (component: string, opts: Common) => {
    const { client, base } = ctx(component, opts);
    printObject(await client.get<Record<string, unknown>>(base), !!opts.json);
  });

  for (const [name, state, text] of [
    ['publish', 'published', 'Publish the API (consumers may subscribe)'],
    ['deprecate', 'deprecated', 'Deprecate the API (no new subscriptions)'],
  ] as const) {
    common(api.command(`${name} <component>`).description(text)).action(async (component: string, opts: Common) => {
      const { client, base } = ctx(component, opts);
      const result = await client.post<Record<string, unknown>>(`${base}/lifecycle`, { state });
      if (opts.json) printObject(result, true);
      else process.stdout.write(`API ${component} is ${String(result.lifecycle)}\n`);
    });
  }

  common(
    api
      .command('attach <component> <policy>')
      .description('Attach a policy (name@version) to resources or to all of them; config values may be ${param}')
      .option('--resource <key>', 'resource like "GET /items/{id}" (repeatable; default: all)', collect, [])
      .option('--phase <phase>', 'request | response')
      .option('--config <file>', 'policy config as a JSON/YAML file'),
  ).action(async (component: string, policy: string, opts: Common & { resource: string[]; phase?: string; config?: string }) => {
    const { client, base } = ctx(component, opts);
    const body = { policy, resources: opts.resource.length ? opts.resource : 'all', ...(opts.phase && { phase: opts.phase }), config: opts.config ? readStructured(opts.config) : {} };
    printObject(await client.post<Record<string, unknown>>(`${base}/policies`, body), !!opts.json);
  });

  withParams(
    common(
      api
        .command('deploy <component>')
        .description('Deploy the current definition (or --revision N) to an environment')
        .requiredOption('--env <name>', 'environment, e.g. development')
        .option('--revision <n>', 'deploy an existing revision')
        .option('--backend <url>', "backend URL (default: the API's for this environment)"),
    ),
  ).action(async (component: string, opts: Common & ParamOpts & { env: string; revision?: string; backend?: string }) => {
    const { client, base } = ctx(component, opts);
    const body = { environment: opts.env, params: paramsOf(opts), ...(opts.revision && { revision: Number(opts.revision) }), ...(opts.backend && { backendUrl: opts.backend }) };
    printDeployment(await client.post<Record<string, unknown>>(`${base}/deployments`, body), !!opts.json);
  });

  withParams(
    common(
      api
        .command('promote <component>')
        .description('Deploy the revision running in one environment to the next one; prompts for parameters not given')
        .option('--from <env>', 'source environment (default: the first)')
        .option('--backend <url>', "backend URL in the target environment (default: the API's)"),
    ),
  ).action(async (component: string, opts: Common & ParamOpts & { from?: string; backend?: string }) => {
    const { client, base } = ctx(component, opts);
    const needs = await client.get<{ to: string; revision: number; parameters: { name: string; secret: boolean; value?: string }[] }>(
      `${base}/promotion${opts.from ? `?from=${encodeURIComponent(opts.from)}` : ''}`,
    );
    const params = paramsOf(opts);
    for (const p of needs.parameters) {
      const given = params[p.name];
      // Secret here (a policy forces it, or it was secret where it is promoted from): sent as secret even when given with --param.
      if (typeof given === 'string' && p.secret) params[p.name] = { value: given, secret: true };
      if (given !== undefined) continue;
      const question = `${p.name} for ${needs.to}${p.value !== undefined ? ` [${p.value}]` : ''}: `;
      const answer = p.secret ? await promptSecret(question) : await prompt(question);
      params[p.name] = p.secret ? { value: answer, secret: true } : answer === '' && p.value !== undefined ? p.value : answer;
    }
    const body = { params, ...(opts.from && { from: opts.from }), ...(opts.backend && { backendUrl: opts.backend }) };
    printDeployment(await client.post<Record<string, unknown>>(`${base}/promote`, body), !!opts.json);
  });

  common(
    api
      .command('rollback <component>')
      .description('Redeploy the previous deployment of an environment (or the latest of --revision) with the values it had there')
      .requiredOption('--env <name>', 'environment')
      .option('--revision <n>', 'revision (default: whatever ran before the active deployment)'),
  ).action(async (component: string, opts: Common & { env: string; revision?: string }) => {
    const { client, base } = ctx(component, opts);
    printDeployment(await client.post<Record<string, unknown>>(`${base}/rollback`, { environment: opts.env, ...(opts.revision && { revision: Number(opts.revision) }) }), !!opts.json);
  });

  common(api.command('deployments <component>').description('Deployment history, newest first').option('--env <name>', 'one environment')).action(
    async (component: string, opts: Common & { env?: string }) => {
      const { client, base } = ctx(component, opts);
      const rows = await client.get<Record<string, unknown>[]>(`${base}/deployments${opts.env ? `?environment=${encodeURIComponent(opts.env)}` : ''}`);
      printRows(rows, ['environment', 'revision', 'status', 'endpointUrl', 'deployedBy', 'createdAt'], !!opts.json);
    },
  );
}
