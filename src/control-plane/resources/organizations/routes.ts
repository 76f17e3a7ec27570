import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, invalid } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import { orgAccess, requireUser, type ControlPlaneDeps } from '../../context.js';
import { Body, OrgParams, Slug, slugify } from '../../schemas.js';
import { OrgView } from './schema.js';
import { createOrganization } from './service.js';

export const organizationRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store, config } = deps;

    app.post(
      '/orgs',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Create an organization; the caller becomes its admin',
          body: Body({ name: Type.String({ minLength: 1, maxLength: 100 }), handle: Type.Optional(Slug) }),
          response: { 201: OrgView },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const name = request.body.name.trim();
        const handle = request.body.handle ?? slugify(name);
        if (!name) throw invalid('The name must not be blank', { name: 'must not be blank' });
        if (!handle) throw invalid('Choose a handle: the name has no letters or digits to derive one from', { handle: 'is required' });
        const nameTaken = () => conflict(`An organization named "${name}" already exists`, { name: 'is taken' });
        const handleTaken = () => conflict(`The handle "${handle}" is taken; choose another`, { handle: 'is taken' });
        if (await store.orgs.nameTaken(name)) throw nameTaken();
        if (await store.orgs.handleTaken(handle)) throw handleTaken();
        try {
          const org = await createOrganization(store, config, user, { name, handle });
          return reply.code(201).send({ ...org, role: 'admin' });
        } catch (error) {
          // A concurrent request took the name or handle between the checks above and the insert.
          if (isUniqueViolation(error)) throw (await store.orgs.nameTaken(name)) ? nameTaken() : handleTaken();
          throw error;
        }
      },
    );

    app.get('/orgs', { schema: { tags: ['organizations'], summary: 'Organizations the caller belongs to', response: { 200: Type.Array(OrgView) } } }, async (request) =>
      store.orgs.listForUser(requireUser(request).id),
    );

    app.get('/orgs/:org', { schema: { tags: ['organizations'], params: OrgParams, response: { 200: OrgView } } }, async (request) => {
      const { org, role } = await orgAccess(store, request, request.params.org);
      return { ...org, role };
    });
  };
