import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, forbidden, notFound } from '../../../shared/errors.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, Slug } from '../../schemas.js';

/**
 * "Add Keys" for an external identity provider: an application's credentials
 * in one environment become `{ idp, client ID registered there }`. The
 * gateway then accepts that IdP's tokens whose client-ID claim carries this
 * client ID as this application's. Admins and the application's owner.
 */
const Params = Type.Object({ org: Type.String(), app: Type.String(), env: Type.String() });
const ExternalKeysView = Type.Object({
  applicationId: Type.String(),
  environment: Type.String(),
  kind: Type.Literal('external'),
  identityProvider: Type.String(),
  externalClientId: Type.String(),
  createdAt: Type.String(),
});

export const externalKeyRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const path = '/orgs/:org/applications/:app/credentials/:env/external';

    async function target(request: Parameters<typeof orgAccess>[1], params: { org: string; app: string; env: string }) {
      const access = await orgAccess(store, request, params.org);
      const application = await store.applications.byId(access.org.id, params.app);
      if (!application) throw notFound('Application');
      if (access.role !== 'admin' && application.ownerUserId !== access.user.id) throw forbidden("Only organization admins and the application's owner can change its keys");
      const env = await store.orgs.environment(access.org.id, params.env);
      if (!env) throw notFound('Environment');
      return { ...access, application, env };
    }

    app.put(
      path,
      {
        schema: {
          tags: ['credentials'],
          summary: 'Add Keys from an external identity provider: the IdP and the client ID of the app registered there',
          params: Params,
          body: Body({ idpName: Slug, clientId: Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' }) }),
          response: { 200: ExternalKeysView },
        },
      },
      async (request) => {
        const { org, user, application, env } = await target(request, request.params);
        const idp = await store.identityProviders.byName(org.id, request.body.idpName);
        if (!idp) throw notFound(`Identity provider "${request.body.idpName}"`);
        const credential = await store.transaction(async (tx) => {
          const existing = await tx.credentials.forEnvironment(org.id, application.id, env.id);
          if (existing?.kind === 'builtin')
            throw conflict(`The ${env.name} environment of this application has built-in keys; an application uses either built-in or external keys per environment`, {
              environment: 'has built-in keys',
            });
          const taken = (await tx.credentials.byExternalClientId(org.id, idp.id, request.body.clientId)).filter((c) => c.environmentId === env.id && c.applicationId !== application.id);
          if (taken.length)
            throw conflict(`Client ID ${JSON.stringify(request.body.clientId)} of "${idp.name}" is already linked to another application in ${env.name}`, {
              clientId: 'is linked to another application',
            });
          if (existing) await tx.credentials.delete(org.id, existing.id);
          const created = await tx.credentials.createExternal({ orgId: org.id, applicationId: application.id, environmentId: env.id, idpId: idp.id, externalClientId: request.body.clientId });
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'credentials.external-set',
            targetType: 'application',
            targetId: application.id,
            details: { environment: env.name, identityProvider: idp.name, externalClientId: request.body.clientId },
          });
          return created;
        });
        return {
          applicationId: application.id,
          environment: env.name,
          kind: 'external' as const,
          identityProvider: idp.name,
          externalClientId: credential.externalClientId!,
          createdAt: credential.createdAt,
        };
      },
    );

    app.delete(
      path,
      {
        schema: { tags: ['credentials'], summary: 'Remove the external keys of one environment', params: Params, response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const { org, user, application, env } = await target(request, request.params);
        await store.transaction(async (tx) => {
          const existing = await tx.credentials.forEnvironment(org.id, application.id, env.id);
          if (existing?.kind !== 'external') throw notFound('External keys');
          await tx.credentials.delete(org.id, existing.id);
          await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'credentials.external-removed', targetType: 'application', targetId: application.id, details: { environment: env.name } });
        });
        return reply.code(204).send(null);
      },
    );
  };
