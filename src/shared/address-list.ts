import { BlockList, isIP } from 'node:net';
import { ConfigError } from './errors.js';

/** Address lists of settings (trusted proxies, metrics scrapers): IPs and CIDRs. */

/** In an address list setting: every peer. */
export const ANY_ADDRESS = '*';

/** Loopback and private ranges (RFC 1918, RFC 4193). */
export const PRIVATE_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

/**
 * Builds an address matcher (trusted proxies, metrics scrapers) from IPs and
 * CIDRs (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`, `::1`). Throws a `ConfigError` naming `name` (and
 * the entry) for anything else. Used at config load and when a gateway
 * listener starts, never per request.
 */
export function addressList(entries: readonly string[], name = 'DRAWBRIDGE_GATEWAY_TRUSTED_PROXIES'): BlockList {
  const list = new BlockList();
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const version = isIP(address);
    const bad = () => new ConfigError(`${name}[${i}]`, `must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8), got ${JSON.stringify(raw)}`);
    if (version === 0) throw bad();
    const family = version === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, family);
      return;
    }
    const bits = entry.slice(slash + 1);
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (version === 4 ? 32 : 128)) throw bad();
    list.addSubnet(address, prefix, family);
  });
  return list;
}
