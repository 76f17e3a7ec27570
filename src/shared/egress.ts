/**
 * The installation's egress policy: which addresses the gateway may connect
 * to on behalf of an API (backend URLs) and its policies (outbound OAuth2
 * token URLs). Organization members choose those URLs, so without a policy
 * the gateway is an SSRF proxy into the platform's own network.
 *
 * Checked at deploy (the control plane resolves the URL and refuses it with
 * a 422) and again every time the gateway opens a connection (the resolved
 * addresses are checked and the connection goes to a checked address, so a
 * DNS answer that changes in between cannot slip through). Nothing is checked
 * per request: a kept-alive connection was checked when it was opened.
 *
 * Rules, in order:
 * 1. A host name listed in `deny` (exact, or `*.example.com` for its
 *    subdomains) is refused; one listed in `allow` is allowed whatever it
 *    resolves to (the operator vouches for it).
 * 2. Every address the host resolves to is judged (all must pass):
 *    a. the most specific `allow`/`deny` CIDR containing it decides (a
 *       `deny` wins a tie);
 *    b. otherwise, in production, loopback, link-local (cloud metadata at
 *       169.254.169.254), unspecified, multicast and reserved addresses, and
 *       the metadata addresses of `METADATA_ADDRESSES`, are refused; private
 *       ranges (RFC 1918, CGNAT, unique-local) and public addresses are
 *       allowed. In development nothing is refused by default.
 *    c. in production, an address of this host (loopback, unspecified or a
 *       local interface's) on a port the platform listens on is refused
 *       unless `allow` lists `self`, whatever (a) said.
 * Keywords in the lists: `loopback`, `link-local`, `private` (the ranges
 * above) and, in `allow` only, `self`.
 */
import { isIP, type LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { networkInterfaces } from 'node:os';
import { buildConnector } from 'undici';
import { bytesOf, contains, matchesName, normalizeHost, parseCidr, parseEgressLists, type Cidr, type EgressLists, type IpBytes } from './egress-lists.js';
import { addressKind, type AddressKind } from './ip-address.js';
import { answerLookup, resolveChecked } from './safe-fetch.js';

/** Cloud metadata and platform endpoints outside link-local: AWS IPv6 IMDS, Alibaba Cloud, Azure WireServer. */
const METADATA_ADDRESSES: readonly string[] = ['fd00:ec2::254/128', '100.100.100.200/32', '168.63.129.16/32'];

/** Address kinds refused by default in production. */
const REFUSED_KINDS: ReadonlySet<AddressKind> = new Set(['loopback', 'link-local', 'unspecified', 'multicast', 'reserved', 'invalid']);

/** How long a resolved and checked host is reused for new connections (`dns.lookup` reports no TTL). */
const EGRESS_DNS_CACHE_MS = 30_000;
const MAX_CACHED_HOSTS = 10_000;

export interface EgressSettings {
  mode: 'development' | 'production';
  /** CIDRs, IP addresses, host names (`*.example.com`), keywords. */
  allow?: readonly string[];
  deny?: readonly string[];
}

/** A connection or a deploy refused by the egress policy. `message` says why, for operators and the developer who deployed. */
export class EgressRefused extends Error {
  readonly code = 'egress_denied';

  constructor(
    message: string,
    readonly host: string,
    readonly address?: string,
  ) {
    super(message);
    this.name = 'EgressRefused';
  }
}

const metadata = METADATA_ADDRESSES.map((c, i) => parseCidr(c, false, 'metadata', i));

/** Addresses of this host's interfaces (refreshed at most once a minute, on a connection or deploy check). */
class LocalAddresses {
  private addresses: IpBytes[] = [];
  private readAt = Number.NEGATIVE_INFINITY;

  has(a: IpBytes): boolean {
    const now = performance.now();
    if (now - this.readAt > 60_000) {
      this.readAt = now;
      this.addresses = Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .map((n) => bytesOf(n.address.split('%')[0]!))
        .filter((x): x is IpBytes => x !== undefined);
    }
    return this.addresses.some((l) => l.v6 === a.v6 && l.bytes.every((b, i) => b === a.bytes[i]));
  }
}

const KIND_TEXT: Readonly<Partial<Record<AddressKind, string>>> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address (cloud metadata lives there)',
  unspecified: 'the unspecified address (it reaches this host)',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  invalid: 'not a plain IP address',
};

