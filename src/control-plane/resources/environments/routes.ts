import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, invalid, notFound, unprocessable } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import type { Environment } from '../../../store/repos/organizations.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, DisplayName, HttpUrl, OrgParams, Slug } from '../../schemas.js';

const EnvironmentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  position: Type.Integer(),
  gatewayUrl: Type.String(),
  createdAt: Type.String(),
});

const EnvParams = Type.Object({ org: Type.String(), env: Type.String() });

const view = (e: Environment) => ({ id: e.id, name: e.name, displayName: e.displayName, position: e.position, gatewayUrl: e.gatewayUrl, createdAt: e.createdAt });

/** "staging-eu" → "Staging Eu": the display name until an admin picks one. */
const titleOf = (name: string): string =>
  name
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

const trimUrl = (url: string): string => url.replace(/\/+$/, '');

/** `names` must name every environment exactly once. Returns the ids in the new order. */
function orderedIds(current: Environment[], names: string[]): string[] {
  const byName = new Map(current.map((e) => [e.name, e.id]));
  const unknown = names.filter((n) => !byName.has(n));
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  const missing = current.map((e) => e.name).filter((n) => !names.includes(n));
  if (unknown.length || duplicates.length || missing.length) {
    const problems = [
      unknown.length ? `unknown: ${unknown.join(', ')}` : '',
      duplicates.length ? `repeated: ${[...new Set(duplicates)].join(', ')}` : '',
      missing.length ? `missing: ${missing.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    throw unprocessable(`names must list every environment exactly once (${problems})`, { names: problems });
  }
  return names.map((n) => byName.get(n) as string);
}

export const environmentRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/environments',
      {
        schema: { tags: ['environments'], summary: 'Environments in promotion order', params: OrgParams, response: { 200: Type.Array(EnvironmentView) } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        return (await store.orgs.environments(org.id)).map(view);
      },
    );

    app.get(
      '/orgs/:org/environments/:env',
      {
        schema: { tags: ['environments'], params: EnvParams, response: { 200: EnvironmentView } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        const env = await store.orgs.environment(org.id, request.params.env);
        if (!env) throw notFound('Environment');
        return view(env);
      },
    );

    app.post(
      '/orgs/:org/environments',
      {
        schema: {
          tags: ['environments'],
          summary: 'Add an environment to the promotion chain (admin only)',
          description: 'Without `position` the environment goes last; with it, environments from that position on move one step later.',
          params: OrgParams,
          body: Body({ name: Slug, displayName: Type.Optional(DisplayName), gatewayUrl: HttpUrl, position: Type.Optional(Type.Integer({ minimum: 0 })) }),
          response: { 201: EnvironmentView },
        },
      },
      async (request, reply) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        const { name, position } = request.body;
        const displayName = request.body.displayName?.trim() || titleOf(name);
        try {
          const created = await store.transaction(async (tx) => {
            if (await tx.orgs.environment(org.id, name)) throw conflict(`An environment named "${name}" already exists`, { name: 'is taken' });
            const count = (await tx.orgs.environments(org.id)).length;
            if (position !== undefined && position > count) throw unprocessable(`position must be between 0 and ${count}`, { position: `must be at most ${count}` });
            if (position !== undefined) await tx.orgs.shiftEnvironments(org.id, position);
            const env = await tx.orgs.addEnvironment({ orgId: org.id, name, displayName, gatewayUrl: trimUrl(request.body.gatewayUrl), position });
            await tx.audit.record({
              orgId: org.id,
              ...actorOf(user),
              action: 'environment.created',
              targetType: 'environment',
              targetId: env.id,
              details: { name, position: env.position, gatewayUrl: env.gatewayUrl },
            });
            return env;
          });
          return reply.code(201).send(view(created));
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`An environment named "${name}" already exists`, { name: 'is taken' });
          throw error;
        }
      },
    );

    app.put(
      '/orgs/:org/environments/order',
      {
        schema: {
          tags: ['environments'],
          summary: 'Reorder the promotion chain (admin only)',
          description: '`names` must list every existing environment exactly once, first to last.',
          params: OrgParams,
          body: Body({ names: Type.Array(Slug, { minItems: 1, maxItems: 100 }) }),
          response: { 200: Type.Array(EnvironmentView) },
        },
      },
      async (request) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        const reordered = await store.transaction(async (tx) => {
          await tx.orgs.lock(org.id);
          const current = await tx.orgs.environments(org.id);
          await tx.orgs.reorderEnvironments(org.id, orderedIds(current, request.body.names));
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(user),
            action: 'environment.reordered',
            targetType: 'organization',
            targetId: org.id,
            details: { from: current.map((e) => e.name), to: request.body.names },
          });
          return (await tx.orgs.environments(org.id)).map(view);
        });
        return reordered;
      },
    );

    app.patch(
      '/orgs/:org/environments/:env',
      {
        schema: {
          tags: ['environments'],
          summary: "Change an environment's display name or gateway URL (admin only); the name is fixed",
          params: EnvParams,
          body: Type.Object({ displayName: Type.Optional(DisplayName), gatewayUrl: Type.Optional(HttpUrl) }, { additionalProperties: false, minProperties: 1 }),
          response: { 200: EnvironmentView },
        },
      },
      async (request) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        const patch = {
          ...(request.body.displayName !== undefined && { displayName: request.body.displayName.trim() }),
          ...(request.body.gatewayUrl !== undefined && { gatewayUrl: trimUrl(request.body.gatewayUrl) }),
        };
        if (patch.displayName === '') throw invalid('The display name must not be blank', { displayName: 'must not be blank' });
        const updated = await store.transaction(async (tx) => {
          const env = await tx.orgs.environment(org.id, request.params.env);
          if (!env) throw notFound('Environment');
          await tx.orgs.updateEnvironment(env.id, patch);
          await tx.audit.record({ orgId: org.id, ...actorOf(user), action: 'environment.updated', targetType: 'environment', targetId: env.id, details: { name: env.name, ...patch } });
          return view({ ...env, ...patch });
        });
        return updated;
      },
    );
  };
