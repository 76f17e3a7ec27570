import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { gatewayAudience } from '../../shared/jwt/index.js';
import type { IdpKind } from '../../shared/idp-keys/presets.js';
import type { Store } from '../../store/index.js';
import type { Application } from '../../store/repos/applications.js';
import type { Credential } from '../../store/repos/credentials.js';
import type { IdentityProvider } from '../../store/repos/identity-providers.js';
import type { Environment, Organization } from '../../store/repos/organizations.js';
import { PATHS } from '../../token-service/discovery.js';
import { CLIENT_CREDENTIALS, CREDENTIAL_GRANT_TYPES, TOKEN_EXCHANGE } from '../../token-service/grants/grant-types.js';
import { generateKeys, MAX_SECRET_GRACE_PERIOD, MIN_TOKEN_LIFETIME, regenerateSecret, updateCredentialSettings } from '../../token-service/credentials.js';
import { MAX_TOKEN_LIFETIME } from '../../token-service/keys.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../context.js';
import { Body } from '../schemas.js';
import { environmentByName, keysLabel, loadApplication } from './portal-common.js';

/**
 * Keys of an application per environment in the developer portal: generate
 * built-in credentials (secret shown once), change their grant types and
 * token lifetime, regenerate the secret; "User Keys" (how to trade an IdP's
 * token for a platform token, as steps and a curl command); and test tokens
 * obtained from the real token endpoint.
 */

const SUBJECT_TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';

export const tokenEndpointUrl = (issuer: string): string => issuer.replace(/\/+$/, '') + PATHS.token;

// --- credential operations: the token service's own (same rules, secret shown once) -----------

export async function builtinKeys(store: Store, org: Organization, app: Application, env: Environment): Promise<Credential> {
  const credential = await store.credentials.forEnvironment(org.id, app.id, env.id);
  if (!credential) throw notFound(`Keys for environment "${env.name}" (generate them first)`);
  if (credential.kind !== 'builtin') throw conflict(`The keys of environment "${env.name}" come from an external identity provider; they have no consumer secret`, { environment: 'has external keys' });
  return credential;
}

// --- views -----------------------------------------------------------------------

const GrantType = Type.Enum([...CREDENTIAL_GRANT_TYPES], { description: `${CLIENT_CREDENTIALS} or ${TOKEN_EXCHANGE}` });
const Lifetime = Type.Integer({ minimum: MIN_TOKEN_LIFETIME, maximum: MAX_TOKEN_LIFETIME, description: 'access-token lifetime in seconds' });
const ScopeList = Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,200}$' }), { maxItems: 100, description: 'scopes the client may be granted' });

export const KeysView = Type.Object({
  environment: Type.String(), displayName: Type.String(), label: Type.String({ description: 'e.g. "Production Keys"' }),
  tokenEndpoint: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('external'), Type.Null()], { description: 'null: no keys yet' }),
  consumerKey: Type.Union([Type.String(), Type.Null()]),
  grantTypes: Type.Array(Type.String()), scopes: Type.Array(Type.String()), tokenLifetime: Type.Union([Type.Integer(), Type.Null()]),
  previousSecretExpiresAt: Type.Union([Type.String(), Type.Null()], { description: 'the previous secret works until then (regeneration grace period)' }),
  identityProvider: Type.Union([Type.String(), Type.Null()], { description: 'external keys: the IdP' }),
  externalClientId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Union([Type.String(), Type.Null()]),
});
const KeysWithSecretView = Type.Object({ ...KeysView.properties, consumerSecret: Type.String({ description: 'shown this once; only its hash is stored' }) });

export async function keysView(store: Store, deps: ControlPlaneDeps, org: Organization, env: Environment, credential: Credential | undefined) {
  const idp = credential?.idpId ? await store.identityProviders.byId(org.id, credential.idpId) : undefined;
  return {
    environment: env.name, displayName: env.displayName, label: keysLabel(env), tokenEndpoint: tokenEndpointUrl(deps.config.publicUrl),
    kind: credential?.kind ?? null, consumerKey: credential?.clientId ?? null,
    grantTypes: credential?.grantTypes ?? [], scopes: credential?.scopes ?? [], tokenLifetime: credential?.kind === 'builtin' ? credential.tokenLifetime : null,
    previousSecretExpiresAt: credential?.previousSecretExpiresAt ?? null,
    identityProvider: idp?.name ?? null, externalClientId: credential?.externalClientId ?? null, createdAt: credential?.createdAt ?? null,
  };
}

