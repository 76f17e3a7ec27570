import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { dummyPasswordHash, hashPassword, randomToken, verifyPassword } from '../../../shared/crypto.js';
import { ApiError, notFound } from '../../../shared/errors.js';
import { API_TOKEN_PREFIX, CSRF_HEADER, csrfTokenFor, LoginThrottle, SESSION_COOKIE, SESSION_TTL_MS } from '../../auth.js';
import { requireUser, type ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';

const UserView = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), createdAt: Type.String() });
const SessionView = Type.Object({
  user: UserView,
  csrfToken: Type.String({ description: `send it in the ${CSRF_HEADER} header of every POST, PUT, PATCH and DELETE made with the session cookie` }),
});
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export const authRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const throttle = deps.signInThrottle ?? new LoginThrottle(deps.clock);
    const secureCookie = deps.config.publicUrl.startsWith('https://');

    /**
     * Runs one password check under the throttle, keyed by the account and the client address.
     * The attempt is reserved before `check` starts, so parallel guesses count like sequential
     * ones; `check` answers what it verified, or undefined for a wrong password (a failure).
     */
    async function checkPassword<T>(request: FastifyRequest, reply: FastifyReply, account: string, lockedMessage: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
      const begun = await throttle.begin([`user:${account.toLowerCase()}`, `ip:${request.ip}`]);
      if ('retryAfterMs' in begun) {
        reply.header('retry-after', Math.ceil(begun.retryAfterMs / 1000));
        throw new ApiError('rate_limited', lockedMessage);
      }
      const { attempt } = begun;
      try {
        const result = await check();
        if (result === undefined) attempt.fail();
        else attempt.succeed();
        return result;
      } finally {
        attempt.release(); // an error before settling: give the reservation back uncounted
      }
    }

    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with a password; sets the console session cookie',
          body: Body({ username: Type.String({ minLength: 1, maxLength: 320, description: 'email address (or "admin")' }), password: Type.String({ minLength: 1, maxLength: 1024 }) }),
          response: { 200: SessionView },
        },
      },
      async (request, reply) => {
        const { username, password } = request.body;
        const found = await checkPassword(request, reply, username, 'Too many failed sign-in attempts; try again later', async () => {
          const credentials = await store.users.credentialsByEmail(username);
          const ok = await verifyPassword(password, credentials?.passwordHash ?? (await dummyPasswordHash()));
          return ok ? credentials : undefined;
        });
        if (!found) throw new ApiError('unauthenticated', 'Wrong username or password');
        const token = randomToken(32);
        await store.users.createSession(found.user.id, token, SESSION_TTL_MS);
        reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: secureCookie, path: '/', maxAge: SESSION_TTL_MS / 1000 });
        return { user: found.user, csrfToken: csrfTokenFor(token) };
      },
    );

    app.get(
      '/auth/session',
      {
        schema: {
          tags: ['auth'],
          summary: "The signed-in user of the session cookie and the session's CSRF token (401 without a live session)",
          response: { 200: SessionView },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const token = request.cookies[SESSION_COOKIE];
        if (!token || request.headers.authorization !== undefined) throw new ApiError('bad_request', 'This endpoint describes a cookie session; API tokens need no CSRF token');
        return { user, csrfToken: csrfTokenFor(token) };
      },
    );

    app.post('/auth/logout', { config: { public: true }, schema: { tags: ['auth'], response: { 204: Type.Null() } } }, async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await store.users.deleteSession(token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    });

    app.get('/me', { schema: { tags: ['auth'], response: { 200: UserView } } }, async (request) => requireUser(request));

    app.post(
      '/me/password',
      {
        schema: { tags: ['auth'], body: Body({ currentPassword: Type.String({ minLength: 1 }), newPassword: Type.String({ minLength: 12, maxLength: 1024 }) }), response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const verified = await checkPassword(request, reply, user.email, 'Too many wrong passwords; try again later', async () => {
          const found = await store.users.credentialsByEmail(user.email);
          return found && (await verifyPassword(request.body.currentPassword, found.passwordHash)) ? found : undefined;
        });
        if (!verified) throw new ApiError('forbidden', 'The current password is wrong');
        await store.transaction(async (tx) => {
          await tx.users.setPassword(user.id, await hashPassword(request.body.newPassword));
          await tx.audit.record({ orgId: null, actorId: user.id, actor: user.email, action: 'user.password.changed', targetType: 'user', targetId: user.id });
        });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/me/tokens',
      {
        schema: {
          tags: ['auth'],
          summary: 'Create a personal API token; the token is returned only in this response',
          body: Body({ name: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 201: Type.Intersect([TokenView, Type.Object({ token: Type.String() })]) },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const token = randomToken(32, API_TOKEN_PREFIX);
        const created = await store.transaction(async (tx) => {
          const t = await tx.users.createApiToken(user.id, request.body.name, token);
          await tx.audit.record({ orgId: null, actorId: user.id, actor: user.email, action: 'api-token.created', targetType: 'api-token', targetId: t.id, details: { name: t.name } });
          return t;
        });
        return reply.code(201).send({ ...created, token });
      },
    );

    app.get('/me/tokens', { schema: { tags: ['auth'], response: { 200: Type.Array(TokenView) } } }, async (request) => store.users.listApiTokens(requireUser(request).id));

    app.delete('/me/tokens/:id', { schema: { tags: ['auth'], params: Type.Object({ id: Type.String() }), response: { 204: Type.Null() } } }, async (request, reply) => {
      const user = requireUser(request);
      const revoked = await store.transaction(async (tx) => {
        const ok = await tx.users.revokeApiToken(user.id, request.params.id);
        if (ok) await tx.audit.record({ orgId: null, actorId: user.id, actor: user.email, action: 'api-token.revoked', targetType: 'api-token', targetId: request.params.id });
        return ok;
      });
      if (!revoked) throw notFound('API token');
      return reply.code(204).send(null);
    });
  };
