import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTVerifyGetKey } from 'jose';
import type { SnapshotApi, SnapshotPolicyInstance } from '../../src/gateway/snapshot.js';
import { gatewayAudience } from '../../src/gateway/snapshot.js';

/**
 * A small OAuth2 token endpoint on loopback that counts token requests and can
 * be told to fail in every way the policy must survive. Issues ES256 JWTs
 * (`iss` = its URL) whose `exp` follows the real clock, so the backend can
 * verify them, while the gateway's cache follows `expires_in` and its own clock.
 */
export type IdpMode = 'ok' | 'down' | 'hang' | 'not-json' | 'no-token' | 'invalid-client-echo';

export interface TokenRequestSeen {
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

export interface CountingIdp {
  url: string;
  tokenUrl: string;
  issuer: string;
  jwks: { keys: JWK[] };
  /** Token requests answered or refused so far. */
  readonly count: number;
  readonly requests: TokenRequestSeen[];
  mode: IdpMode;
  /** `expires_in` sent with tokens; undefined: omitted. */
  expiresIn: number | undefined;
  /** While set, token responses wait until `release()`. */
  hold(): void;
  release(): void;
  /** Resolves once `n` token requests have arrived. */
  waitFor(n: number): Promise<void>;
  issued: string[];
  close(): Promise<void>;
}

export interface IdpClient {
  id: string;
  secret: string;
}

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

export async function startCountingIdp(clients: IdpClient[], options: { expiresIn?: number } = {}): Promise<CountingIdp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const kid = 'idp-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  let held: Promise<void> | undefined;
  let releaseHeld: (() => void) | undefined;
  const waiters: { n: number; resolve: () => void }[] = [];
  let seq = 0;

  const state = {
    count: 0,
    requests: [] as TokenRequestSeen[],
    issued: [] as string[],
    mode: 'ok' as IdpMode,
    expiresIn: options.expiresIn as number | undefined,
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.url === '/jwks') return json(res, 200, { keys: [jwk] });
    if (req.url !== '/token' || req.method !== 'POST') return json(res, 404, { error: 'not_found' });
    const form = Object.fromEntries(new URLSearchParams(body));
    state.requests.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
    state.count++;
    for (const w of waiters.filter((w) => state.count >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    if (held) await held;
    switch (state.mode) {
      case 'down':
        return json(res, 503, { error: 'temporarily_unavailable' });
      case 'hang':
        return; // never answers
      case 'not-json':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login</html>');
        return;
      case 'no-token':
        return json(res, 200, { token_type: 'Bearer', expires_in: 3600 });
      case 'invalid-client-echo':
        return json(res, 401, { error: 'invalid_client', error_description: `bad secret ${form.client_secret ?? req.headers.authorization}` });
      default:
        break;
    }
    let id: string | undefined;
    let secret: string | undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString();
      const i = decoded.indexOf(':');
      id = formDecode(decoded.slice(0, i));
      secret = formDecode(decoded.slice(i + 1));
    } else {
      id = form.client_id;
      secret = form.client_secret;
    }
    if (!clients.some((c) => c.id === id && c.secret === secret)) return json(res, 401, { error: 'invalid_client' });
    if (form.grant_type !== 'client_credentials') return json(res, 400, { error: 'unsupported_grant_type' });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ client_id: id, scope: form.scope ?? '', jti: `t-${++seq}` })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(id!)
      .setAudience(form.resource ?? form.audience ?? 'backend')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
    state.issued.push(token);
    const response: Record<string, unknown> = { access_token: token, token_type: 'Bearer' };
    if (state.expiresIn !== undefined) response.expires_in = state.expiresIn;
    return json(res, 200, response);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = url;
  return {
    url,
    issuer,
    tokenUrl: `${url}/token`,
    jwks: { keys: [jwk] },
    get count() {
      return state.count;
    },
    get requests() {
      return state.requests;
    },
    get issued() {
      return state.issued;
    },
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(v) {
      state.expiresIn = v;
    },
    hold() {
      held = new Promise((r) => {
        releaseHeld = r;
      });
    },
    release() {
      held = undefined;
      releaseHeld?.();
    },
    waitFor(n) {
      return state.count >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((r) => {
        releaseHeld?.();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface SeenCall {
  path: string;
  header: string | undefined;
  authorization: string | undefined;
  token: string | undefined;
  claims?: Record<string, unknown>;
}

/**
 * A backend that accepts a request only with a token that verifies against
 * the IdP's keys (issuer and, when given, audience), read from `header`
 * (`Authorization: Bearer …`, or the raw token in a custom header). Tokens in
 * `refused` get 401 even when valid (a backend that revoked them).
 */
export interface TokenBackend {
  url: string;
  calls: SeenCall[];
  refused: Set<string>;
  close(): Promise<void>;
}

export async function startTokenBackend(options: { header: string; issuer: string; audience?: string; jwks: { keys: JWK[] } | string }): Promise<TokenBackend> {
  const keys: JWTVerifyGetKey = typeof options.jwks === 'string' ? createRemoteJWKSet(new URL(options.jwks)) : createLocalJWKSet(options.jwks);
  const calls: SeenCall[] = [];
  const refused = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = req.headers[options.header];
        const value = Array.isArray(raw) ? raw[0] : raw;
        const token = options.header === 'authorization' ? /^Bearer (.+)$/.exec(value ?? '')?.[1] : value;
        const call: SeenCall = { path: req.url!, header: value, authorization: req.headers.authorization, token };
        calls.push(call);
        const deny = (why: string) => {
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
          res.end(JSON.stringify({ backend: 'refused', why }));
        };
        if (!token) return deny('no token');
        if (refused.has(token)) return deny('revoked');
        try {
          const { payload } = await jwtVerify(token, keys, { issuer: options.issuer, audience: options.audience });
          call.claims = payload as Record<string, unknown>;
        } catch (error) {
          return deny((error as Error).message);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, sub: call.claims.sub, bytes: Buffer.concat(chunks).length }));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    refused,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const ORG_ID = 'org-acme';
export const ENV = 'development';

/** An anonymous API (no consumer token needed) whose resources all carry `policies`. */
export function policyApi(id: string, contextPath: string, backendUrl: string, policies: SnapshotPolicyInstance[], orgId = ORG_ID, orgHandle = 'acme'): SnapshotApi {
  const anon = { security: { oauth2: false, scopes: [] as string[] }, policies };
  return {
    id,
    orgId,
    orgHandle,
    name: id,
    contextPath,
    version: 'v1',
    backendUrl,
    audience: gatewayAudience(orgId, ENV),
    cors: null,
    resources: [
      { method: 'GET', path: '/items', ...anon },
      { method: 'POST', path: '/items', ...anon },
    ],
  };
}

export const outbound = (config: Record<string, unknown>): SnapshotPolicyInstance => ({ name: 'outbound-oauth2', version: '1.0.1', phase: 'request', config });
