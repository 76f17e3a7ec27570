import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { invalid } from '../../../shared/errors.js';
import type { AuditCursor, AuditPage } from '../../../store/repos/audit.js';
import { orgAccess, requireInstallationAdmin, requireUser, type ControlPlaneDeps } from '../../context.js';
import { OrgParams } from '../../schemas.js';

const AuditEventView = Type.Object({
  id: Type.String(),
  actor: Type.String(),
  actorId: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Object({}, { additionalProperties: true }),
  createdAt: Type.String(),
});

const AUDIT_PAGE_MAX = 500;
const AUDIT_PAGE_DEFAULT = 100;

/** Response header carrying the cursor of the next page (absent on the last page). */
const NEXT_CURSOR_HEADER = 'x-next-cursor';

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

/** The cursor is opaque to clients: base64url of "<createdAt> <id>" of the last event of a page. */
const encodeCursor = (c: AuditCursor): string => Buffer.from(`${c.createdAt} ${c.id}`, 'utf8').toString('base64url');

function parseCursor(raw: string | undefined): AuditCursor | undefined {
  if (raw === undefined) return undefined;
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) ([A-Za-z0-9-]{1,64})$/.exec(decoded);
  if (!m || Number.isNaN(Date.parse(m[1]!))) {
    throw invalid('Invalid querystring: cursor must be the x-next-cursor value of a previous page', { cursor: 'is not a cursor from this API' });
  }
  return { createdAt: m[1]!, id: m[2]! };
}

const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.String()),
    before: Type.Optional(Type.String()),
    cursor: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

function parsePage(query: { limit?: string; before?: string; cursor?: string }): { limit: number; before?: string; after?: AuditCursor } {
  const limit = parseLimit(query.limit);
  const before = parseBefore(query.before);
  const after = parseCursor(query.cursor);
  if (before !== undefined && after !== undefined) {
    throw invalid('Invalid querystring: give either cursor or before, not both', { cursor: 'cannot be combined with before' });
  }
  return { limit, before, after };
}

/** Sends one page: the events as the body, the next page's cursor in `x-next-cursor` and a `Link: <…>; rel="next"`. */
function sendPage(reply: FastifyReply, path: string, limit: number, page: AuditPage) {
  if (page.next) {
    const cursor = encodeCursor(page.next);
    reply.header(NEXT_CURSOR_HEADER, cursor);
    reply.header('link', `<${path}?limit=${limit}&cursor=${cursor}>; rel="next"`);
  }
  return page.events.map(({ orgId: _orgId, ...e }) => e);
}

const PAGING =
  '`limit` (1-500, default 100) and `cursor` (the `x-next-cursor` response header of the previous page) page through the log; ' +
  'the header is absent on the last page. `before` (ISO-8601; only events strictly older) still works but skips events sharing its millisecond.';

export const auditRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/audit',
      {
        schema: {
          tags: ['audit'],
          summary: "The organization's audit log, newest first (admin only)",
          description: PAGING,
          params: OrgParams,
          querystring: PageQuery,
          response: { 200: Type.Array(AuditEventView) },
        },
      },
      async (request, reply) => {
        const opts = parsePage(request.query);
        const { org } = await orgAccess(store, request, request.params.org, 'admin');
        return sendPage(reply, `/api/v1/orgs/${org.handle}/audit`, opts.limit, await store.audit.page(org.id, opts));
      },
    );

    app.get(
      '/admin/audit',
      {
        schema: {
          tags: ['audit'],
          summary:
            'Installation-level audit events (no organization: the first admin, personal API tokens, password changes, signing-key rotations), newest first; the installation administrator only',
          description: PAGING,
          querystring: PageQuery,
          response: { 200: Type.Array(AuditEventView) },
        },
      },
      async (request, reply) => {
        requireInstallationAdmin(requireUser(request), 'Only the installation administrator can read the installation audit log');
        const opts = parsePage(request.query);
        return sendPage(reply, '/api/v1/admin/audit', opts.limit, await store.audit.installationPage(opts));
      },
    );
  };
