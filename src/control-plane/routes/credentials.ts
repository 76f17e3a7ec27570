import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { forbidden, notFound } from '../../shared/errors.js';
import type { Store } from '../../store/index.js';
import type { Application } from '../../store/repos/applications.js';
import type { Credential } from '../../store/repos/credentials.js';
import type { Environment } from '../../store/repos/organizations.js';
import { PATHS } from '../../token-service/discovery.js';
import { generateKeys, MAX_SECRET_GRACE_PERIOD, MIN_TOKEN_LIFETIME, regenerateSecret, updateCredentialSettings } from '../../token-service/credentials.js';
import { MAX_TOKEN_LIFETIME } from '../../token-service/keys.js';
import { actorOf, orgAccess, type ControlPlaneDeps, type OrgAccess } from '../context.js';
import { Body } from '../schemas.js';
import { projectAccess } from './projects.js';

export { createComponentApplication } from '../../token-service/credentials.js';

/** One environment's authentication configuration of an application (never a secret). */
export const AuthenticationView = Type.Object({
  environment: Type.String(),
  kind: Type.Enum(['builtin', 'external'], { description: 'builtin: the platform token service (default); external: an organization IdP' }),
  keysGenerated: Type.Boolean(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  grantTypes: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  tokenLifetime: Type.Integer(),
  previousSecretExpiresAt: Type.Union([Type.String(), Type.Null()], { description: 'While set and in the future, the secret replaced last still works' }),
  idpId: Type.Union([Type.String(), Type.Null()]),
  externalClientId: Type.Union([Type.String(), Type.Null()]),
  tokenEndpoint: Type.Optional(Type.String({ description: 'Where the client gets tokens (builtin)' })),
});

const WithSecret = Type.Object({ ...AuthenticationView.properties, clientSecret: Type.String({ description: 'Shown once; only its SHA-256 is stored' }) });

const ApplicationView = Type.Object({
  id: Type.String(), name: Type.String(), description: Type.String(), componentId: Type.Union([Type.String(), Type.Null()]),
  ownerUserId: Type.Union([Type.String(), Type.Null()]), createdAt: Type.String(), updatedAt: Type.String(),
  authentication: Type.Array(AuthenticationView),
});

const GrantTypes = Type.Array(Type.String(), { minItems: 1, maxItems: 10 });
const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 });
const Lifetime = Type.Integer({ minimum: MIN_TOKEN_LIFETIME, maximum: MAX_TOKEN_LIFETIME, description: 'Access-token lifetime in seconds' });
const SettingsBody = Body({ grantTypes: Type.Optional(GrantTypes), scopes: Type.Optional(Scopes), tokenLifetime: Type.Optional(Lifetime) });

const AppParams = Type.Object({ org: Type.String(), app: Type.String() });
const EnvParams = Type.Object({ org: Type.String(), app: Type.String(), env: Type.String() });
const ComponentParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });

export function authenticationView(tokenEndpoint: string | undefined, environment: Environment, credential: Credential | undefined) {
  return {
    environment: environment.name,
    kind: credential?.kind ?? 'builtin',
    keysGenerated: credential?.kind === 'builtin',
    clientId: credential?.clientId ?? null,
    grantTypes: credential?.grantTypes ?? [],
    scopes: credential?.scopes ?? [],
    tokenLifetime: credential?.tokenLifetime ?? 3600,
    previousSecretExpiresAt: credential?.previousSecretExpiresAt ?? null,
    idpId: credential?.idpId ?? null,
    externalClientId: credential?.externalClientId ?? null,
    ...(tokenEndpoint !== undefined && { tokenEndpoint }),
  };
}

/** Per environment in promotion order: how the application authenticates there. */
export async function authenticationByEnvironment(store: Store, issuer: string | undefined, orgId: string, applicationId: string) {
  const [environments, credentials] = await Promise.all([store.orgs.environments(orgId), store.credentials.forApplication(orgId, applicationId)]);
  return environments.map((e) => authenticationView(issuer === undefined ? undefined : issuer + PATHS.token, e, credentials.find((c) => c.environmentId === e.id)));
}

/** For a component overview: each environment's authentication configuration of the component's application (none for API proxies). */
export async function componentAuthentication(store: Store, orgId: string, componentId: string) {
  const application = await store.applications.byComponent(orgId, componentId);
  if (!application) return new Map<string, ReturnType<typeof authenticationView>>();
  return new Map((await authenticationByEnvironment(store, undefined, orgId, application.id)).map((a) => [a.environment, a]));
}

/**
 * Consumer credentials. Any member sees them; organization admins and the
 * application's owner change them. Secrets appear once, in the answer that
 * creates them.
 */