const defaultPort = (protocol: string): number => (protocol === 'https:' ? 443 : 80);

export class EgressPolicy {
  private readonly lists: EgressLists;
  private readonly ownPorts = new Set<number>();
  private readonly local = new LocalAddresses();
  private readonly cache = new Map<string, { addresses: LookupAddress[]; until: number }>();
  readonly production: boolean;

  constructor(
    readonly settings: EgressSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.production = settings.mode === 'production';
    this.lists = parseEgressLists(settings.allow ?? [], settings.deny ?? []);
  }

  /** True when nothing can ever be refused (development without a deny list): connections skip the checks. */
  get permissive(): boolean {
    return !this.production && this.lists.denyNames.length === 0 && !this.lists.cidrs.some((c) => !c.allow);
  }

  /** A port one of the platform's listeners is bound to (the control plane, each gateway): refused on this host's addresses in production. */
  addOwnPort(port: number): void {
    if (port > 0) this.ownPorts.add(port);
  }

  /** Host-name rules: 'allow' (skip address checks), a refusal, or undefined (judge the addresses). */
  private nameRule(host: string): 'allow' | EgressRefused | undefined {
    if (matchesName(this.lists.denyNames, host)) return new EgressRefused(`${host} is listed in DRAWBRIDGE_EGRESS_DENY`, host);
    if (matchesName(this.lists.allowNames, host)) return 'allow';
    return undefined;
  }

  /** Judges one address the host resolved to (or an IP literal), for a connection to `port`. */
  checkAddress(address: string, port: number, host = address): EgressRefused | undefined {
    const parsed = bytesOf(address);
    const is = host === address ? `${address} is` : `${host} resolves to ${address}, which is`;
    if (!parsed) return new EgressRefused(`${is} not a plain IP address`, host, address);
    let best: Cidr | undefined;
    for (const c of this.lists.cidrs) {
      if (!contains(c, parsed)) continue;
      if (!best || c.bits > best.bits || (c.bits === best.bits && !c.allow)) best = c;
    }
    if (best && !best.allow) return new EgressRefused(`${is} in ${best.entry}, which DRAWBRIDGE_EGRESS_DENY lists`, host, address);
    if (!this.production) return undefined;
    if (!best) {
      const kind = addressKind(address);
      if (REFUSED_KINDS.has(kind)) return new EgressRefused(`${is} ${KIND_TEXT[kind]}; the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)`, host, address);
      const meta = metadata.find((m) => contains(m, parsed));
      if (meta) return new EgressRefused(`${is} a cloud metadata address (${meta.entry}); the egress policy refuses it in production (list it in DRAWBRIDGE_EGRESS_ALLOW to allow it)`, host, address);
    }
    if (!this.lists.allowSelf && this.ownPorts.has(port)) {
      const kind = addressKind(address);
      if (kind === 'loopback' || kind === 'unspecified' || this.local.has(parsed)) {
        return new EgressRefused(
          `${host === address ? `${address}:${port}` : `${host}:${port} (${address})`} is one of the platform's own listeners; the egress policy refuses it in production (DRAWBRIDGE_EGRESS_ALLOW=self allows it)`,
          host,
          address,
        );
      }
    }
    return undefined;
  }

