import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/server.js';
import { gatewayAudience, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotApi, type SnapshotJwk } from '../../src/gateway/snapshot.js';

export const ISSUER = 'http://127.0.0.1:9090';
export const ENV = 'development';
export const ORG_ID = 'org-acme';
export const APP_ID = 'app-1';
export const CLIENT_ID = 'client-1';
const API_ID = 'api-orders';

export interface Signer {
  jwk: SnapshotJwk;
  sign(claims?: JWTPayload, header?: Record<string, unknown>): Promise<string>;
}

export async function newSigner(clock: ManualClock, kid = 'key-1'): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as SnapshotJwk;
  return { jwk, sign: (claims, header) => signWith(privateKey, clock, kid, claims, header) };
}

let counter = 0;
/** A platform access token with the claims contract of the BRIEF; override any claim or header. */
async function signWith(key: CryptoKey, clock: ManualClock, kid: string, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  const payload: JWTPayload = {
    iss: ISSUER,
    sub: CLIENT_ID,
    aud: gatewayAudience(ORG_ID, ENV),
    client_id: CLIENT_ID,
    scope: 'orders:read',
    iat: now,
    exp: now + 3600,
    jti: `jti-${++counter}`,
    org_id: ORG_ID,
    env: ENV,
    app_id: APP_ID,
    ...claims,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header }).sign(key);
}

export function api(backendUrl: string, overrides: Partial<SnapshotApi> = {}): SnapshotApi {
  return {
    id: API_ID,
    orgId: ORG_ID,
    orgHandle: 'acme',
    name: 'Orders',
    contextPath: '/orders',
    version: 'v1',
    backendUrl,
    audience: gatewayAudience(ORG_ID, ENV),
    cors: null,
    resources: [
      { method: 'GET', path: '/items', security: { oauth2: true, scopes: ['orders:read'] }, policies: [] },
      { method: 'GET', path: '/items/{id}', security: { oauth2: true, scopes: ['orders:read'] }, policies: [] },
      { method: 'POST', path: '/items', security: { oauth2: true, scopes: ['orders:write'] }, policies: [] },
      { method: 'PUT', path: '/items/{id}', security: { oauth2: true, scopes: [] }, policies: [] },
      { method: 'GET', path: '/public', security: { oauth2: false, scopes: [] }, policies: [] },
      { method: 'POST', path: '/public', security: { oauth2: false, scopes: [] }, policies: [] },
      { method: 'GET', path: '/{anything}', security: { oauth2: true, scopes: [] }, policies: [] },
      { method: 'GET', path: '/admin', security: { oauth2: true, scopes: ['orders:admin'] }, policies: [] },
    ],
    ...overrides,
  };
}

export function snapshot(keys: SnapshotJwk[], apis: SnapshotApi[], overrides: Partial<GatewaySnapshot> = {}): GatewaySnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version: 1,
    generatedAt: '2026-01-01T00:00:00.000Z',
    environment: ENV,
    issuer: ISSUER,
    keys,
    apis,
    subscriptions: { [APP_ID]: [API_ID] },
    clients: { builtin: { [CLIENT_ID]: APP_ID }, external: [] },
    identityProviders: [],
    revokedTokens: [],
    ...overrides,
  };
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface Backend {
  url: string;
  server: Server;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[]; body: string }[];
  /** Per-path (exact) behaviours; default: echo as JSON. */
  routes: Map<string, BackendHandler>;
  close(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const requests: Backend['requests'] = [];
  const routes = new Map<string, BackendHandler>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const custom = routes.get(path);
    if (custom && custom.length < 3) {
      // streaming handlers read the body themselves
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: '' });
      custom(req, res, Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString() });
      if (custom) return custom(req, res, body);
      const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': 'yes', connection: 'keep-alive, x-secret-hop', 'x-secret-hop': 'no', 'keep-alive': 'timeout=5' });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    routes,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface TestGateway extends Gateway {
  dataDir: string;
  clock: ManualClock;
}

export async function startTestGateway(initial: GatewaySnapshot | undefined, options: Partial<GatewayOptions> & { clock: ManualClock }): Promise<TestGateway> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'drawbridge-gw-'));
  const gateway = await startGateway({
    environment: ENV,
    port: 0,
    host: '127.0.0.1',
    logger: createLogger('silent'),
    dataDir,
    snapshotSource: initial ? { load: async () => initial } : undefined,
    ...options,
  });
  const closeGateway = gateway.close;
  return Object.assign(gateway, {
    dataDir,
    clock: options.clock,
    async close() {
      await closeGateway();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Reads one sample of the gateway's Prometheus metrics (0 when absent). */
export async function metric(gatewayUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/_drawbridge/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const found = Object.fromEntries(
      labelText.split(',').map((kv) => {
        const [k, v] = kv.split('=');
        return [k, v!.slice(1, -1)];
      }),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.indexOf('}') + 2));
  }
  return 0;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes as they are (fetch would normalize the path and headers first)
 * and reads one response; `Connection: close` is expected in `text`.
 */
export async function rawRequest(url: string, text: string): Promise<RawResponse> {
  const { port } = new URL(url);
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = rest.join('\r\n\r\n');
      if (headers['transfer-encoding'] === 'chunked') {
        let out = '';
        let rem = body;
        for (;;) {
          const nl = rem.indexOf('\r\n');
          const size = parseInt(rem.slice(0, nl), 16);
          if (!size) break;
          out += rem.slice(nl + 2, nl + 2 + size);
          rem = rem.slice(nl + 2 + size + 2);
        }
        body = out;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

/** A loopback port nothing listens on (bound, then released): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