// --- user keys: how to get a token from an IdP and exchange it -------------------------

/** Per IdP kind, how a client asks that IdP for a token with a given audience. One entry per kind. */
const AUDIENCE_REQUEST: Readonly<Record<IdpKind, (audience: string) => { parameter: string; value: string; hint: string }>> = {
  okta: (aud) => ({ parameter: 'scope', value: '<a scope of the authorization server>', hint: `Okta sets "aud" from the custom authorization server; its audience must be ${aud}` }),
  microsoft: (aud) => ({ parameter: 'scope', value: `${aud.replace(/\/+$/, '')}/.default`, hint: `Entra ID issues "aud" = ${aud} for the scope ${aud.replace(/\/+$/, '')}/.default` }),
  auth0: (aud) => ({ parameter: 'audience', value: aud, hint: `Auth0 issues a JWT access token for the API identifier ${aud}` }),
  keycloak: (aud) => ({ parameter: 'audience', value: aud, hint: `Keycloak puts ${aud} into "aud" with an audience mapper on the client` }),
  'generic-oidc': (aud) => ({ parameter: 'resource', value: aud, hint: `Ask for the resource (RFC 8707) or audience ${aud}` }),
};

/** POSIX shell single-quoting. */
const shq = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

export function tokenExchangeCurl(tokenEndpoint: string, consumerKey: string): string {
  return [
    `curl -sS -X POST ${shq(tokenEndpoint)}`,
    `  -u "${consumerKey.replace(/["\\$`]/g, '\\$&')}:\${CONSUMER_SECRET}"`,
    `  -H 'Content-Type: application/x-www-form-urlencoded'`,
    `  --data-urlencode ${shq(`grant_type=${TOKEN_EXCHANGE}`)}`,
    `  --data-urlencode ${shq(`subject_token_type=${SUBJECT_TOKEN_TYPE_JWT}`)}`,
    `  --data-urlencode "subject_token=\${IDP_TOKEN}"`,
  ].join(' \\\n');
}

const UserKeysView = Type.Object({
  environment: Type.String(),
  identityProvider: Type.Object({ name: Type.String(), kind: Type.String(), issuer: Type.String(), tokenEndpoint: Type.Union([Type.String(), Type.Null()]), audiences: Type.Array(Type.String()) }),
  idpTokenRequest: Type.Object({
    tokenEndpoint: Type.Union([Type.String(), Type.Null()]),
    audience: Type.String({ description: 'the audience the steps and this request use: `?audience=`, else the IdP\'s first allowed one' }),
    parameter: Type.String({ description: 'the request parameter that carries the audience at this kind of IdP' }), value: Type.String(), hint: Type.String(),
  }),
  audiences: Type.Array(Type.Object({
    audience: Type.String(), parameter: Type.String(), value: Type.String(), hint: Type.String(),
  }), { description: 'every audience the IdP allows, each with how to ask for it (pick one with `?audience=`)' }),
  tokenExchange: Type.Object({
    tokenEndpoint: Type.String(), consumerKey: Type.String(), grantType: Type.String(), subjectTokenType: Type.String(),
    audience: Type.String({ description: 'the platform audience of tokens issued for this environment' }),
  }),
  steps: Type.Array(Type.Object({ title: Type.String(), detail: Type.String() })),
  placeholders: Type.Record(Type.String(), Type.String()),
  curl: Type.String({ description: 'the token exchange; set CONSUMER_SECRET and IDP_TOKEN in the shell first' }),
});

/**
 * The User Keys answer for one IdP. `audience` (one of the IdP's allowed
 * audiences, else 400) picks the one the steps use; by default the first.
 */
