import { GATEWAY_METRICS_KEY, GatewayMetrics } from '../../metrics.js';
import type { PolicyDeps, PolicyHandler, PolicyRequestContext } from '../types.js';
import type { OutboundOAuth2Config } from './schema.js';
import { TokenManager, type TokenManagerMetrics } from './token-manager.js';
import { CLUSTER_TOKEN_CACHE_KEY, type ClusterTokenCache } from './cluster-token-cache.js';

/** Key of the listener's token manager in `PolicyDeps.shared`: one per listener, kept across snapshot swaps. */
const TOKEN_MANAGER_KEY = 'outbound-oauth2:token-manager';

function managerMetrics(deps: PolicyDeps): TokenManagerMetrics {
  // A listener always provides its metrics; the fallback keeps the policy usable where none is shared (counts are then discarded).
  const m = deps.shared(GATEWAY_METRICS_KEY, () => new GatewayMetrics(deps.environment));
  const environment = deps.environment;
  // Label children bound once: a cache hit, counted per request, costs no label hashing.
  const cache = {
    hit: m.outboundTokenCache.labels({ environment, result: 'hit' }),
    miss: m.outboundTokenCache.labels({ environment, result: 'miss' }),
    backoff: m.outboundTokenCache.labels({ environment, result: 'backoff' }),
  };
  const refreshes = m.outboundTokenRefreshes.labels({ environment });
  const retries = m.outboundTokenRetries.labels({ environment });
  return {
    tokenRequest: (outcome) => m.outboundTokenRequests.inc({ environment, outcome }),
    cache: (result) => cache[result].inc(),
    refresh: () => refreshes.inc(),
    retryAfterUnauthorized: () => retries.inc(),
  };
}

let instances = 0;

export function create(config: OutboundOAuth2Config, deps: PolicyDeps): PolicyHandler {
  const manager = deps.shared(
    TOKEN_MANAGER_KEY,
    () =>
      new TokenManager({
        clock: deps.clock,
        logger: deps.logger,
        metrics: managerMetrics(deps),
        egress: deps.egress,
        cluster: deps.shared<ClusterTokenCache | undefined>(CLUSTER_TOKEN_CACHE_KEY, () => undefined),
      }),
  );
  const entry = manager.entry({
    orgId: deps.api.orgId,
    tokenUrl: config.tokenUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scope: config.scope,
    audience: config.audience,
    resource: config.resource,
    authMethod: config.authMethod,
    timeoutMs: config.timeoutMs,
  });
  const header = config.headerName.toLowerCase();
  const prefix = header === 'authorization' ? 'Bearer ' : '';
  // Per instance: two instances on one resource (two backends' headers) keep their own token.
  const stateKey = `outbound-oauth2#${++instances}`;

  const apply = (ctx: PolicyRequestContext, token: string) => {
    ctx.upstreamHeaders[header] = prefix + token;
    ctx.state.set(stateKey, token);
  };

  return {
    onRequest(ctx) {
      const token = entry.peek();
      if (token !== undefined) {
        apply(ctx, token);
        return;
      }
      return entry.get().then((fresh) => apply(ctx, fresh));
    },
    async onBackendUnauthorized(ctx) {
      const fresh = await entry.replace(ctx.state.get(stateKey) as string | undefined);
      if (fresh === undefined) return false;
      apply(ctx, fresh);
      manager.metrics.retryAfterUnauthorized();
      return true;
    },
  };
}
