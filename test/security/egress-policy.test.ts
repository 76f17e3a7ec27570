import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/shared/config.js';
import { EgressPolicy, egressPolicy } from '../../src/shared/egress.js';

/** Issue 15, item 1: the rules of the installation's egress policy (shared/egress.ts). */
const production = (allow: string[] = [], deny: string[] = []) => new EgressPolicy({ mode: 'production', allow, deny });
const verdict = (policy: EgressPolicy, address: string, port = 443) => policy.checkAddress(address, port)?.message ?? 'allowed';

describe('egress policy: what production refuses by default', () => {
  const policy = production();

  it('refuses loopback, link-local (cloud metadata), unspecified, multicast and reserved addresses, in every spelling', () => {
    for (const address of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '::',
      '169.254.169.254',
      'fe80::1',
      '224.0.0.1',
      '255.255.255.255',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
    ]) {
      expect(policy.checkAddress(address, 80)?.code, address).toBe('egress_denied');
    }
    expect(verdict(policy, '169.254.169.254')).toBe(
      '169.254.169.254 is a link-local address (cloud metadata lives there); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)',
    );
    expect(verdict(policy, '0.0.0.0')).toBe('0.0.0.0 is the unspecified address (it reaches this host); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)');
  });

  it('refuses cloud metadata addresses outside link-local (AWS IPv6, Alibaba, Azure WireServer)', () => {
    expect(verdict(policy, 'fd00:ec2::254')).toBe(
      'fd00:ec2::254 is a cloud metadata address (fd00:ec2::254/128); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)',
    );
    expect(verdict(policy, '100.100.100.200')).toContain('cloud metadata address');
    expect(verdict(policy, '168.63.129.16')).toContain('cloud metadata address');
  });

  it('allows private ranges and public addresses', () => {
    for (const address of ['10.1.2.3', '172.16.0.9', '192.168.1.1', '100.64.0.1', 'fd12:3456::1', '8.8.8.8', '2001:4860:4860::8888']) {
      expect(verdict(policy, address), address).toBe('allowed');
    }
  });

  it("refuses the platform's own listeners on this host's addresses, unless `self` is allowed", () => {
    const own = production(['loopback']);
    own.addOwnPort(9090);
    expect(verdict(own, '127.0.0.1', 9090)).toBe("127.0.0.1:9090 is one of the platform's own listeners; the egress policy refuses it in production (DRAWBRIDGE_EGRESS_ALLOW=self allows it)");
    expect(verdict(own, '127.0.0.2', 9090)).toContain('own listeners');
    expect(verdict(own, '127.0.0.1', 9091)).toBe('allowed');
    expect(verdict(own, '10.9.9.9', 9090)).toBe('allowed'); // not an address of this host
    const self = production(['loopback', 'self']);
    self.addOwnPort(9090);
    expect(verdict(self, '127.0.0.1', 9090)).toBe('allowed');
  });

  it('development allows everything, own listeners included', () => {
    const dev = new EgressPolicy({ mode: 'development' });
    dev.addOwnPort(9090);
    for (const address of ['127.0.0.1', '169.254.169.254', '0.0.0.0']) expect(verdict(dev, address, 9090)).toBe('allowed');
    expect(dev.permissive).toBe(true);
    expect(production().permissive).toBe(false);
  });
});

