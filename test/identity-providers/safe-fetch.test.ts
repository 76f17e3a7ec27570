import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressRestriction } from '../../src/shared/ip-address.js';
import { checkFetchTarget, SAFE_FETCH_DEFAULTS, safeFetchJson, SafeFetchError } from '../../src/shared/safe-fetch.js';

/** The fetcher for discovery and JWKS: every refusal has a stable code and says why. */
describe('safe fetch (SSRF guard for IdP URLs)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/ok') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (path === '/to-metadata') return void res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/' }).end();
      if (path === '/to-localhost') return void res.writeHead(307, { location: `https://localhost:${(server.address() as AddressInfo).port}/ok` }).end();
      if (path === '/to-ok') return void res.writeHead(301, { location: '/ok' }).end();
      if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      if (path === '/huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = 'x'.repeat(64 * 1024);
        for (let i = 0; i < 8; i++) res.write(chunk);
        return void res.end();
      }
      if (path === '/huge-declared') return void res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end();
      if (path === '/slow') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a":');
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const refusal = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SafeFetchError);
    return { code: (error as SafeFetchError).code, message: (error as SafeFetchError).message };
  };

  it('uses the documented limits by default', () => {
    expect(SAFE_FETCH_DEFAULTS).toEqual({ timeoutMs: 5000, maxBytes: 256 * 1024, maxRedirects: 3 });
  });

  it('classifies private, loopback, link-local, unique-local, unspecified and multicast addresses (IPv4 and IPv6)', () => {
    expect(
      Object.fromEntries(
        [
          '127.0.0.1',
          '10.0.0.1',
          '172.16.5.4',
          '192.168.1.1',
          '100.64.0.1',
          '169.254.169.254',
          '0.0.0.0',
          '224.0.0.1',
          '255.255.255.255',
          '::1',
          '::',
          'fe80::1',
          'fd12::1',
          'ff02::1',
          '::ffff:10.0.0.1',
          '::ffff:7f00:1',
          '64:ff9b::a9fe:a9fe',
          '2002:a00:1::1',
          '8.8.8.8',
          '2606:4700::1111',
          '::ffff:8.8.8.8',
        ].map((ip) => [ip, addressRestriction(ip) ?? 'public']),
      ),
    ).toEqual({
      '127.0.0.1': 'loopback',
      '10.0.0.1': 'private (RFC 1918)',
      '172.16.5.4': 'private (RFC 1918)',
      '192.168.1.1': 'private (RFC 1918)',
      '100.64.0.1': 'private (shared address space, RFC 6598)',
      '169.254.169.254': 'link-local',
      '0.0.0.0': 'unspecified (0.0.0.0/8)',
      '224.0.0.1': 'multicast',
      '255.255.255.255': 'reserved (240.0.0.0/4, broadcast)',
      '::1': 'loopback',
      '::': 'unspecified (::)',
      'fe80::1': 'link-local',
      'fd12::1': 'unique-local',
      'ff02::1': 'multicast',
      '::ffff:10.0.0.1': 'private (RFC 1918) (IPv4-mapped)',
      '::ffff:7f00:1': 'loopback (IPv4-mapped)',
      '64:ff9b::a9fe:a9fe': 'link-local (NAT64)',
      '2002:a00:1::1': 'private (RFC 1918) (6to4)',
      '8.8.8.8': 'public',
      '2606:4700::1111': 'public',
      '::ffff:8.8.8.8': 'public',
    });
  });

  it('refuses loopback and metadata addresses unless private URLs are allowed', async () => {
    expect(await refusal(safeFetchJson('https://127.0.0.1:1/x'))).toEqual({
      code: 'address_not_allowed',
      message: '127.0.0.1 is a loopback address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
    });
    expect((await refusal(safeFetchJson('https://169.254.169.254/latest/meta-data/'))).code).toBe('address_not_allowed');
    expect((await refusal(safeFetchJson('https://[fd00::1]/'))).message).toBe(
      'fd00::1 is a unique-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
    );
    expect(await refusal(safeFetchJson(`${base}/ok`))).toEqual({ code: 'scheme_not_allowed', message: 'Only https:// URLs are allowed (http:// only on loopback when private IdP URLs are allowed)' });
    expect(await safeFetchJson(`${base}/ok`, { allowPrivate: true })).toEqual({ url: `${base}/ok`, json: { ok: true } });
  });

  it('allows http only on loopback even when private URLs are allowed', async () => {
    expect(await refusal(safeFetchJson('http://10.0.0.1/x', { allowPrivate: true, timeoutMs: 1000 }))).toEqual({
      code: 'scheme_not_allowed',
      message: 'http:// is only allowed for loopback hosts; 10.0.0.1 resolves to 10.0.0.1 (use https://)',
    });
  });

  it('re-checks every redirect hop: a redirect to the metadata address or to a name resolving to loopback is refused', async () => {
    const trusted = { trustedOrigins: [base] };
    expect(await refusal(safeFetchJson(`${base}/to-metadata`, trusted))).toEqual({
      code: 'address_not_allowed',
      message: '169.254.169.254 is a link-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
    });
    expect((await refusal(safeFetchJson(`${base}/to-localhost`, trusted))).message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(await safeFetchJson(`${base}/to-ok`, trusted)).toEqual({ url: `${base}/ok`, json: { ok: true } });
  });

  it('follows at most 3 redirects', async () => {
    expect(await refusal(safeFetchJson(`${base}/loop`, { allowPrivate: true }))).toEqual({ code: 'too_many_redirects', message: `More than 3 redirects (starting at ${base})` });
  });

  it('aborts a huge body while streaming, and refuses a huge declared length at once', async () => {
    expect(await refusal(safeFetchJson(`${base}/huge`, { allowPrivate: true }))).toEqual({ code: 'body_too_large', message: `The response from ${base} is larger than 256 KiB` });
    expect((await refusal(safeFetchJson(`${base}/huge-declared`, { allowPrivate: true }))).code).toBe('body_too_large');
  });

  it('gives up on a slow body at the deadline', async () => {
    expect(await refusal(safeFetchJson(`${base}/slow`, { allowPrivate: true, timeoutMs: 300 }))).toEqual({ code: 'timeout', message: `No complete answer from ${base} within 0.3 s` });
  });

  it('refuses credentials in the URL and other schemes', async () => {
    expect((await refusal(safeFetchJson('https://user:pw@idp.example/'))).code).toBe('credentials_in_url');
    expect((await refusal(safeFetchJson('file:///etc/passwd'))).code).toBe('scheme_not_allowed');
    expect((await refusal(safeFetchJson('not a url'))).code).toBe('invalid_url');
  });

  it('checks a URL under the fetch rules without fetching it (for URLs an admin saves)', async () => {
    const code = async (url: string, allowPrivate = false) => (await checkFetchTarget(url, { allowPrivate }))?.code ?? 'allowed';
    expect(await code('https://169.254.169.254/latest/meta-data/')).toBe('address_not_allowed');
    expect(await code('https://localhost:1/jwks')).toBe('address_not_allowed');
    expect(await code(`${base}/jwks`)).toBe('scheme_not_allowed');
    expect(await code('https://user:pw@8.8.8.8/')).toBe('credentials_in_url');
    expect(await code('https://8.8.8.8/jwks')).toBe('allowed');
    expect(await code(`${base}/jwks`, true)).toBe('allowed');
    expect(await code('http://10.0.0.1/jwks', true)).toBe('scheme_not_allowed');
    expect((await checkFetchTarget('https://[fd00::1]/k'))?.message).toBe(
      'fd00::1 is a unique-local address; private, loopback and link-local addresses are not allowed (DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS)',
    );
  });
});
