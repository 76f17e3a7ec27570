/**
 * Parsing of the egress allow and deny lists (`DRAWBRIDGE_EGRESS_ALLOW`,
 * `DRAWBRIDGE_EGRESS_DENY`): IP addresses, CIDRs, host names and keywords.
 * Kept apart from `egress.ts` (which needs undici) so loading the config stays light.
 */
import { isIP } from 'node:net';
import { ConfigError } from './errors.js';

const EGRESS_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fec0::/10'],
};

/** An address as bytes; an IPv4-mapped IPv6 address is its IPv4 address. */
export interface IpBytes {
  v6: boolean;
  bytes: Uint8Array;
}

export interface Cidr extends IpBytes {
  bits: number;
  allow: boolean;
  entry: string;
}

export interface NameRule {
  name: string;
  wildcard: boolean;
}

export interface EgressLists {
  cidrs: Cidr[];
  allowNames: NameRule[];
  denyNames: NameRule[];
  allowSelf: boolean;
}

export function bytesOf(ip: string): IpBytes | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return { v6: false, bytes: Uint8Array.from(bare.split('.').map(Number)) };
  if (family !== 6) return undefined;
  let s = bare.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted?.[1]) {
    const [p, q, r, t] = dotted[1].split('.').map(Number) as [number, number, number, number];
    s = s.slice(0, -dotted[1].length) + `${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = [...h, ...(tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0')), ...t].map((g) => parseInt(g, 16));
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d to the kernel: match it against IPv4 entries.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return { v6: false, bytes: bytes.slice(12) };
  return { v6: true, bytes };
}

export function contains(c: Cidr, a: IpBytes): boolean {
  if (c.v6 !== a.v6) return false;
  let bits = c.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((c.bytes[i]! & mask) !== (a.bytes[i]! & mask)) return false;
  }
  return true;
}

/** `10.0.0.0/8`, `fd00::/8`, `192.0.2.7` (a single address). */
export function parseCidr(entry: string, allow: boolean, name: string, index: number): Cidr {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  const parsed = family === 0 ? undefined : bytesOf(address);
  const width = family === 6 ? 128 : 32;
  const bitsText = slash === -1 ? String(width) : entry.slice(slash + 1);
  const bits = Number(bitsText);
  // An IPv4-mapped CIDR (::ffff:10.0.0.0/104) is the IPv4 one.
  const mapped = family === 6 && parsed !== undefined && !parsed.v6;
  if (!parsed || !/^\d{1,3}$/.test(bitsText) || bits > width || (mapped && bits < 96)) {
    throw new ConfigError(
      `${name}[${index}]`,
      `must be an IP address, a CIDR, a host name (*.example.com for its subdomains) or one of loopback, link-local, private${allow ? ', self' : ''}; got ${JSON.stringify(entry)}`,
    );
  }
  return { ...parsed, bits: mapped ? bits - 96 : bits, allow, entry };
}

const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const normalizeHost = (host: string): string =>
  host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();

export function matchesName(rules: readonly NameRule[], host: string): boolean {
  return rules.some((r) => (r.wildcard ? host.endsWith(`.${r.name}`) : host === r.name));
}

/** Parses both lists; a bad entry is a `ConfigError` naming the variable and the entry's index. */
export function parseEgressLists(allow: readonly string[], deny: readonly string[]): EgressLists {
  const lists: EgressLists = { cidrs: [], allowNames: [], denyNames: [], allowSelf: false };
  const add = (entries: readonly string[], isAllow: boolean, name: string) =>
    entries.forEach((raw, i) => {
      const entry = raw.trim().toLowerCase();
      if (entry === '') return;
      if (entry === 'self') {
        if (!isAllow) throw new ConfigError(`${name}[${i}]`, "self can only be allowed (the platform's own listeners are refused by default in production)");
        lists.allowSelf = true;
        return;
      }
      const keyword = EGRESS_KEYWORDS[entry];
      if (keyword) {
        for (const c of keyword) lists.cidrs.push(parseCidr(c, isAllow, name, i));
        return;
      }
      const bare = entry.replace(/^\[|\]$/g, '');
      if (isIP(bare.split('/')[0]!) !== 0) {
        lists.cidrs.push(parseCidr(bare, isAllow, name, i));
        return;
      }
      const host = normalizeHost(entry);
      if (!HOST_NAME.test(host)) parseCidr(entry, isAllow, name, i); // throws the message naming the entry
      const rule = { name: host.replace(/^\*\./, ''), wildcard: host.startsWith('*.') };
      (isAllow ? lists.allowNames : lists.denyNames).push(rule);
    });
  add(allow, true, 'DRAWBRIDGE_EGRESS_ALLOW');
  add(deny, false, 'DRAWBRIDGE_EGRESS_DENY');
  return lists;
}
