import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { invalid } from '../../shared/errors.js';
import { orgAccess, type ControlPlaneDeps } from '../context.js';
import { OrgParams } from '../schemas.js';

export const AuditEventView = Type.Object({
  id: Type.String(),
  actor: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Object({}, { additionalProperties: true }),
  createdAt: Type.String(),
});

export const AUDIT_PAGE_MAX = 500;
const AUDIT_PAGE_DEFAULT = 100;

/** Query strings arrive as strings (no coercion); these turn them into values or a 400 naming the parameter. */
function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return AUDIT_PAGE_DEFAULT;
  const n = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > AUDIT_PAGE_MAX) {
    throw invalid(`Invalid querystring: limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}`, { limit: `must be a whole number from 1 to ${AUDIT_PAGE_MAX}` });
  }
  return n;
}

function parseBefore(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(ms)) throw invalid('Invalid querystring: before must be an ISO-8601 timestamp such as 2026-01-01T00:00:00Z', { before: 'must be an ISO-8601 timestamp' });
  return new Date(ms).toISOString();
}

export const auditRoutes = (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox => async (app) => {
  const { store } = deps;

  app.get('/orgs/:org/audit', {
    schema: {
      tags: ['audit'],
      summary: 'The organization\'s audit log, newest first (admin only)',
      description: '`limit` (1-500, default 100) and `before` (ISO-8601; only events strictly older) page through the log.',
      params: OrgParams,
      querystring: Type.Object({ limit: Type.Optional(Type.String()), before: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Array(AuditEventView) },
    },
  }, async (request) => {
    const limit = parseLimit(request.query.limit);
    const before = parseBefore(request.query.before);
    const { org } = await orgAccess(store, request, request.params.org, 'admin');
    const events = await store.audit.list(org.id, { limit, before });
    return events.map(({ orgId: _orgId, ...e }) => e);
  });
};