export function userKeys(deps: ControlPlaneDeps, org: Organization, env: Environment, credential: Credential, idp: IdentityProvider, chosen?: string) {
  if (chosen !== undefined && !idp.audiences.includes(chosen)) {
    throw invalid(`"${chosen}" is not an allowed audience of identity provider "${idp.name}" (allowed: ${idp.audiences.join(', ') || 'none'})`, { audience: 'is not an allowed audience of the identity provider' });
  }
  const audience = chosen ?? idp.audiences[0] ?? '';
  const request = AUDIENCE_REQUEST[idp.kind](audience);
  const tokenEndpoint = tokenEndpointUrl(deps.config.publicUrl);
  const consumerKey = credential.clientId!;
  return {
    environment: env.name,
    identityProvider: { name: idp.name, kind: idp.kind, issuer: idp.issuer ?? idp.issuerTemplate ?? '', tokenEndpoint: idp.tokenEndpoint, audiences: idp.audiences },
    idpTokenRequest: { tokenEndpoint: idp.tokenEndpoint, audience, ...request },
    audiences: idp.audiences.map((aud) => ({ audience: aud, ...AUDIENCE_REQUEST[idp.kind](aud) })),
    tokenExchange: { tokenEndpoint, consumerKey, grantType: TOKEN_EXCHANGE, subjectTokenType: SUBJECT_TOKEN_TYPE_JWT, audience: gatewayAudience(org.id, env.name) },
    steps: [
      { title: `Get a token from ${idp.name}`, detail: `Request an access token from ${idp.tokenEndpoint ?? 'the identity provider\'s token endpoint'} with ${request.parameter}=${request.value}. ${request.hint}. Put it in IDP_TOKEN.` },
      { title: 'Provide the consumer secret', detail: `Put the consumer secret of consumer key ${consumerKey} in CONSUMER_SECRET (it was shown once; regenerate it if it is lost).` },
      { title: 'Exchange the token', detail: `Run the curl command: it posts the IdP token to ${tokenEndpoint} (RFC 8693 token exchange) and answers with a platform access token.` },
      { title: 'Call the API', detail: `Send "Authorization: Bearer <access_token>" to the ${env.name} gateway; the application must be subscribed to the API.` },
    ],
    placeholders: { CONSUMER_SECRET: `the consumer secret of ${consumerKey}`, IDP_TOKEN: `an access token issued by ${idp.name}` },
    curl: tokenExchangeCurl(tokenEndpoint, consumerKey),
  };
}

// --- test tokens through the real token endpoint -----------------------------------------

/**
 * Runs the token endpoint's own pipeline in-process (Fastify `inject`, no
 * socket): the same client authentication, grants and errors as a client
 * gets. Answers with the endpoint's status and body unchanged.
 */
