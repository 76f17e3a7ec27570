import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import { Agent, request as httpRequest } from 'undici';
import { apiBasePath } from '../../../gateway/index.js';
import { ApiError, conflict, invalid, unprocessable } from '../../../shared/errors.js';
import { CLIENT_CREDENTIALS } from '../../../token-service/grants/grant-types.js';
import { orgAccess, type ControlPlaneDeps } from '../../context.js';
import { endpointUrl } from '../apis/service.js';
import { loadApplication } from '../applications/service.js';
import { builtinKeys, requestToken } from '../credentials/service.js';
import { environmentByName } from '../environments/service.js';
import { visibleApi } from '../portal/service.js';
import { TRY_IT_LIMITS, TryItBody, TryItView } from './schema.js';
import { checkHeaders, decodeBody, readCapped, tryItCurl, tryItTarget, unverifiedClaims } from './service.js';

/**
 * "Try it" in the developer portal: one call to a resource of an API through
 * an environment's gateway, made by the control plane for the page (so the
 * backend needs no CORS set-up and the browser never holds the test token).
 *
 * - Who: the application's owner or an admin, for an application subscribed
 *   to the API, for an API the caller sees in the portal (404 otherwise, like
 *   every portal route).
 * - Token: a client-credentials token the token endpoint issues for the
 *   application's keys in that environment (its own pipeline, in-process), from
 *   the consumer secret the developer enters; the platform stores only the
 *   secret's hash, so it cannot mint one without it. Or a platform token the
 *   page already holds for that application and environment (from Generate
 *   Test Token). Neither the secret nor the token is stored, logged or answered.
 * - Where: only this node's own gateway listener of that environment, only
 *   under the API's base path. The caller names no URL or host; the path is
 *   normalized the way the gateway does it and must stay under the base path.
 * - Bounds: request body 64 KiB, 50 query parameters, 30 headers, response
 *   body captured up to 256 KiB (marked truncated beyond), 10 s for the whole call.
 * - Answer: the request as curl (the token as `${ACCESS_TOKEN}`) and the
 *   gateway's status, headers and body, whatever the status.
 */

