import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { randomToken } from '../../../shared/crypto.js';
import { conflict, notFound } from '../../../shared/errors.js';
import { isUniqueViolation } from '../../../store/index.js';
import { requireInstallationAdmin, requireUser, type ControlPlaneDeps } from '../../context.js';
import { GATEWAY_TOKEN_PREFIX } from '../../gateway-sync.js';
import { Body, Slug } from '../../schemas.js';

const NodeView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  environment: Type.String(),
  createdAt: Type.String(),
  lastSeenAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Gateway-only nodes (hybrid mode). A node's token lets it fetch one environment's
 * snapshots from `/_drawbridge/gateway-sync/v1/snapshot`; snapshots span every
 * organization, so only the installation administrator manages nodes.
 */
export const gatewayNodeRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const requirePlatformAdmin = (request: Parameters<typeof requireUser>[0]) => requireInstallationAdmin(requireUser(request), 'Only the platform administrator can manage gateway nodes');

    app.post(
      '/admin/gateway-nodes',
      {
        schema: {
          tags: ['gateway nodes'],
          summary: 'Register a gateway-only node for one environment; its token is returned only in this response',
          body: Body({ name: Slug, environment: Slug }),
          response: { 201: Type.Intersect([NodeView, Type.Object({ token: Type.String({ description: 'DRAWBRIDGE_GATEWAY_TOKEN of the node (shown once)' }) })]) },
        },
      },
      async (request, reply) => {
        const user = requirePlatformAdmin(request);
        const token = randomToken(32, GATEWAY_TOKEN_PREFIX);
        try {
          const node = await deps.store.transaction(async (tx) => {
            const created = await tx.gatewayNodes.create({ ...request.body, token });
            await tx.audit.record({
              orgId: null,
              actorId: user.id,
              actor: user.email,
              action: 'gateway_node.created',
              targetType: 'gateway_node',
              targetId: created.id,
              details: { name: created.name, environment: created.environment },
            });
            return created;
          });
          return reply.code(201).send({ ...node, token });
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`A gateway node named "${request.body.name}" exists`, { name: 'is taken' });
          throw error;
        }
      },
    );

    app.get(
      '/admin/gateway-nodes',
      {
        schema: { tags: ['gateway nodes'], summary: 'Gateway-only nodes, with when each last asked for a snapshot', response: { 200: Type.Array(NodeView) } },
      },
      async (request) => {
        requirePlatformAdmin(request);
        return deps.store.gatewayNodes.list();
      },
    );

    app.delete(
      '/admin/gateway-nodes/:id',
      {
        schema: {
          tags: ['gateway nodes'],
          summary: "Revoke a node's token: it gets no further snapshot (it keeps serving the last one it has)",
          params: Type.Object({ id: Type.String() }),
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        const user = requirePlatformAdmin(request);
        const revoked = await deps.store.transaction(async (tx) => {
          const ok = await tx.gatewayNodes.revoke(request.params.id);
          if (ok) await tx.audit.record({ orgId: null, actorId: user.id, actor: user.email, action: 'gateway_node.revoked', targetType: 'gateway_node', targetId: request.params.id });
          return ok;
        });
        if (!revoked) throw notFound('Gateway node');
        return reply.code(204).send(null);
      },
    );
  };
