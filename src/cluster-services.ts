import type { Clock } from './shared/clock.js';
import type { Config } from './shared/config.js';
import type { Logger } from './shared/logger.js';
import { RedisLink } from './shared/redis/link.js';
import { SharedLoginThrottle, type SignInThrottle } from './control-plane/shared-login-throttle.js';
import { CLUSTER_TOKEN_CACHE_KEY, RedisClusterTokenCache } from './gateway/policies/outbound-oauth2/cluster-token-cache.js';

/**
 * What the nodes of a cluster share through the optional Redis
 * (`DRAWBRIDGE_REDIS_URL`): nothing without it. With it, every part keeps a
 * local fallback, so a Redis that is down at start, or goes away later, only
 * makes the node count and cache for itself until it answers again.
 */
export interface ClusterServices {
  redis?: RedisLink;
  /** Seeds of the gateways' `PolicyDeps.shared`: the outbound-token cluster cache. */
  gatewayShared?: Readonly<Record<string, unknown>>;
  signInThrottle?: SignInThrottle;
  close(): Promise<void>;
}

export async function openClusterServices(config: Config, logger: Logger, clock: Clock): Promise<ClusterServices> {
  if (!config.redisUrl) return { async close() {} };
  const redis = new RedisLink({ url: config.redisUrl, logger, timeoutMs: config.redisTimeoutMs, prefix: config.redisPrefix });
  // Bounded (connect and PING within the timeout): a Redis that is away never holds the start.
  await redis.ready();
  return {
    redis,
    gatewayShared: { [CLUSTER_TOKEN_CACHE_KEY]: new RedisClusterTokenCache(redis, clock) },
    signInThrottle: new SharedLoginThrottle(redis, clock),
    close: () => redis.close(),
  };
}
