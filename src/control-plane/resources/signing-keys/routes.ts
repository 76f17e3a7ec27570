import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listSigningKeys, rotateSigningKey } from '../../../token-service/keys.js';
import { requireInstallationAdmin, requireUser, type ControlPlaneDeps } from '../../context.js';
import { Body } from '../../schemas.js';

/**
 * Signing keys are installation-wide (one issuer serves every organization),
 * so only the installation administrator (`requireInstallationAdmin` in
 * context.ts) manages them. Organization admins cannot: a rotation affects
 * every tenant.
 */
const KeyView = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  state: Type.Enum(['pending', 'active', 'retired']),
  createdAt: Type.String(),
  activatesAt: Type.String(),
  retiredAt: Type.Union([Type.String(), Type.Null()]),
  publishUntil: Type.Union([Type.String(), Type.Null()]),
});

export const signingKeyRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const requirePlatformAdmin = (request: Parameters<typeof requireUser>[0]) => requireInstallationAdmin(requireUser(request), 'Only the platform administrator can manage signing keys');

    app.get(
      '/admin/signing-keys',
      {
        schema: { tags: ['signing keys'], summary: "The token service's signing keys (public data only)", response: { 200: Type.Array(KeyView) } },
      },
      async (request) => {
        requirePlatformAdmin(request);
        return listSigningKeys(deps.store, deps.clock);
      },
    );

    app.post(
      '/admin/signing-keys/rotate',
      {
        schema: {
          tags: ['signing keys'],
          summary: 'Rotate: the new key is published now and signs after the publish-ahead delay; the old one stays published until its tokens expired',
          body: Type.Optional(Body({})),
          response: { 201: Type.Object({ key: KeyView, retiring: Type.Array(KeyView) }) },
        },
      },
      async (request, reply) => {
        const user = requirePlatformAdmin(request);
        const result = await rotateSigningKey(deps);
        await deps.store.audit.record({
          orgId: null,
          actorId: user.id,
          actor: user.email,
          action: 'signing_key.rotated',
          targetType: 'signing_key',
          targetId: result.key.kid,
          details: { alg: result.key.alg, activatesAt: result.key.activatesAt, retiring: result.retiring.map((k) => k.kid) },
        });
        // Keys are installation-wide: no organization, so every environment's snapshot is recompiled
        // now rather than at the next poll, well inside the publish-ahead delay.
        return reply.code(201).send(result);
      },
    );
  };
