import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type Clock } from '../../src/shared/clock.js';
import { loadConfig, type Config } from '../../src/shared/config.js';
import { createLogger, type Logger } from '../../src/shared/logger.js';
import { startPlatform, type Platform } from '../../src/platform.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface TestPlatform extends Platform {
  /** The data folder; removed by close(). */
  dataDir: string;
  api: Api;
  /** A signed-in client for the bootstrap admin (personal API token). */
  admin: Api;
  /** Creates a user through the API and returns a client signed in as them. */
  newUser(email: string): Promise<Api>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A tiny HTTP client over real sockets for tests; JSON bodies by default. */
export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  withToken(token: string): Api {
    return new Api(this.base, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token && h.authorization === undefined) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('POST', path, body ?? {}, headers);
  put = <T = any>(path: string, body?: unknown) => this.request<T>('PUT', path, body ?? {});
  patch = <T = any>(path: string, body?: unknown) => this.request<T>('PATCH', path, body ?? {});
  delete = <T = any>(path: string) => this.request<T>('DELETE', path);
}

/** Signs in with a password and returns a client holding a fresh personal API token. */
export async function signIn(api: Api, username: string, password: string): Promise<Api> {
  const login = await fetch(api.base + '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const token = await api.post('/api/v1/me/tokens', { name: 'test' }, { cookie, 'x-csrf-token': csrfToken });
  if (token.status !== 201) throw new Error(`token creation failed: ${token.status} ${token.text}`);
  return api.withToken(token.body.token);
}

export interface TestPlatformOptions {
  clock?: Clock;
  config?: Partial<Config>;
  env?: Record<string, string>;
  /** Where the platform logs; silent by default. */
  logger?: Logger;
  /** The snapshot publisher's fallback poll (ms); 0 turns it off, so only announced changes reach the gateways. */
  snapshotPollMs?: number;
  /** Start as `drawbridge start --change-issuer`. */
  changeIssuer?: boolean;
}

/**
 * Starts the whole platform in-process on ephemeral ports with a fresh SQLite
 * database (or `DRAWBRIDGE_TEST_DATABASE_URL` when a test asks for it).
 */
export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-test-'));
  const config = loadConfig(
    {
      DRAWBRIDGE_DATA_DIR: dataDir,
      DRAWBRIDGE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DRAWBRIDGE_GATEWAYS: 'development=0,production=0',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      // Test backends and IdPs listen on loopback (some on the platform's own port); production's egress
      // policy refuses both. Tests of the policy itself set their own lists.
      DRAWBRIDGE_EGRESS_ALLOW: 'loopback, self',
      ...options.env,
    },
    { port: 0, ...options.config },
  );
  const platform = await startPlatform(config, {
    clock: options.clock,
    snapshotPollMs: options.snapshotPollMs,
    changeIssuer: options.changeIssuer,
    logger: options.logger ?? createLogger('silent'),
    print: () => {},
  });
  const api = new Api(platform.url);
  const admin = await signIn(api, 'admin', ADMIN_PASSWORD);
  let users = 0;
  // Object.assign below replaces platform.close; keep the original to call it.
  const closePlatform = platform.close.bind(platform);
  return Object.assign(platform, {
    dataDir,
    api,
    admin,
    async newUser(email: string): Promise<Api> {
      // Users join through an organization invite; a scratch organization is the door in.
      const scratch = await admin.post('/api/v1/orgs', { name: `Scratch ${++users} ${Date.now()}` });
      const invite = await admin.post(`/api/v1/orgs/${scratch.body.handle}/members`, { email, role: 'developer' });
      if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${invite.text}`);
      const user = await signIn(api, email, invite.body.temporaryPassword);
      await admin.delete(`/api/v1/orgs/${scratch.body.handle}/members/${invite.body.userId}`);
      return user;
    },
    async close() {
      await closePlatform();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export { ManualClock };
