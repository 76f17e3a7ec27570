import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { MasterKey } from '../../src/shared/crypto.js';
import { ConfigError } from '../../src/shared/errors.js';
import { snapshotFile } from '../../src/gateway/holder.js';
import { policyCatalogue, registerPolicy, validatePolicyInstance } from '../../src/gateway/policies/index.js';
import { SEALED_SECRET_CONTEXT, type SnapshotPolicyInstance, type SnapshotResource } from '../../src/gateway/snapshot.js';
import { api, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from './helpers.js';

/**
 * A policy exercising the retry contract the outbound OAuth2 policy needs: it
 * sets a backend credential, and on a backend 401 swaps it and asks for one retry.
 */
const unauthorizedCalls: string[] = [];
registerPolicy({
  schema: {
    name: 'test-backend-credential',
    version: '1.0.0',
    displayName: 'Test credential',
    description: 'test only',
    phases: ['request'],
    fields: [
      { name: 'header', type: 'header-name', description: 'where', required: true },
      { name: 'secret', type: 'string', description: 'credential', required: true, secret: true },
    ],
  },
  create(config, deps) {
    const state = deps.shared('test-backend-credential', () => ({ generation: 1 }));
    const header = config.header as string;
    const secret = config.secret as string;
    return {
      onRequest: (ctx) => {
        ctx.upstreamHeaders[header] = `${secret}-${state.generation}`;
      },
      onBackendUnauthorized: (ctx) => {
        unauthorizedCalls.push(ctx.requestId);
        state.generation++;
        ctx.upstreamHeaders[header] = `${secret}-${state.generation}`;
        return true;
      },
    };
  },
});

describe('gateway policies', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const masterKey = MasterKey.fromBytes(Buffer.alloc(32, 7));
  let backend: Backend;
  let gw: TestGateway;
  let signer: Signer;

  const anon = (method: SnapshotResource['method'], path: string, policies: SnapshotPolicyInstance[]): SnapshotResource => ({ method, path, security: { oauth2: false, scopes: [] }, policies });

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
    const sealed = { $sealed: masterKey.encrypt('s3cret-value', SEALED_SECRET_CONTEXT) };
    gw = await startTestGateway(
      snapshot(
        [signer.jwk],
        [
          api(backend.url, {
            resources: [
              anon('GET', '/headers', [
                {
                  name: 'set-headers',
                  version: '1.0.0',
                  phase: 'request',
                  config: {
                    headers: [
                      { name: 'X-Api-Key', value: 'backend-key' },
                      { name: 'x-custom', value: 'replaced' },
                    ],
                  },
                },
                { name: 'remove-headers', version: '1.0.0', phase: 'request', config: { headers: ['X-Remove-Me'] } },
                { name: 'set-headers', version: '1.0.0', phase: 'response', config: { headers: [{ name: 'Strict-Transport-Security', value: 'max-age=63072000' }] } },
                { name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['x-backend'] } },
              ]),
              anon('POST', '/protected-backend', [{ name: 'test-backend-credential', version: '1.0.0', phase: 'request', config: { header: 'x-backend-auth', secret: sealed } }]),
              { method: 'GET', path: '/items', security: { oauth2: true, scopes: [] }, policies: [] },
            ],
          }),
        ],
      ),
      { clock, masterKey, limits: { replayBodyBytes: 64 } },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
  });

  it('set-headers and remove-headers change the request and the response', async () => {
    const res = await fetch(`${gw.url}/acme/orders/v1/headers`, { headers: { 'x-custom': 'original', 'x-remove-me': 'bye', 'x-stay': 'here' } });
    expect(res.status).toBe(200);
    const seen = ((await res.json()) as any).headers;
    expect(seen['x-api-key']).toBe('backend-key');
    expect(seen['x-custom']).toBe('replaced');
    expect(seen['x-remove-me']).toBeUndefined();
    expect(seen['x-stay']).toBe('here');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000');
    expect(res.headers.get('x-backend')).toBeNull();
  });

  it('a request policy retries once after a backend 401 when the body was kept; sealed secrets are opened', async () => {
    backend.routes.set('/protected-backend', (req, res, body) => {
      if (req.headers['x-backend-auth'] !== 's3cret-value-2') {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('nope');
        return;
      }
      res.end(`ok:${body.toString()}`);
    });
    const before = backend.requests.length;
    const res = await fetch(`${gw.url}/acme/orders/v1/protected-backend`, { method: 'POST', body: 'small body' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok:small body');
    const sent = backend.requests.slice(before);
    expect(sent.map((r) => [r.headers['x-backend-auth'], r.body])).toEqual([
      ['s3cret-value-1', 'small body'],
      ['s3cret-value-2', 'small body'],
    ]);
  });

  it('a body too large to keep is not retried: the 401 goes back as it came', async () => {
    backend.routes.set('/protected-backend', (_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('still no');
    });
    const calls = unauthorizedCalls.length;
    const res = await fetch(`${gw.url}/acme/orders/v1/protected-backend`, { method: 'POST', body: 'x'.repeat(100) });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('still no');
    expect(unauthorizedCalls.length).toBe(calls);
  });

  it('the saved snapshot file holds the secret sealed, never in clear', async () => {
    const text = readFileSync(snapshotFile(gw.dataDir, 'development'), 'utf8');
    expect(text).toContain('$sealed');
    expect(text).not.toContain('s3cret-value');
  });

  it('a policy config error leaves that API out (the rest of the snapshot loads; see snapshot.test.ts for the logged path)', async () => {
    const bad = snapshot(
      [signer.jwk],
      [
        api(backend.url, {
          resources: [
            anon('GET', '/headers', [
              {
                name: 'set-headers',
                version: '1.0.0',
                phase: 'request',
                config: {
                  headers: [
                    { name: 'x-ok', value: 'v' },
                    { name: 'bad header', value: 'v' },
                  ],
                },
              },
            ]),
          ],
        }),
      ],
      { version: 99 },
    );
    const other = await startTestGateway(undefined, { clock });
    try {
      await other.setSnapshot(bad);
      expect(other.status().snapshot).toMatchObject({ version: 99, apis: 0 });
      expect((await fetch(`${other.url}/acme/orders/v1/headers`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });

  it('validation: gateway-owned headers, unknown fields, unknown policies and versions, wrong phase', () => {
    const at = 'resources[0].policies[0]';
    expect(() => validatePolicyInstance({ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: 'Content-Length', value: '1' }] } }, at)).toThrow(
      new ConfigError(`${at}.config.headers[0].name`, 'header "Content-Length" is managed by the gateway and cannot be used here'),
    );
    expect(() => validatePolicyInstance({ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [], extra: 1 } }, at)).toThrow(
      new ConfigError(`${at}.config.extra`, 'is not a known setting of this policy'),
    );
    expect(() => validatePolicyInstance({ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [] } }, at)).toThrow(
      new ConfigError(`${at}.config.headers`, 'must have at least 1 item(s)'),
    );
    expect(() => validatePolicyInstance({ name: 'set-headers', version: '1.0.0', phase: 'request', config: { headers: [{ name: 'x-a', value: 'line\nbreak' }] } }, at)).toThrow(
      new ConfigError(`${at}.config.headers[0].value`, 'must match ^[\\t\\x20-\\x7e]*$'),
    );
    expect(() => validatePolicyInstance({ name: 'set-headers', version: '9.0.0', phase: 'request', config: {} }, at)).toThrow(
      new ConfigError(`${at}.name`, 'policy set-headers has no version 9.0.0 (known: 1.0.0)'),
    );
    expect(() => validatePolicyInstance({ name: 'nope', version: '1.0.0', phase: 'request', config: {} }, at)).toThrow(new ConfigError(`${at}.name`, 'unknown policy "nope"'));
    expect(() => validatePolicyInstance({ name: 'test-backend-credential', version: '1.0.0', phase: 'response', config: {} }, at)).toThrow(
      new ConfigError(`${at}.phase`, 'policy test-backend-credential runs in the request phase, not "response"'),
    );
    expect(validatePolicyInstance({ name: 'remove-headers', version: '1.0.0', phase: 'response', config: { headers: ['X-A'] } }, at)).toEqual({ headers: ['x-a'] });
  });

  it('the catalogue lists every registered policy with its schema', () => {
    const catalogue = policyCatalogue();
    const setHeaders = catalogue.find((p) => p.name === 'set-headers');
    expect(setHeaders).toMatchObject({ version: '1.0.0', phases: ['request', 'response'] });
    expect(setHeaders!.fields[0]).toMatchObject({ name: 'headers', type: 'array', required: true });
    expect(catalogue.map((p) => `${p.name}@${p.version}`)).toEqual(expect.arrayContaining(['set-headers@1.0.0', 'remove-headers@1.0.0']));
    expect(JSON.parse(JSON.stringify(catalogue))).toEqual(catalogue);
  });
});