export const credentialRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store, config } = deps;
  const tokenEndpoint = config.publicUrl + PATHS.token;

  async function application(request: FastifyRequest, handle: string, id: string, change: boolean): Promise<OrgAccess & { application: Application }> {
    const access = await orgAccess(store, request, handle);
    const found = await store.applications.byId(access.org.id, id);
    if (!found) throw notFound('Application');
    if (change && access.role !== 'admin' && found.ownerUserId !== access.user.id) throw forbidden('Only organization admins and the application\'s owner can change its credentials');
    return { ...access, application: found };
  }

  async function environment(orgId: string, name: string): Promise<Environment> {
    const env = await store.orgs.environment(orgId, name);
    if (!env) throw notFound('Environment');
    return env;
  }

  const describe = async (orgId: string, a: Application) => ({
    id: a.id, name: a.name, description: a.description, componentId: a.componentId, ownerUserId: a.ownerUserId, createdAt: a.createdAt, updatedAt: a.updatedAt,
    authentication: await authenticationByEnvironment(store, config.publicUrl, orgId, a.id),
  });

  app.get('/orgs/:org/projects/:project/components/:component/application', {
    schema: { tags: ['credentials'], summary: 'The application of an external-consumer component, with its credentials per environment', params: ComponentParams, response: { 200: ApplicationView } },
  }, async (request) => {
    const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
    const component = await store.projects.component(org.id, project.id, request.params.component);
    const found = component && (await store.applications.byComponent(org.id, component.id));
    if (!found) throw notFound(component ? 'Application of this component (only external consumers have one)' : 'Component');
    return describe(org.id, found);
  });

  app.get('/orgs/:org/applications/:app/credentials', {
    schema: { tags: ['credentials'], summary: 'Credentials of an application, per environment in promotion order', params: AppParams, response: { 200: Type.Array(AuthenticationView) } },
  }, async (request) => {
    const { org, application: a } = await application(request, request.params.org, request.params.app, false);
    return authenticationByEnvironment(store, config.publicUrl, org.id, a.id);
  });

  app.get('/orgs/:org/applications/:app/credentials/:env', {
    schema: { tags: ['credentials'], summary: 'Credentials of an application in one environment (never the secret)', params: EnvParams, response: { 200: AuthenticationView } },
  }, async (request) => {
    const { org, application: a } = await application(request, request.params.org, request.params.app, false);
    const env = await environment(org.id, request.params.env);
    return authenticationView(tokenEndpoint, env, await store.credentials.forEnvironment(org.id, a.id, env.id));
  });

  app.post('/orgs/:org/applications/:app/credentials/:env/keys', {
    schema: {
      tags: ['credentials'], summary: 'Generate Keys: a client ID and secret for one environment (the secret is shown once)',
      params: EnvParams, body: SettingsBody, response: { 201: WithSecret },
    },
  }, async (request, reply) => {
    const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
    const env = await environment(org.id, request.params.env);
    const { credential, clientSecret } = await generateKeys(store, { org, application: a, environment: env, actor: actorOf(user), settings: request.body });
    reply.header('cache-control', 'no-store');
    return reply.code(201).send({ ...authenticationView(tokenEndpoint, env, credential), clientSecret });
  });

  app.post('/orgs/:org/applications/:app/credentials/:env/secret', {
    schema: {
      tags: ['credentials'], summary: 'Regenerate Secret: a new secret (shown once); the old one stops working after the grace period',
      params: EnvParams,
      body: Body({ gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SECRET_GRACE_PERIOD, description: 'Seconds the old secret keeps working (default 0)' })) }),
      response: { 200: WithSecret },
    },
  }, async (request, reply) => {
    const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
    const env = await environment(org.id, request.params.env);
    const { credential, clientSecret } = await regenerateSecret(store, { org, application: a, environment: env, actor: actorOf(user), gracePeriod: request.body.gracePeriod ?? 0 });
    reply.header('cache-control', 'no-store');
    return { ...authenticationView(tokenEndpoint, env, credential), clientSecret };
  });

  app.patch('/orgs/:org/applications/:app/credentials/:env', {
    schema: { tags: ['credentials'], summary: 'Change grant types, allowed scopes or token lifetime', params: EnvParams, body: SettingsBody, response: { 200: AuthenticationView } },
  }, async (request) => {
    const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
    const env = await environment(org.id, request.params.env);
    const credential = await updateCredentialSettings(store, { org, application: a, environment: env, actor: actorOf(user), settings: request.body });
    return authenticationView(tokenEndpoint, env, credential);
  });
};
