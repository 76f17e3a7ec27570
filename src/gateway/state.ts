/** What every request of one listener shares, and the per-connection trust mark. */
import { isIP, type BlockList, type Socket } from 'node:net';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { AccessLog } from './access-log.js';
import type { SnapshotHolder } from './holder.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayLimits } from './options.js';
import type { Pools } from './proxy.js';
import type { ExternalTokenVerifier, Principal, TokenCache } from './tokens.js';

/** Shared by every request of one listener. */
export interface GatewayState {
  environment: string;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  holder: SnapshotHolder;
  pools: Pools;
  limits: GatewayLimits;
  externalVerifier: ExternalTokenVerifier | undefined;
  proto: 'http' | 'https';
  /** Trusted proxies; undefined when none are configured (no per-connection work then). */
  trusted: BlockList | undefined;
  /** Undefined: metrics for every peer. */
  metricsAllowed: BlockList | undefined;
  /** Access-log lines carry only fields chosen here (no headers, no query), so pino's redaction is skipped. */
  accessLog: AccessLog;
  cache: TokenCache;
  cacheFingerprint: string;
  /** Verifications in progress, so concurrent first uses of a token verify it once. */
  verifying: Map<string, Promise<Principal>>;
  /** Per (API, code): until when further upstream-failure lines are left out, and how many were. */
  failureLog: Map<string, { until: number; suppressed: number }>;
  /** In a worker process: its number, sent by the ops endpoints as `X-Drawbridge-Worker`. */
  workerId: string | undefined;
}

/** Set on every connection when trusted proxies are configured: whether the direct peer is one. */
export const TRUSTED_PEER = Symbol('drawbridge.trustedPeer');
export type MarkedSocket = Socket & { [TRUSTED_PEER]?: boolean };

export function peerTrusted(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const version = isIP(address);
  return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}
