import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

export interface AuditEvent {
  id: string;
  orgId: string | null;
  actor: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export type AuditInput = Omit<AuditEvent, 'id' | 'createdAt' | 'details'> & { details?: Record<string, unknown> };

/** Append-only record of changes. Callers pass details without secrets; nothing here reads them back into a response unfiltered. */
export class AuditRepo {
  constructor(private readonly db: Kysely<Database>, private readonly clock: Clock) {}

  async record(e: AuditInput): Promise<void> {
    await this.db.insertInto('audit_events').values({
      id: newId(), org_id: e.orgId, actor_id: e.actorId, actor: e.actor, action: e.action,
      target_type: e.targetType, target_id: e.targetId, details: JSON.stringify(e.details ?? {}), created_at: isoNow(this.clock),
    }).execute();
  }

  async list(orgId: string, opts: { limit?: number; before?: string } = {}): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
    if (opts.before) q = q.where('created_at', '<', opts.before);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(Math.min(opts.limit ?? 100, 500)).execute();
    return rows.map((r) => ({
      id: r.id, orgId: r.org_id, actor: r.actor, actorId: r.actor_id, action: r.action, targetType: r.target_type,
      targetId: r.target_id, details: JSON.parse(r.details) as Record<string, unknown>, createdAt: r.created_at,
    }));
  }
}
