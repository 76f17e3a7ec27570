import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyServerFactory } from 'fastify';
import { ApiError } from '../shared/errors.js';
import { refuseRepeatedHost } from '../shared/http-framing.js';
import { requestChildLogger, type Logger } from '../shared/logger.js';
import { authenticate } from './auth.js';
import type { ControlPlaneDeps } from './context.js';
import { DATABASE_RETRY_AFTER, sendApiError } from './errors.js';
import { registerRequestLog, RequestLineController } from './request-log.js';
import { apiRoutes } from './resources/index.js';

export type App = FastifyInstance;

export interface ServerOptions {
  /** Plugins mounted at the root next to `/api/v1` (the token service, the console). */
  mount?: FastifyPluginAsync[];
  /** Answer on a listener that is already bound (see degraded-start.ts) instead of the one `listen` binds. */
  serverFactory?: FastifyServerFactory;
}

/**
 * The HTTP server of the control plane: `/api/v1` (management API), plus
 * whatever the platform mounts beside it (token service, console).
 */
export async function buildServer(deps: ControlPlaneDeps, options: ServerOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One request line per request, written by registerRequestLog, instead of Fastify's two.
    logController: new RequestLineController(),
    childLoggerFactory: (logger, bindings, options) => requestChildLogger(logger as Logger, bindings, options as Record<string, unknown>) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    return503OnClosing: true,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    ajv: { customOptions: { coerceTypes: false, allErrors: true, removeAdditional: false, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerRequestLog(app, deps.logger);
  app.addHook('onRequest', refuseRepeatedHost);

  // Liveness: the process answers. Readiness: it can also reach its database (load balancers
  // take a node that cannot out of rotation; it comes back by itself).
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready', database: 'ok' };
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message }, 'not ready: the database cannot be reached');
      return reply.code(503).header('retry-after', DATABASE_RETRY_AFTER).send({ status: 'not_ready', database: 'unavailable' });
    }
  });

  await app.register(
    async (api) => {
      await api.register(cookie);
      await api.register(swagger, {
        openapi: {
          openapi: '3.0.3',
          info: { title: 'Drawbridge management API', version: '1' },
          servers: [{ url: deps.config.publicUrl }],
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'drawbridge_session' } } },
          security: [{ bearer: [] }, { session: [] }],
        },
      });
      api.decorateRequest('user', null);
      api.setErrorHandler((error, request, reply) => sendApiError(error, request, reply));
      api.setNotFoundHandler((request, reply) => sendApiError(new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`), request, reply));
      api.addHook('onRequest', authenticate(deps));
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
      await api.register(apiRoutes(deps));
    },
    { prefix: '/api/v1' },
  );

  for (const plugin of options.mount ?? []) await app.register(plugin);
  return app;
}
