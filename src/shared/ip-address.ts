/**
 * IP address classification: what kind of address an IP literal is (public,
 * loopback, private, link-local, …), embedded IPv4 forms (IPv4-mapped and
 * -compatible, NAT64, 6to4) judged by their IPv4 address. The rule behind
 * safe fetching (`safe-fetch.ts`) and the egress policy (`egress.ts`).
 */
import { isIP } from 'node:net';

/** Why an address may not be fetched, or `undefined` when it is a public unicast address. */
export function addressRestriction(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return ipv4Restriction(bare.split('.').map(Number));
  if (family === 6) return ipv6Restriction(bare);
  // Not an IP: zone IDs (fe80::1%eth0) and anything unparsable are refused.
  return 'not a plain IP address';
}

function ipv4Restriction(o: number[]): string | undefined {
  const [a = 0, b = 0, c = 0] = o;
  if (a === 0) return 'unspecified (0.0.0.0/8)';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private (RFC 1918)';
  if (a === 100 && b >= 64 && b <= 127) return 'private (shared address space, RFC 6598)';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 192 && b === 0 && c === 0) return 'reserved (IETF protocol assignments)';
  if (a === 192 && b === 0 && c === 2) return 'reserved (documentation)';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved (benchmarking)';
  if (a === 198 && b === 51 && c === 100) return 'reserved (documentation)';
  if (a === 203 && b === 0 && c === 113) return 'reserved (documentation)';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved (240.0.0.0/4, broadcast)';
  return undefined;
}

/** Expands an IPv6 literal to 8 16-bit groups (handles `::` and a dotted IPv4 tail). */
function ipv6Groups(text: string): number[] {
  let s = text.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted?.[1]) {
    const [p, q, r, t] = dotted[1].split('.').map(Number) as [number, number, number, number];
    s = s.slice(0, -dotted[1].length) + `${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

function ipv6Restriction(text: string): string | undefined {
  const g = ipv6Groups(text);
  const embeddedV4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'unspecified (::)';
  if (zeros(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): judge the IPv4 address.
  if (zeros(5) && g[5] === 0xffff) return prefixed('IPv4-mapped', ipv4Restriction(embeddedV4(g[6]!, g[7]!)));
  if (zeros(6)) return prefixed('IPv4-compatible', ipv4Restriction(embeddedV4(g[6]!, g[7]!)) ?? 'deprecated form');
  // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address too.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return prefixed('NAT64', ipv4Restriction(embeddedV4(g[6]!, g[7]!)));
  if (g[0] === 0x2002) return prefixed('6to4', ipv4Restriction(embeddedV4(g[1]!, g[2]!)));
  const first = g[0]!;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'private (site-local)';
  if ((first & 0xfe00) === 0xfc00) return 'unique-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (first === 0x2001 && g[1] === 0) return 'reserved (Teredo)';
  if (first === 0x2001 && g[1] === 0xdb8) return 'reserved (documentation)';
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return 'reserved (discard prefix)';
  return undefined;
}

const prefixed = (label: string, reason: string | undefined) => reason && `${reason} (${label})`;

export const isLoopback = (ip: string): boolean => addressRestriction(ip)?.startsWith('loopback') ?? false;

/** What kind of address `ip` is, from the classification above (embedded IPv4 forms judged by their IPv4 address). */
export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

export function addressKind(ip: string): AddressKind {
  const restriction = addressRestriction(ip);
  if (restriction === undefined) return 'public';
  for (const kind of ['loopback', 'link-local', 'unspecified', 'multicast', 'reserved'] as const) if (restriction.startsWith(kind)) return kind;
  if (restriction.startsWith('private') || restriction.startsWith('unique-local')) return 'private';
  if (restriction.startsWith('deprecated form')) return 'reserved';
  return 'invalid';
}