  /**
   * Checks a URL at deploy: host-name rules, then every address its host
   * resolves to (with the same resolver a connection uses). A host that does
   * not resolve now is not refused here: the gateway checks again when it connects.
   */
  async checkUrl(raw: string, timeoutMs = 5_000): Promise<EgressRefused | undefined> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return undefined;
    } // the URL rule is checked elsewhere
    const host = normalizeHost(url.hostname);
    const port = url.port ? Number(url.port) : defaultPort(url.protocol);
    if (isIP(host)) return this.checkAddress(host, port);
    const rule = this.nameRule(host);
    if (rule === 'allow') return undefined;
    if (rule) return rule;
    if (this.permissive) return undefined;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
      resolveChecked(
        host,
        0,
        (address) => this.checkAddress(address, port, host),
        (err) => {
          clearTimeout(timer);
          resolve(err instanceof EgressRefused ? err : undefined);
        },
      );
    });
  }

  /** A `lookup` for connections to `port`: cached per host for EGRESS_DNS_CACHE_MS, every address checked, only checked ones handed out. */
  lookup(port: number): LookupFunction {
    return ((hostname: string, options: { all?: boolean; family?: number }, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
      const host = normalizeHost(hostname);
      const rule = this.nameRule(host);
      if (rule instanceof EgressRefused) return callback(rule, '', 0);
      const check = rule === 'allow' ? () => undefined : (address: string) => this.checkAddress(address, port, host);
      const key = `${options.family ?? 0} ${host}`;
      const hit = this.cache.get(key);
      if (hit && this.now() < hit.until) {
        // Cached answers are checked again: the policy may judge per port (own listeners).
        for (const a of hit.addresses) {
          const refused = check(a.address);
          if (refused) return callback(refused, '', 0);
        }
        return answerLookup(options, callback, null, hit.addresses);
      }
      resolveChecked(host, options.family ?? 0, check, (err, addresses) => {
        if (!err) {
          if (this.cache.size >= MAX_CACHED_HOSTS) this.cache.clear();
          this.cache.set(key, { addresses, until: this.now() + EGRESS_DNS_CACHE_MS });
        }
        answerLookup(options, callback, err, addresses);
      });
    }) as LookupFunction;
  }

  /**
   * An undici connector that applies the policy to every new connection: IP
   * literals are checked before connecting, host names through `lookup`.
   * `timeout` is the connect timeout.
   */
  connector(timeout: number): buildConnector.connector {
    const plain = buildConnector({ timeout });
    if (this.permissive) return plain;
    const byPort = new Map<number, buildConnector.connector>();
    return (options, callback) => {
      const host = normalizeHost(options.hostname);
      const port = options.port ? Number(options.port) : defaultPort(options.protocol);
      if (isIP(host)) {
        const refused = this.checkAddress(host, port);
        if (refused) return callback(refused, null);
        return plain(options, callback);
      }
      let connect = byPort.get(port);
      if (!connect) byPort.set(port, (connect = buildConnector({ timeout, lookup: this.lookup(port) })));
      connect(options, callback);
    };
  }
}

/**
 * The policy an installation's config asks for (`DRAWBRIDGE_MODE`,
 * `DRAWBRIDGE_EGRESS_ALLOW`, `DRAWBRIDGE_EGRESS_DENY`), knowing the ports the
 * config names for the platform's listeners (the control plane, each
 * gateway); listeners bound to port 0 add theirs when they bind.
 */
export function egressPolicy(config: {
  mode: 'development' | 'production';
  egressAllow: readonly string[];
  egressDeny: readonly string[];
  port?: number;
  gateways?: readonly { port: number }[];
}): EgressPolicy {
  const policy = new EgressPolicy({ mode: config.mode, allow: config.egressAllow, deny: config.egressDeny });
  if (config.port !== undefined) policy.addOwnPort(config.port);
  for (const listener of config.gateways ?? []) policy.addOwnPort(listener.port);
  return policy;
}

/**
 * The installation's policy, found from an object every part of one platform
 * shares (its store): `startRuntimeGateways` registers the policy its
 * gateways connect with, so a deploy (`trialDeployment`) is judged by the same
 * rules and the same list of the platform's own listeners, and the token
 * service adds the control plane's bound port to it.
 */
const registered = new WeakMap<object, EgressPolicy>();

export function registerEgressPolicy(owner: object, policy: EgressPolicy): void {
  registered.set(owner, policy);
}

/** The registered policy; undefined where no gateways were started for `owner` (nothing is refused then, as before). */
export function egressPolicyOf(owner: object): EgressPolicy | undefined {
  return registered.get(owner);
}
