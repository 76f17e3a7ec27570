import { request as httpRequest } from 'node:http';
import { BlockList } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { addressList } from '../../src/shared/address-list.js';
import { loadConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { startGateway } from '../../src/gateway/server.js';
import { api, rawRequest, snapshot, startBackend, startTestGateway, type Backend, type TestGateway } from './helpers.js';

const ANON = { security: { oauth2: false, scopes: [] }, policies: [] };
const PATH = '/acme/orders/v1/public';

/** Sends claimed X-Forwarded-* headers and returns what the backend saw. */
async function forwarded(gw: TestGateway, headers: string): Promise<Record<string, string>> {
  const res = await rawRequest(gw.url, `GET ${PATH} HTTP/1.1\r\nHost: gw.example:8080\r\n${headers}Connection: close\r\n\r\n`);
  expect(res.status).toBe(200);
  return JSON.parse(res.body).headers;
}

const CLAIMS = 'X-Forwarded-For: 203.0.113.9, 10.1.1.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n';

describe('X-Forwarded-* and trusted proxies', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let backend: Backend;
  const gateways: TestGateway[] = [];
  const start = async (options: Parameters<typeof startTestGateway>[1]) => {
    const gw = await startTestGateway(snapshot([], [api(backend.url, { resources: [{ method: 'GET', path: '/public', ...ANON }] })]), options);
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.close();
    await backend?.close();
  });

  it("by default no peer is trusted: X-Forwarded-For is the peer, Proto and Host are the gateway's own view", async () => {
    const gw = await start({ clock });
    const seen = await forwarded(gw, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('gw.example:8080');
  });

  it('forwardedProto sets the scheme the gateway reports for untrusted peers', async () => {
    const gw = await start({ clock, forwardedProto: 'https' });
    const seen = await forwarded(gw, 'X-Forwarded-Proto: http\r\n');
    expect(seen['x-forwarded-proto']).toBe('https');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('a trusted peer: X-Forwarded-For is appended to, its Proto and Host are kept', async () => {
    const gw = await start({ clock, trustedProxies: ['10.0.0.0/8', '127.0.0.0/8'] });
    const seen = await forwarded(gw, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('203.0.113.9, 10.1.1.1, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('https');
    expect(seen['x-forwarded-host']).toBe('shop.example');
    // A trusted peer that sends none: the gateway's own values.
    const bare = await forwarded(gw, '');
    expect(bare['x-forwarded-for']).toBe('127.0.0.1');
    expect(bare['x-forwarded-proto']).toBe('http');
    expect(bare['x-forwarded-host']).toBe('gw.example:8080');
  });

  it('a peer outside the trusted list is not believed', async () => {
    const gw = await start({ clock, trustedProxies: ['10.0.0.0/8', '::1', '192.0.2.7'] });
    const seen = await forwarded(gw, CLAIMS);
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('gw.example:8080');
  });

  it('IPv6 peers and CIDRs', async () => {
    const trusted = await start({ clock, host: '::1', trustedProxies: ['fd00::/8', '::1/128'] });
    const untrusted = await start({ clock, host: '::1', trustedProxies: ['fd00::/8', '127.0.0.1'] });
    const viaV6 = (gw: TestGateway) =>
      new Promise<Record<string, string>>((resolve, reject) => {
        const req = httpRequest({ host: '::1', port: gw.port, path: PATH, headers: { 'x-forwarded-for': '2001:db8::1', 'x-forwarded-proto': 'https' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve(JSON.parse(text).headers));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await viaV6(trusted)).toMatchObject({ 'x-forwarded-for': '2001:db8::1, ::1', 'x-forwarded-proto': 'https' });
    expect(await viaV6(untrusted)).toMatchObject({ 'x-forwarded-for': '::1', 'x-forwarded-proto': 'http' });
  });

  it('the trust decision is made per connection, not re-checked per request: keep-alive requests share it', async () => {
    const gw = await start({ clock, trustedProxies: ['127.0.0.1'] });
    const text = `GET ${PATH} HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.1\r\n\r\nGET ${PATH} HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.2\r\nConnection: close\r\n\r\n`;
    const before = backend.requests.length;
    const check = vi.spyOn(BlockList.prototype, 'check');
    try {
      await rawRequest(gw.url, text);
      // Two requests on one connection, one look-up in the trusted list.
      expect(check).toHaveBeenCalledTimes(1);
    } finally {
      check.mockRestore();
    }
    expect(backend.requests.slice(before).map((r) => r.headers['x-forwarded-for'])).toEqual(['198.51.100.1, 127.0.0.1', '198.51.100.2, 127.0.0.1']);
  });

  it('a bad trusted-proxy entry makes the listener refuse to start', async () => {
    const options = { environment: 'development', port: 0, logger: createLogger('silent') };
    await expect(startGateway({ ...options, trustedProxies: ['10.0.0.0/8', '10.0.0.0/33'] })).rejects.toThrow(
      new ConfigError('trustedProxies[1]', 'must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8), got "10.0.0.0/33"'),
    );
    await expect(startGateway({ ...options, forwardedProto: 'ftp' as 'http' })).rejects.toThrow('forwardedProto: must be http or https, got "ftp"');
  });
});

describe('gateway settings in the configuration', () => {
  it('DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: IPs and CIDRs, IPv4 and IPv6, empty by default', () => {
    expect(loadConfig({}).gatewayTrustedProxies).toEqual([]);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: '' }).gatewayTrustedProxies).toEqual([]);
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: ' 10.0.0.0/8, 192.0.2.7 ,fd00::/8,::1 ' }).gatewayTrustedProxies).toEqual(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1']);
  });

  it.each([
    ['10.0.0.0/8,proxy.internal', 1, 'proxy.internal'],
    ['10.0.0.300', 0, '10.0.0.300'],
    ['10.0.0.0/33', 0, '10.0.0.0/33'],
    ['fd00::/129', 0, 'fd00::/129'],
    ['10.0.0.0/', 0, '10.0.0.0/'],
    ['10.0.0.0/8/8', 0, '10.0.0.0/8/8'],
    ['10.0.0.0/-1', 0, '10.0.0.0/-1'],
  ])('refuses %j, naming the variable and the entry', (raw, index, entry) => {
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES: raw })).toThrow(
      `DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES[${index}]: must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8), got ${JSON.stringify(entry)}`,
    );
  });

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 peers', () => {
    const list = addressList(['10.0.0.0/8', 'fd00::/8']);
    expect(list.check('10.200.0.1', 'ipv4')).toBe(true);
    expect(list.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
    expect(list.check('::ffff:10.0.0.1', 'ipv6')).toBe(true);
  });

  it('DRAWBRIDGE_GATEWAY_FORWARDED_PROTO: http (default) or https', () => {
    expect(loadConfig({}).gatewayForwardedProto).toBe('http');
    expect(loadConfig({ DRAWBRIDGE_GATEWAY_FORWARDED_PROTO: 'https' }).gatewayForwardedProto).toBe('https');
    expect(() => loadConfig({ DRAWBRIDGE_GATEWAY_FORWARDED_PROTO: 'wss' })).toThrow('DRAWBRIDGE_GATEWAY_FORWARDED_PROTO: must be http or https, got "wss"');
    expect(() => loadConfig({}, { gatewayTrustedProxies: ['nope'] })).toThrow(ConfigError);
  });
});
