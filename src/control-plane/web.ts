import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** Where `npm run build:web` (Vite) writes the console and portal. */
const WEB_DIST = resolve(import.meta.dirname, '../../web/dist');
/** The URL prefix of the built assets; Vite's `base`. */
const WEB_ASSETS_PREFIX = '/web/';

/**
 * The page's security policy: scripts and connections only from this origin (no inline
 * scripts, no eval); Mantine sets styles at run time, so inline styles are allowed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

/**
 * Serves the web console (`/console/`) and the developer portal (`/portal/`): one
 * single-page app built by Vite into web/dist. Every page path answers the same
 * index.html (the app routes in the browser); `/` redirects to the console.
 */
export const webApp =
  (dist = WEB_DIST): FastifyPluginAsync =>
  async (app) => {
    const indexFile = resolve(dist, 'index.html');
    let indexHtml: string | undefined;
    const page = (_request: unknown, reply: FastifyReply) => {
      indexHtml ??= existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
      securityHeaders(reply).header('cache-control', 'no-cache');
      if (indexHtml === undefined) {
        return reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built. Run "npm run build:web" (npm start does it for you).\n');
      }
      return reply.type('text/html; charset=utf-8').send(indexHtml);
    };

    // Without a build (a checkout before `npm run build:web`) the pages answer 503 saying so.
    if (existsSync(resolve(dist, 'assets')))
      await app.register(fastifyStatic, {
        root: resolve(dist, 'assets'),
        prefix: `${WEB_ASSETS_PREFIX}assets/`,
        wildcard: true,
        index: false,
        // Vite names assets by their content hash, so they never change under one URL.
        immutable: true,
        maxAge: '365d',
        setHeaders: (res) => {
          res.header('x-content-type-options', 'nosniff');
          res.header('cross-origin-resource-policy', 'same-origin');
        },
      });

    app.get('/', { config: { public: true } }, async (_request, reply) => securityHeaders(reply).redirect('/console/', 302));
    for (const area of ['console', 'portal']) {
      app.get(`/${area}`, { config: { public: true } }, async (_request, reply) => securityHeaders(reply).redirect(`/${area}/`, 302));
      app.get(`/${area}/*`, { config: { public: true } }, page);
    }
  };
