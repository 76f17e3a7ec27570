import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

/**
 * Fixtures for the developer-portal tests: a platform whose public URL is
 * where it really listens (so the URLs the portal hands out work as given),
 * an organization with a developer, and APIs deployed in front of a backend.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPortalPlatform(): Promise<TestPlatform> {
  const port = await freePort();
  return startTestPlatform({
    config: { port },
    env: { DRAWBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`, DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' },
  });
}

/** A backend that echoes what it received. */
export async function echoBackend(): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface PortalOrg {
  handle: string;
  id: string;
  path: string;
  developer: Api;
  developerEmail: string;
}

let orgs = 0;

/** An organization whose environments point at the platform's real gateways, with a developer (not an admin) member. */
export async function portalOrg(platform: TestPlatform): Promise<PortalOrg> {
  const n = ++orgs;
  const created = await platform.admin.post('/api/v1/orgs', { name: `Portal Org ${n} ${Date.now()}` });
  expect(created.status).toBe(201);
  const path = `/api/v1/orgs/${created.body.handle}`;
  for (const env of ['development', 'production']) {
    const gw = platform.runtime.gateway(env)!;
    expect((await platform.admin.patch(`${path}/environments/${env}`, { gatewayUrl: gw.url })).status).toBe(200);
  }
  const developerEmail = `dev${n}-${Date.now()}@portal.test`;
  const developer = await platform.newUser(developerEmail);
  const added = await platform.admin.post(`${path}/members`, { email: developerEmail, role: 'developer' });
  expect(added.status).toBe(201);
  return { handle: created.body.handle, id: created.body.id, path, developer, developerEmail };
}

/** An api-proxy component with a published API deployed to development and promoted to production. */
export async function publishedApi(
  platform: TestPlatform,
  org: PortalOrg,
  name: string,
  backend: string,
  options: { visibility?: 'public' | 'private'; contextPath?: string; version?: string } = {},
): Promise<{ id: string; ref: string }> {
  const component = await platform.admin.post(`${org.path}/projects/default/components`, { type: 'api-proxy', name, displayName: `${name[0]!.toUpperCase()}${name.slice(1)} API` });
  expect(component.status).toBe(201);
  const base = `${org.path}/projects/default/components/${name}/api`;
  const defined = await platform.admin.put(base, {
    contextPath: options.contextPath ?? `/${name}`,
    version: options.version ?? 'v1',
    visibility: options.visibility ?? 'public',
    resources: [{ method: 'GET', path: '/items/{id}', summary: 'One item' }],
    backendUrls: { development: `${backend}/${name}-dev`, production: `${backend}/${name}` },
  });
  expect(defined.status, defined.text).toBe(201);
  expect((await platform.admin.post(`${base}/deployments`, { environment: 'development' })).status).toBe(201);
  expect((await platform.admin.post(`${base}/promote`, {})).status).toBe(201);
  expect((await platform.admin.post(`${base}/lifecycle`, { state: 'published' })).status).toBe(200);
  return { id: component.body.id, ref: `default/${name}` };
}

// --- running a curl command the way a shell would ------------------------------------

/** Splits a POSIX shell command into words: quotes, `\` line continuations and `${VAR}` in double quotes. */
function shellWords(command: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const expand = (name: string) => {
    if (!(name in vars)) throw new Error(`unset shell variable ${name}`);
    return vars[name]!;
  };
  while (i < command.length) {
    const c = command[i]!;
    if (c === '\\' && command[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
      continue;
    }
    word ??= '';
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word += command.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (command[i] !== '"') {
        if (command[i] === '\\' && /["\\$`]/.test(command[i + 1]!)) {
          word += command[i + 1];
          i += 2;
          continue;
        }
        const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(command.slice(i));
        if (m) {
          word += expand(m[1]!);
          i += m[0].length;
          continue;
        }
        if (command[i] === '$') throw new Error('unsupported expansion');
        word += command[i];
        i++;
      }
      i++;
    } else if (c === '\\') {
      word += command[i + 1];
      i += 2;
    } else if (c === '$') {
      throw new Error('unquoted expansion in the command');
    } else {
      word += c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Sends the request a `curl` command describes (the options the portal uses), as curl would. */
export async function runCurl(command: string, vars: Record<string, string>): Promise<{ status: number; body: any }> {
  const words = shellWords(command, vars);
  expect(words[0]).toBe('curl');
  let method = 'GET';
  let url: string | undefined;
  const headers: Record<string, string> = {};
  const data: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-sS' || w === '-s') continue;
    else if (w === '-X') method = words[++i]!;
    else if (w === '-u') headers.authorization = `Basic ${Buffer.from(words[++i]!).toString('base64')}`;
    else if (w === '-H') {
      const h = words[++i]!;
      headers[h.slice(0, h.indexOf(':')).toLowerCase()] = h.slice(h.indexOf(':') + 1).trim();
    } else if (w === '--data-urlencode') {
      const d = words[++i]!;
      const eq = d.indexOf('=');
      data.push(`${d.slice(0, eq)}=${encodeURIComponent(d.slice(eq + 1))}`);
    } else if (w.startsWith('-')) throw new Error(`curl option ${w} not understood by the test`);
    else url = w;
  }
  if (data.length) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  const res = await fetch(url!, { method, headers, body: data.length ? data.join('&') : undefined });
  return { status: res.status, body: await res.json() };
}
