import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { conflict, notFound } from '../../../shared/errors.js';
import { CLIENT_CREDENTIALS, TOKEN_EXCHANGE } from '../../../token-service/grants/grant-types.js';
import { generateKeys, regenerateSecret, updateCredentialSettings } from '../../../token-service/credentials.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';
import { loadApplication } from '../applications/service.js';
import { environmentByName } from '../environments/service.js';
import { CredentialSettingsBody, CredentialSettingsPatch, GracePeriodBody, GrantType, KeysView, KeysWithSecretView } from './schema.js';
import { builtinKeys, requestToken } from './service.js';
import { SUBJECT_TOKEN_TYPE_JWT, userKeys, UserKeysView } from './user-keys.js';
import { keysLabel, keysView } from './view.js';

/**
 * Keys of an application per environment in the developer portal: generate
 * built-in credentials (secret shown once), change their grant types and
 * token lifetime, regenerate the secret; "User Keys" (how to trade an IdP's
 * token for a platform token, as steps and a curl command); and test tokens
 * obtained from the real token endpoint.
 */

const KeyParams = Type.Object({ org: Type.String(), app: Type.String(), env: Type.String() });
const AppParams = Type.Object({ org: Type.String(), app: Type.String() });

export const portalKeyRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const base = '/orgs/:org/portal/applications/:app/keys';
    /** The member's access, the application (`need`: read it or manage it) and the environment a keys route names. */
    const keyTarget = async (request: FastifyRequest, params: Static<typeof KeyParams>, need: 'read' | 'manage') => {
      const access = await orgAccess(store, request, params.org);
      const application = await loadApplication(store, access, params.app, need);
      const env = await environmentByName(store, access.org.id, params.env);
      return { access, application, env };
    };

    app.get(
      base,
      {
        schema: { tags: ['portal'], summary: 'Keys of an application in every environment (promotion order)', params: AppParams, response: { 200: Type.Array(KeysView) } },
      },
      async (request) => {
        const access = await orgAccess(store, request, request.params.org);
        const application = await loadApplication(store, access, request.params.app, 'read');
        const [environments, credentials] = await Promise.all([store.orgs.environments(access.org.id), store.credentials.forApplication(access.org.id, application.id)]);
        return Promise.all(
          environments.map((e) =>
            keysView(
              store,
              deps.config.publicUrl,
              access.org,
              e,
              credentials.find((c) => c.environmentId === e.id),
            ),
          ),
        );
      },
    );

    app.get(
      `${base}/:env`,
      {
        schema: { tags: ['portal'], summary: 'Keys of an application in one environment: token endpoint and consumer key', params: KeyParams, response: { 200: KeysView } },
      },
      async (request) => {
        const { access, application, env } = await keyTarget(request, request.params, 'read');
        return keysView(store, deps.config.publicUrl, access.org, env, await store.credentials.forEnvironment(access.org.id, application.id, env.id));
      },
    );

    app.post(
      `${base}/:env`,
      {
        schema: {
          tags: ['portal'],
          summary: 'Generate Credentials: a consumer key and secret (the secret is shown once); 409 when keys exist',
          params: KeyParams,
          body: CredentialSettingsBody,
          response: { 201: KeysWithSecretView },
        },
      },
      async (request, reply) => {
        const { access, application, env } = await keyTarget(request, request.params, 'manage');
        const generated = await generateKeys(store, { org: access.org, application, environment: env, actor: actorOf(access.user), settings: request.body });
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ ...(await keysView(store, deps.config.publicUrl, access.org, env, generated.credential)), consumerSecret: generated.clientSecret });
      },
    );

    app.patch(
      `${base}/:env`,
      {
        schema: {
          tags: ['portal'],
          summary: 'Change the grant types, scopes or token lifetime of existing keys',
          params: KeyParams,
          body: CredentialSettingsPatch,
          response: { 200: KeysView },
        },
      },
      async (request) => {
        const { access, application, env } = await keyTarget(request, request.params, 'manage');
        const credential = await updateCredentialSettings(store, { org: access.org, application, environment: env, actor: actorOf(access.user), settings: request.body });
        return keysView(store, deps.config.publicUrl, access.org, env, credential);
      },
    );

    app.post(
      `${base}/:env/regenerate-secret`,
      {
        schema: {
          tags: ['portal'],
          summary: 'Regenerate the consumer secret (shown once); the old one stops working, optionally after a grace period',
          params: KeyParams,
          body: GracePeriodBody,
          response: { 200: KeysWithSecretView },
        },
      },
      async (request, reply) => {
        const { access, application, env } = await keyTarget(request, request.params, 'manage');
        const regenerated = await regenerateSecret(store, { org: access.org, application, environment: env, actor: actorOf(access.user), gracePeriod: request.body.gracePeriod ?? 0 });
        return reply.header('cache-control', 'no-store').send({ ...(await keysView(store, deps.config.publicUrl, access.org, env, regenerated.credential)), consumerSecret: regenerated.clientSecret });
      },
    );

    app.get(
      `${base}/:env/user-keys/:idp`,
      {
        schema: {
          tags: ['portal'],
          summary: "User Keys: how to exchange a token of one of the organization's IdPs (steps and a curl command; nothing secret)",
          params: Type.Object({ ...KeyParams.properties, idp: Type.String() }),
          querystring: Type.Object(
            { audience: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: "one of the IdP's allowed audiences (400 otherwise); default the first" })) },
            { additionalProperties: false },
          ),
          response: { 200: UserKeysView },
        },
      },
      async (request) => {
        const { access, application, env } = await keyTarget(request, request.params, 'read');
        const idp = (await store.identityProviders.byName(access.org.id, request.params.idp)) ?? (await store.identityProviders.byId(access.org.id, request.params.idp));
        if (!idp) throw notFound('Identity provider');
        const credential = await builtinKeys(store, access.org, application, env);
        if (!credential.grantTypes.includes(TOKEN_EXCHANGE)) {
          throw conflict(`The ${keysLabel(env)} do not allow token exchange; enable the grant type ${TOKEN_EXCHANGE} (PATCH …/keys/${env.name})`, { grantTypes: `lacks ${TOKEN_EXCHANGE}` });
        }
        return userKeys(deps, access.org, env, credential, idp, request.query.audience);
      },
    );

    app.post(
      `${base}/:env/test-token`,
      {
        schema: {
          tags: ['portal'],
          summary:
            "Generate Test Token through the token endpoint: client credentials, or a token exchange of a pasted IdP token. The secret and the IdP token are not stored. Answers with the token endpoint's status and body (RFC 6749/8693 errors included), except that a refused consumer secret (invalid_client) is 400, not 401.",
          params: KeyParams,
          body: Body({
            grantType: Type.Optional(GrantType),
            consumerSecret: Type.String({ minLength: 1, maxLength: 500 }),
            subjectToken: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384, description: 'the IdP token (token exchange)' })),
            subjectTokenType: Type.Optional(Type.String({ maxLength: 200, description: `default ${SUBJECT_TOKEN_TYPE_JWT}` })),
            scope: Type.Optional(Type.String({ maxLength: 2000 })),
          }),
        },
      },
      async (request, reply) => {
        const { access, application, env } = await keyTarget(request, request.params, 'read');
        const credential = await builtinKeys(store, access.org, application, env);
        const { consumerSecret, subjectToken, scope } = request.body;
        const grantType = request.body.grantType ?? (subjectToken !== undefined ? TOKEN_EXCHANGE : CLIENT_CREDENTIALS);
        const form: Record<string, string> = { grant_type: grantType };
        if (grantType === TOKEN_EXCHANGE) {
          if (subjectToken !== undefined) form.subject_token = subjectToken;
          form.subject_token_type = request.body.subjectTokenType ?? SUBJECT_TOKEN_TYPE_JWT;
        }
        if (scope !== undefined) form.scope = scope;
        const result = await requestToken(request.server, credential.clientId!, consumerSecret, form);
        // 401 on the management API means "sign in again" (the web app goes back to its sign-in page); a
        // consumer secret the token endpoint refused is the caller's bad input instead: 400, body unchanged.
        return reply
          .code(result.status === 401 ? 400 : result.status)
          .header('cache-control', 'no-store')
          .send(result.body);
      },
    );
  };
