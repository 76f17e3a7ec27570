import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../shared/clock.js';
import type { Config } from '../shared/config.js';
import type { IdpKeyCache } from '../shared/idp-keys/cache.js';
import type { Logger } from '../shared/logger.js';
import type { RedisLink } from '../shared/redis/link.js';
import type { Store } from '../store/index.js';
import { addressList } from '../shared/address-list.js';
import { egressPolicyOf } from '../shared/egress.js';
import { serverMetadata, PATHS } from './discovery.js';
import { introspectionEndpoint, revocationEndpoint, tokenEndpoint, type EndpointDeps } from './endpoints.js';
import { ClientCache } from './client-auth.js';
import { FORM_BODY_LIMIT } from './form.js';
import { GrantRegistry } from './grants/index.js';
import { KEY_REFRESH_MS, type KeyRing } from './keys.js';
import { sendOAuthError } from './render.js';
import { ClientAuthThrottle } from './throttle.js';
import { SharedWindowCounter } from '../shared/redis/window-counter.js';

/** Seconds kept between a cached JWKS or discovery document's expiry and the moment a key it lacks may sign. */
const CACHE_MARGIN_SECONDS = 10;

export { KeyRing } from './keys.js';

/**
 * The token service (the built-in IdP) as a Fastify plugin mounted at the
 * root of the control-plane server: discovery, JWKS, token, introspection
 * and revocation endpoints. Uses only the store and shared modules, never
 * the control plane's HTTP layer.
 */
/** What the token service needs from the platform (the control plane's deps satisfy it). */
export interface TokenServiceDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  idpKeys?: IdpKeyCache;
  /** Failed client authentications count for the whole cluster when set. */
  redis?: RedisLink;
}

export function tokenService(deps: TokenServiceDeps, keys: KeyRing): FastifyPluginAsync {
  return async (app) => {
    const issuer = deps.config.publicUrl;
    const grants = new GrantRegistry({ store: deps.store, clock: deps.clock, logger: deps.logger, issuer, config: deps.config, idpKeys: deps.idpKeys });
    const endpointDeps: EndpointDeps = {
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      keys,
      issuer,
      grants,
      clients: new ClientCache(deps.store),
      throttle: new ClientAuthThrottle(
        {
          perClient: deps.config.clientAuthFailuresPerClient,
          perAddress: deps.config.clientAuthFailuresPerAddress,
          windowSeconds: deps.config.clientAuthFailureWindow,
        },
        deps.clock,
        deps.redis ? new SharedWindowCounter(deps.redis, 'client-auth') : undefined,
      ),
      trustedProxies: deps.config.trustedProxies.length > 0 ? addressList(deps.config.trustedProxies, 'DRAWBRIDGE_TRUSTED_PROXIES') : undefined,
    };
    app.addHook('onClose', async () => endpointDeps.clients.close());
    // The control plane's listener (this server) is one of the platform's own: the gateways' egress policy refuses it as a backend in production.
    app.addHook('onListen', function (done) {
      const address = this.server.address();
      if (address && typeof address === 'object') egressPolicyOf(deps.store)?.addOwnPort(address.port);
      done();
    });
    // JWKS and metadata caches must not outlive the publish-ahead delay, or a client could miss a key
    // (or its algorithm) that already signs. Both are served from the key ring's records, which may be
    // KEY_REFRESH_MS behind a rotation made on another node: that lag comes off the allowed age, and a
    // margin for the time a rotation takes to commit (RSA key generation) and for clocks that differ.
    const maxAge = Math.max(0, Math.min(300, deps.config.signingKeyPublishAhead - KEY_REFRESH_MS / 1000 - CACHE_MARGIN_SECONDS));
    const publicCache = `public, max-age=${maxAge}`;

    // The OAuth endpoints read the raw body themselves (strict form parsing); any media type reaches them.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => done(null, body));
    app.setErrorHandler((error, request, reply) => sendOAuthError(error, request, reply));

    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      app.get(path, async (_request, reply) => {
        // From the ring's cached key records (re-read every KEY_REFRESH_MS and after a rotation here): no query per request.
        return reply.header('cache-control', publicCache).send(serverMetadata(issuer, grants.types(), await keys.publishedAlgorithms()));
      });
    }
    app.get(PATHS.jwks, async (_request, reply) =>
      reply
        .header('cache-control', publicCache)
        .type('application/jwk-set+json')
        .send(await keys.publishedJwks()),
    );
    app.post(PATHS.token, tokenEndpoint(endpointDeps));
    app.post(PATHS.introspect, introspectionEndpoint(endpointDeps));
    app.post(PATHS.revoke, revocationEndpoint(endpointDeps));
  };
}