export async function requestToken(server: FastifyInstance, consumerKey: string, consumerSecret: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const basic = Buffer.from(`${encodeURIComponent(consumerKey)}:${encodeURIComponent(consumerSecret)}`).toString('base64');
  const res = await server.inject({
    method: 'POST', url: PATHS.token,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = { error: 'server_error', error_description: 'The token endpoint did not answer with JSON' };
  }
  return { status: res.statusCode, body };
}

// --- routes --------------------------------------------------------------------------

const KeyParams = Type.Object({ org: Type.String(), app: Type.String(), env: Type.String() });
const AppParams = Type.Object({ org: Type.String(), app: Type.String() });

export const portalKeyRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;
  const base = '/orgs/:org/portal/applications/:app/keys';

  app.get(base, {
    schema: { tags: ['portal'], summary: 'Keys of an application in every environment (promotion order)', params: AppParams, response: { 200: Type.Array(KeysView) } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'read');
    const [environments, credentials] = await Promise.all([store.orgs.environments(access.org.id), store.credentials.forApplication(access.org.id, application.id)]);
    return Promise.all(environments.map((e) => keysView(store, deps, access.org, e, credentials.find((c) => c.environmentId === e.id))));
  });

  app.get(`${base}/:env`, {
    schema: { tags: ['portal'], summary: 'Keys of an application in one environment: token endpoint and consumer key', params: KeyParams, response: { 200: KeysView } },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'read');
    const env = await environmentByName(store, access.org.id, request.params.env);
    return keysView(store, deps, access.org, env, await store.credentials.forEnvironment(access.org.id, application.id, env.id));
  });

  app.post(`${base}/:env`, {
    schema: {
      tags: ['portal'], summary: 'Generate Credentials: a consumer key and secret (the secret is shown once); 409 when keys exist',
      params: KeyParams,
      body: Body({ grantTypes: Type.Optional(Type.Array(GrantType, { minItems: 1, uniqueItems: true })), tokenLifetime: Type.Optional(Lifetime), scopes: Type.Optional(ScopeList) }),
      response: { 201: KeysWithSecretView },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const env = await environmentByName(store, access.org.id, request.params.env);
    const generated = await generateKeys(store, { org: access.org, application, environment: env, actor: actorOf(access.user), settings: request.body });
    return reply.code(201).header('cache-control', 'no-store').send({ ...(await keysView(store, deps, access.org, env, generated.credential)), consumerSecret: generated.clientSecret });
  });

  app.patch(`${base}/:env`, {
    schema: {
      tags: ['portal'], summary: 'Change the grant types, scopes or token lifetime of existing keys',
      params: KeyParams,
      body: Type.Object({ grantTypes: Type.Optional(Type.Array(GrantType, { minItems: 1, uniqueItems: true })), tokenLifetime: Type.Optional(Lifetime), scopes: Type.Optional(ScopeList) }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: KeysView },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const env = await environmentByName(store, access.org.id, request.params.env);
    const credential = await updateCredentialSettings(store, { org: access.org, application, environment: env, actor: actorOf(access.user), settings: request.body });
    return keysView(store, deps, access.org, env, credential);
  });

  app.post(`${base}/:env/regenerate-secret`, {
    schema: {
      tags: ['portal'], summary: 'Regenerate the consumer secret (shown once); the old one stops working, optionally after a grace period',
      params: KeyParams,
      body: Body({ gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SECRET_GRACE_PERIOD, description: 'seconds the old secret keeps working' })) }),
      response: { 200: KeysWithSecretView },
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'manage');
    const env = await environmentByName(store, access.org.id, request.params.env);
    const regenerated = await regenerateSecret(store, { org: access.org, application, environment: env, actor: actorOf(access.user), gracePeriod: request.body.gracePeriod ?? 0 });
    return reply.header('cache-control', 'no-store').send({ ...(await keysView(store, deps, access.org, env, regenerated.credential)), consumerSecret: regenerated.clientSecret });
  });

  app.get(`${base}/:env/user-keys/:idp`, {
    schema: {
      tags: ['portal'], summary: 'User Keys: how to exchange a token of one of the organization\'s IdPs (steps and a curl command; nothing secret)',
      params: Type.Object({ ...KeyParams.properties, idp: Type.String() }),
      querystring: Type.Object({ audience: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'one of the IdP\'s allowed audiences (400 otherwise); default the first' })) }, { additionalProperties: false }),
      response: { 200: UserKeysView },
    },
  }, async (request) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'read');
    const env = await environmentByName(store, access.org.id, request.params.env);
    const idp = (await store.identityProviders.byName(access.org.id, request.params.idp)) ?? (await store.identityProviders.byId(access.org.id, request.params.idp));
    if (!idp) throw notFound('Identity provider');
    const credential = await builtinKeys(store, access.org, application, env);
    if (!credential.grantTypes.includes(TOKEN_EXCHANGE)) {
      throw conflict(`The ${keysLabel(env)} do not allow token exchange; enable the grant type ${TOKEN_EXCHANGE} (PATCH …/keys/${env.name})`, { grantTypes: `lacks ${TOKEN_EXCHANGE}` });
    }
    return userKeys(deps, access.org, env, credential, idp, request.query.audience);
  });

  app.post(`${base}/:env/test-token`, {
    schema: {
      tags: ['portal'],
      summary: 'Generate Test Token through the token endpoint: client credentials, or a token exchange of a pasted IdP token. The secret and the IdP token are not stored. Answers with the token endpoint\'s status and body (RFC 6749/8693 errors included), except that a refused consumer secret (invalid_client) is 400, not 401.',
      params: KeyParams,
      body: Body({
        grantType: Type.Optional(GrantType),
        consumerSecret: Type.String({ minLength: 1, maxLength: 500 }),
        subjectToken: Type.Optional(Type.String({ minLength: 1, maxLength: 16_384, description: 'the IdP token (token exchange)' })),
        subjectTokenType: Type.Optional(Type.String({ maxLength: 200, description: `default ${SUBJECT_TOKEN_TYPE_JWT}` })),
        scope: Type.Optional(Type.String({ maxLength: 2000 })),
      }),
    },
  }, async (request, reply) => {
    const access = await orgAccess(store, request, request.params.org);
    const application = await loadApplication(store, access, request.params.app, 'read');
    const env = await environmentByName(store, access.org.id, request.params.env);
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
    return reply.code(result.status === 401 ? 400 : result.status).header('cache-control', 'no-store').send(result.body);
  });
};