describe('egress policy: the allow and deny lists', () => {
  it('restricts private ranges; the most specific entry decides, deny winning a tie', () => {
    const policy = production(['10.1.2.0/24', '192.168.0.0/16'], ['private', '192.168.5.0/24', '10.1.2.0/24']);
    // 192.168.0.0/16 is both allowed and (through `private`) denied: a tie, which deny wins.
    expect(verdict(policy, '192.168.1.1')).toBe('192.168.1.1 is in 192.168.0.0/16, which DRAWBRIDGE_EGRESS_DENY lists');
    const narrower = production(['192.168.1.0/24'], ['private']);
    expect(verdict(narrower, '192.168.1.1')).toBe('allowed');
    expect(verdict(policy, '10.9.9.9')).toBe('10.9.9.9 is in 10.0.0.0/8, which DRAWBRIDGE_EGRESS_DENY lists');
    expect(verdict(policy, '10.1.2.3')).toBe('10.1.2.3 is in 10.1.2.0/24, which DRAWBRIDGE_EGRESS_DENY lists');
    expect(verdict(policy, '192.168.5.1')).toContain('DRAWBRIDGE_EGRESS_DENY');
    expect(verdict(policy, '::ffff:10.9.9.9')).toContain('DRAWBRIDGE_EGRESS_DENY');
    expect(verdict(policy, '8.8.8.8')).toBe('allowed');
  });

  it('an explicit allow opens a default refusal (a sidecar on loopback, a metadata proxy)', () => {
    const policy = production(['127.0.0.1', '169.254.170.2/32']);
    expect(verdict(policy, '127.0.0.1')).toBe('allowed');
    expect(verdict(policy, '127.0.0.2')).toContain('loopback');
    expect(verdict(policy, '169.254.170.2')).toBe('allowed');
    expect(verdict(policy, '169.254.169.254')).toContain('link-local');
  });

  it('a deny list applies in development too', () => {
    const dev = new EgressPolicy({ mode: 'development', deny: ['169.254.0.0/16'] });
    expect(dev.permissive).toBe(false);
    expect(verdict(dev, '169.254.169.254')).toContain('DRAWBRIDGE_EGRESS_DENY');
    expect(verdict(dev, '127.0.0.1')).toBe('allowed');
  });

  it('host names: deny by name or *.suffix; an allowed name is not judged by its addresses', async () => {
    const policy = production(['localhost'], ['*.corp.example', 'metadata.google.internal']);
    expect((await policy.checkUrl('https://db.corp.example/x'))?.message).toBe('db.corp.example is listed in DRAWBRIDGE_EGRESS_DENY');
    expect((await policy.checkUrl('http://METADATA.google.internal./computeMetadata'))?.message).toBe('metadata.google.internal is listed in DRAWBRIDGE_EGRESS_DENY');
    expect(await policy.checkUrl('http://corp.example/')).toBeUndefined(); // *.corp.example is its subdomains only; corp.example does not resolve here
    expect(await policy.checkUrl('http://localhost:8080/')).toBeUndefined();
  });

  it('checks every address a host name resolves to, with the resolver connections use', async () => {
    const policy = production();
    expect((await policy.checkUrl('http://localhost:8080/admin'))?.message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), which is a loopback address; the egress policy refuses it in production/,
    );
    expect((await policy.checkUrl('http://[::ffff:7f00:1]:8080/'))?.message).toContain('loopback');
    expect((await policy.checkUrl('http://0x7f000001/'))?.message).toContain('127.0.0.1 is a loopback address');
    // A name that does not resolve now is left to the connection, which checks again.
    expect(await policy.checkUrl('https://nowhere.invalid/')).toBeUndefined();
  });

  it('is read from DRAWBRIDGE_MODE, DRAWBRIDGE_EGRESS_ALLOW and DRAWBRIDGE_EGRESS_DENY; a bad entry stops the start naming it', () => {
    const config = loadConfig({ DRAWBRIDGE_MODE: 'production', DRAWBRIDGE_EGRESS_ALLOW: '127.0.0.1, self', DRAWBRIDGE_EGRESS_DENY: 'private' });
    expect([config.egressAllow, config.egressDeny]).toEqual([['127.0.0.1', 'self'], ['private']]);
    const policy = egressPolicy(config);
    expect(verdict(policy, '127.0.0.1')).toBe('allowed');
    expect(verdict(policy, '10.0.0.1')).toContain('DRAWBRIDGE_EGRESS_DENY');
    expect(() => loadConfig({ DRAWBRIDGE_EGRESS_DENY: 'self' })).toThrow('DRAWBRIDGE_EGRESS_DENY[0]: self can only be allowed');
    expect(() => loadConfig({ DRAWBRIDGE_EGRESS_ALLOW: '10.0.0.0/8, 10.0.0.0/40' })).toThrow(
      'DRAWBRIDGE_EGRESS_ALLOW[1]: must be an IP address, a CIDR, a host name (*.example.com for its subdomains) or one of loopback, link-local, private, self; got "10.0.0.0/40"',
    );
    expect(() => loadConfig({ DRAWBRIDGE_EGRESS_DENY: 'http://x' })).toThrow('DRAWBRIDGE_EGRESS_DENY[0]');
  });
});