export const portalTryItRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    // Connections only to this node's gateways: short keep-alive, closed with the server.
    const dispatcher = new Agent({ keepAliveTimeout: 4_000, connections: 8, connect: { timeout: 5_000 } });
    app.addHook('onClose', async () => dispatcher.close());

    app.post(
      '/orgs/:org/portal/applications/:app/try-it',
      {
        schema: {
          tags: ['portal'],
          summary:
            "Try it: call a resource of a subscribed API through this node's gateway of an environment with a test token of the application (from its consumer secret, or a platform token of it). Answers the gateway's status, headers and body, and the request as curl with the token redacted.",
          params: Type.Object({ org: Type.String(), app: Type.String({ description: 'application id' }) }),
          body: TryItBody,
          response: { 200: TryItView },
        },
      },
      async (request, reply) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'manage');
        const input = request.body;
        const api = await visibleApi(store, access, input.api);
        const env = await environmentByName(store, access.org.id, input.environment);

        if ((input.consumerSecret === undefined) === (input.accessToken === undefined)) {
          throw invalid('Send either consumerSecret (Try it gets a client-credentials token) or accessToken (a platform token of this application)', { consumerSecret: 'or accessToken is required' });
        }
        if (input.body !== undefined && input.body !== '' && (input.method === 'GET' || input.method === 'HEAD')) {
          throw invalid(`A ${input.method} request has no body`, { body: `is not allowed with ${input.method}` });
        }
        const headers = input.headers ?? [];
        checkHeaders(headers);
        const basePath = apiBasePath({ orgHandle: access.org.handle, contextPath: api.contextPath, version: api.version });
        const path = tryItTarget(basePath, input.path);
        const query = new URLSearchParams((input.query ?? []).map((q): [string, string] => [q.name, q.value])).toString();

        if (!(await store.subscriptions.find(access.org.id, application.id, api.id))) {
          throw conflict(`Application "${application.name}" is not subscribed to this API; subscribe it first`, { api: 'is not subscribed' });
        }
        const gateway = deps.localGatewayUrl?.(env.name);
        if (!gateway) {
          throw conflict(`This node runs no gateway for environment "${env.name}"; Try it calls only the platform's own gateways`, { environment: 'has no gateway on this node' });
        }
        const deployed = (await store.deployments.activeForApi(access.org.id, api.id)).some((d) => d.environmentId === env.id);
        if (!deployed) throw conflict(`The API is not deployed in environment "${env.name}"`, { environment: 'has no deployment of the API' });

        // The test token.
        let token: string;
        let tokenSource: 'client_credentials' | 'access_token';
        if (input.consumerSecret !== undefined) {
          const credential = await builtinKeys(store, access.org, application, env);
          const issued = await requestToken(request.server, credential.clientId!, input.consumerSecret, { grant_type: CLIENT_CREDENTIALS });
          const body = issued.body as { access_token?: unknown; error?: string; error_description?: string };
          if (issued.status !== 200 || typeof body.access_token !== 'string') {
            const field = body.error === 'invalid_client' ? 'consumerSecret' : 'grantTypes';
            throw unprocessable(`The token endpoint refused a test token: ${body.error ?? issued.status}${body.error_description ? ` (${body.error_description})` : ''}`, {
              [field]: body.error ?? 'refused',
            });
          }
          token = body.access_token;
          tokenSource = 'client_credentials';
        } else {
          const claims = unverifiedClaims(input.accessToken!);
          if (!claims || claims.org_id !== access.org.id || claims.app_id !== application.id || claims.env !== env.name) {
            throw unprocessable(`The access token is not a platform token of application "${application.name}" in environment "${env.name}"`, {
              accessToken: 'is not a token of this application and environment',
            });
          }
          token = input.accessToken!;
          tokenSource = 'access_token';
        }

        // The call, to this node's own gateway listener only.
        const target = `${path}${query ? `?${query}` : ''}`;
        const publicUrl = endpointUrl(env, access.org, api).replace(/\/+$/, '') + target.slice(basePath.length);
        const sendBody = input.body !== undefined && input.body !== '' ? input.body : undefined;
        const outgoing: Record<string, string> = {};
        for (const h of headers) outgoing[h.name.toLowerCase()] = outgoing[h.name.toLowerCase()] !== undefined ? `${outgoing[h.name.toLowerCase()]}, ${h.value}` : h.value;
        outgoing.authorization = `Bearer ${token}`;
        const started = performance.now();
        const signal = AbortSignal.timeout(TRY_IT_LIMITS.timeoutMs);
        let result: Static<typeof TryItView>['response'];
        try {
          const res = await httpRequest(new URL(target, gateway), {
            method: input.method,
            headers: outgoing,
            body: sendBody,
            dispatcher,
            signal,
            headersTimeout: TRY_IT_LIMITS.timeoutMs,
            bodyTimeout: TRY_IT_LIMITS.timeoutMs,
          });
          const { bytes, truncated } = await readCapped(res.body, TRY_IT_LIMITS.responseBytes);
          if (truncated) res.body.destroy();
          const responseHeaders: { name: string; value: string }[] = [];
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.push({ name, value: v });
          }
          result = { status: res.statusCode, headers: responseHeaders, ...decodeBody(bytes, truncated), truncated, durationMs: Math.round(performance.now() - started) };
        } catch (error) {
          if (signal.aborted || (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' || (error as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT') {
            throw new ApiError('gateway_timeout', `The ${env.name} gateway did not answer within ${TRY_IT_LIMITS.timeoutMs / 1000} s`);
          }
          throw new ApiError('bad_gateway', `The ${env.name} gateway could not be reached`, undefined, (error as Error).message);
        }
        const shownHeaders = [{ name: 'Authorization', value: 'Bearer ${ACCESS_TOKEN}' }, ...headers];
        return reply.header('cache-control', 'no-store').send({
          request: { method: input.method, url: publicUrl, headers: shownHeaders, curl: tryItCurl(input.method, publicUrl, headers, sendBody), tokenSource },
          response: result,
        });
      },
    );
  };
