import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireUser, type ControlPlaneDeps } from '../../context.js';
import { catalogue } from '../../snapshot/policies.js';

const PolicySchemaView = Type.Object({
  name: Type.String(),
  version: Type.String(),
  ref: Type.String({ description: '`name@version`, what an attachment names' }),
  displayName: Type.String(),
  description: Type.String(),
  phases: Type.Array(Type.String()),
  fields: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'settings: name, type, description, required, default, secret, …' }),
});

/** The policy catalogue: every policy the gateway has registered, with the schema of its settings (the console draws its forms from it). */
export const policyRoutes =
  (_deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/policies',
      {
        schema: { tags: ['policies'], summary: 'Policies that can be attached to API resources', response: { 200: Type.Array(PolicySchemaView) } },
      },
      async (request) => {
        requireUser(request);
        return catalogue().map((s) => ({ ...s, ref: `${s.name}@${s.version}`, phases: [...s.phases], fields: s.fields as unknown as Record<string, unknown>[] }));
      },
    );
  };
