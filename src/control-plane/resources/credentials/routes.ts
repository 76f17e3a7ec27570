import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { forbidden, notFound } from '../../../shared/errors.js';
import type { Application } from '../../../store/repos/applications.js';
import type { Environment } from '../../../store/repos/organizations.js';
import { PATHS } from '../../../token-service/discovery.js';
import { generateKeys, regenerateSecret, updateCredentialSettings } from '../../../token-service/credentials.js';
import { actorOf, orgAccess, type ControlPlaneDeps, type OrgAccess } from '../../context.js';
import { projectAccess } from '../projects/service.js';
import { ApplicationCredentialsView, AuthenticationView, CredentialSettingsBody, GracePeriodBody, WithSecret } from './schema.js';
import { authenticationByEnvironment, authenticationView } from './view.js';

const AppParams = Type.Object({ org: Type.String(), app: Type.String() });
const EnvParams = Type.Object({ org: Type.String(), app: Type.String(), env: Type.String() });
const ComponentParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });

/**
 * Consumer credentials. Any member sees them; organization admins and the
 * application's owner change them. Secrets appear once, in the answer that
 * creates them.
 */
export const credentialRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store, config } = deps;
    const tokenEndpoint = config.publicUrl + PATHS.token;

    async function application(request: FastifyRequest, handle: string, id: string, change: boolean): Promise<OrgAccess & { application: Application }> {
      const access = await orgAccess(store, request, handle);
      const found = await store.applications.byId(access.org.id, id);
      if (!found) throw notFound('Application');
      if (change && access.role !== 'admin' && found.ownerUserId !== access.user.id) throw forbidden("Only organization admins and the application's owner can change its credentials");
      return { ...access, application: found };
    }

    async function environment(orgId: string, name: string): Promise<Environment> {
      const env = await store.orgs.environment(orgId, name);
      if (!env) throw notFound('Environment');
      return env;
    }

    const describe = async (orgId: string, a: Application) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      componentId: a.componentId,
      ownerUserId: a.ownerUserId,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
      authentication: await authenticationByEnvironment(store, config.publicUrl, orgId, a.id),
    });

    app.get(
      '/orgs/:org/projects/:project/components/:component/application',
      {
        schema: {
          tags: ['credentials'],
          summary: 'The application of an external-consumer component, with its credentials per environment',
          params: ComponentParams,
          response: { 200: ApplicationCredentialsView },
        },
      },
      async (request) => {
        const { org, project } = await projectAccess(store, request, request.params.org, request.params.project);
        const component = await store.projects.component(org.id, project.id, request.params.component);
        const found = component && (await store.applications.byComponent(org.id, component.id));
        if (!found) throw notFound(component ? 'Application of this component (only external consumers have one)' : 'Component');
        return describe(org.id, found);
      },
    );

    app.get(
      '/orgs/:org/applications/:app/credentials',
      {
        schema: { tags: ['credentials'], summary: 'Credentials of an application, per environment in promotion order', params: AppParams, response: { 200: Type.Array(AuthenticationView) } },
      },
      async (request) => {
        const { org, application: a } = await application(request, request.params.org, request.params.app, false);
        return authenticationByEnvironment(store, config.publicUrl, org.id, a.id);
      },
    );

    app.get(
      '/orgs/:org/applications/:app/credentials/:env',
      {
        schema: { tags: ['credentials'], summary: 'Credentials of an application in one environment (never the secret)', params: EnvParams, response: { 200: AuthenticationView } },
      },
      async (request) => {
        const { org, application: a } = await application(request, request.params.org, request.params.app, false);
        const env = await environment(org.id, request.params.env);
        return authenticationView(tokenEndpoint, env, await store.credentials.forEnvironment(org.id, a.id, env.id));
      },
    );

    app.post(
      '/orgs/:org/applications/:app/credentials/:env/keys',
      {
        schema: {
          tags: ['credentials'],
          summary: 'Generate Keys: a client ID and secret for one environment (the secret is shown once)',
          params: EnvParams,
          body: CredentialSettingsBody,
          response: { 201: WithSecret },
        },
      },
      async (request, reply) => {
        const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
        const env = await environment(org.id, request.params.env);
        const { credential, clientSecret } = await generateKeys(store, { org, application: a, environment: env, actor: actorOf(user), settings: request.body });
        reply.header('cache-control', 'no-store');
        return reply.code(201).send({ ...authenticationView(tokenEndpoint, env, credential), clientSecret });
      },
    );

    app.post(
      '/orgs/:org/applications/:app/credentials/:env/secret',
      {
        schema: {
          tags: ['credentials'],
          summary: 'Regenerate Secret: a new secret (shown once); the old one stops working after the grace period',
          params: EnvParams,
          body: GracePeriodBody,
          response: { 200: WithSecret },
        },
      },
      async (request, reply) => {
        const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
        const env = await environment(org.id, request.params.env);
        const { credential, clientSecret } = await regenerateSecret(store, { org, application: a, environment: env, actor: actorOf(user), gracePeriod: request.body.gracePeriod ?? 0 });
        reply.header('cache-control', 'no-store');
        return { ...authenticationView(tokenEndpoint, env, credential), clientSecret };
      },
    );

    app.patch(
      '/orgs/:org/applications/:app/credentials/:env',
      {
        schema: { tags: ['credentials'], summary: 'Change grant types, allowed scopes or token lifetime', params: EnvParams, body: CredentialSettingsBody, response: { 200: AuthenticationView } },
      },
      async (request) => {
        const { org, user, application: a } = await application(request, request.params.org, request.params.app, true);
        const env = await environment(org.id, request.params.env);
        const credential = await updateCredentialSettings(store, { org, application: a, environment: env, actor: actorOf(user), settings: request.body });
        return authenticationView(tokenEndpoint, env, credential);
      },
    );
  };
