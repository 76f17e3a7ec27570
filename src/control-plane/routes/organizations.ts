import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../../shared/config.js';
import { conflict, invalid } from '../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../store/index.js';
import type { Organization } from '../../store/repos/organizations.js';
import type { User } from '../../store/repos/users.js';
import { actorOf, orgAccess, requireUser, type ControlPlaneDeps } from '../context.js';
import { Body, OrgParams, Slug, slugify } from '../schemas.js';

export const OrgView = Type.Object({ id: Type.String(), name: Type.String(), handle: Type.String(), createdAt: Type.String(), role: Type.Optional(Type.String()) });

export const DEFAULT_ENVIRONMENTS = [
  { name: 'development', displayName: 'Development' },
  { name: 'production', displayName: 'Production' },
];

/** The base URL a new environment's gateway serves: the configured listener's port on the public host. */
export function defaultGatewayUrl(config: Config, environment: string): string {
  const listener = config.gateways.find((g) => g.environment === environment);
  const base = new URL(config.publicUrl);
  if (listener) base.port = String(listener.port);
  return base.origin;
}

/** Creates an organization with its creator as admin, a default project and the default promotion chain, atomically. */
export async function createOrganization(store: Store, config: Config, user: User, input: { name: string; handle: string }): Promise<Organization> {
  return store.transaction(async (tx) => {
    const org = await tx.orgs.create(input);
    await tx.orgs.addMember(org.id, user.id, 'admin');
    for (const env of DEFAULT_ENVIRONMENTS) {
      await tx.orgs.addEnvironment({ orgId: org.id, name: env.name, displayName: env.displayName, gatewayUrl: defaultGatewayUrl(config, env.name) });
    }
    await tx.projects.create({ orgId: org.id, name: 'default', displayName: 'Default project', isDefault: true });
    await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'organization.created', targetType: 'organization', targetId: org.id, details: { name: org.name, handle: org.handle } });
    return org;
  });
}

export const organizationRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store, config } = deps;

  app.post('/orgs', {
    schema: {
      tags: ['organizations'],
      summary: 'Create an organization; the caller becomes its admin',
      body: Body({ name: Type.String({ minLength: 1, maxLength: 100 }), handle: Type.Optional(Slug) }),
      response: { 201: OrgView },
    },
  }, async (request, reply) => {
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
  });

  app.get('/orgs', { schema: { tags: ['organizations'], summary: 'Organizations the caller belongs to', response: { 200: Type.Array(OrgView) } } },
    async (request) => store.orgs.listForUser(requireUser(request).id));

  app.get('/orgs/:org', { schema: { tags: ['organizations'], params: OrgParams, response: { 200: OrgView } } }, async (request) => {
    const { org, role } = await orgAccess(store, request, request.params.org);
    return { ...org, role };
  });
};
