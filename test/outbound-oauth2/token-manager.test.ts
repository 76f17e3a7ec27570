import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenManager } from '../../src/gateway/policies/outbound-oauth2/token-manager.js';
import { basicCredentials, type TokenSpec } from '../../src/gateway/policies/outbound-oauth2/token-request.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';

/** The token manager on its own, against a token endpoint whose answer each test sets. */
describe('outbound-oauth2 token manager', () => {
  let server: Server;
  let tokenUrl: string;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  const spec = (over: Partial<TokenSpec> = {}): TokenSpec => ({ orgId: 'org-1', tokenUrl, clientId: 'c', clientSecret: 's', authMethod: 'client_secret_basic', timeoutMs: 1000, ...over });
  const manager = (clock: ManualClock) => new TokenManager({ clock, logger: createLogger('silent') });

  it('encodes Basic credentials form-urlencoded first (RFC 6749 §2.3.1)', () => {
    expect(basicCredentials('a b:c', 'p+q/r=%')).toBe(`Basic ${Buffer.from('a+b%3Ac:p%2Bq%2Fr%3D%25').toString('base64')}`);
  });

  it('accepts expires_in as a numeric string', async () => {
    const clock = new ManualClock();
    const m = manager(clock);
    answer = { status: 200, body: { access_token: 'tok-1', token_type: 'bearer', expires_in: '100' } };
    const entry = m.entry(spec());
    expect(await entry.get()).toBe('tok-1');
    clock.advance(89_000);
    expect(entry.peek()).toBe('tok-1');
    clock.advance(2_000);
    expect(entry.peek()).toBeUndefined();
    await m.close();
  });

  it('refuses a token that is not a bearer token, or one that could not go into a header', async () => {
    const m = manager(new ManualClock());
    answer = { status: 200, body: { access_token: 'tok-2', token_type: 'DPoP', expires_in: 100 } };
    await expect(m.entry(spec({ scope: 'dpop' })).get()).rejects.toMatchObject({ status: 502, code: 'bad_gateway', detail: 'token endpoint issued a token that is not a bearer token' });
    answer = { status: 200, body: { access_token: 'tok\r\nx-injected: 1', expires_in: 100 } };
    await expect(m.entry(spec({ scope: 'crlf' })).get()).rejects.toMatchObject({ status: 502, detail: 'token endpoint answered 200 without a usable access_token' });
    await m.close();
  });

  it('the same credentials share an entry; a changed secret, scope, audience or organization does not', () => {
    const m = manager(new ManualClock());
    const a = m.entry(spec());
    expect(m.entry(spec())).toBe(a);
    for (const other of [{ clientSecret: 's2' }, { scope: 'x' }, { audience: 'y' }, { resource: 'urn:z' }, { orgId: 'org-2' }, { clientId: 'c2' }, { authMethod: 'client_secret_post' as const }]) {
      expect(m.entry(spec(other))).not.toBe(a);
    }
    expect(TokenManager.keyOf(spec())).not.toContain('"s"'); // the secret is in the key only as a hash
  });

  it('forgets entries of credentials nobody has used for a day', async () => {
    const clock = new ManualClock();
    const m = manager(clock);
    answer = { status: 200, body: { access_token: 'tok-3', expires_in: 60 } };
    const old = m.entry(spec({ clientSecret: 'old' }));
    await old.get();
    clock.advance(3_600_000);
    m.entry(spec({ clientSecret: 'new' }));
    expect(m.size).toBe(2); // still within a day
    clock.advance(86_400_000);
    m.entry(spec({ clientSecret: 'new' }));
    expect(m.size).toBe(1);
    await m.close();
  });

  it('a forced refresh that yields the same token does not retry', async () => {
    const clock = new ManualClock();
    const m = manager(clock);
    answer = { status: 200, body: { access_token: 'same-token', expires_in: 3600 } };
    const entry = m.entry(spec({ scope: 'same' }));
    expect(await entry.get()).toBe('same-token');
    const before = requests;
    clock.advance(10_000);
    expect(await entry.replace('same-token')).toBeUndefined();
    expect(requests).toBe(before + 1);
    await m.close();
  });
});
