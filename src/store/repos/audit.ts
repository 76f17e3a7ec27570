import type { Kysely, SelectQueryBuilder } from 'kysely';
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

/** A position in the log: the last event of a page. The next page starts strictly after it in (createdAt desc, id desc) order. */
export interface AuditCursor {
  createdAt: string;
  id: string;
}

export interface AuditListOptions {
  /** At most this many events (capped at 500; default 100). */
  limit?: number;
  /** Only events with `createdAt` strictly older than this timestamp (kept for compatibility: events sharing the edge millisecond are skipped, use `after`). */
  before?: string;
  /** Only events after this one in listing order: older, or as old with a smaller id. Loses nothing when many events share a millisecond. */
  after?: AuditCursor;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Set when more events follow: pass it as `after` to read the next page. */
  next?: AuditCursor;
}

type AuditQuery = SelectQueryBuilder<Database, 'audit_events', Database['audit_events']>;

/** Append-only record of changes. Callers pass details without secrets; nothing here reads them back into a response unfiltered. */
export class AuditRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async record(e: AuditInput): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        id: newId(),
        org_id: e.orgId,
        actor_id: e.actorId,
        actor: e.actor,
        action: e.action,
        target_type: e.targetType,
        target_id: e.targetId,
        details: JSON.stringify(e.details ?? {}),
        created_at: isoNow(this.clock),
      })
      .execute();
  }

  /** One organization's events, newest first (ties on `createdAt` broken by id, descending). */
  async list(orgId: string, opts: AuditListOptions = {}): Promise<AuditEvent[]> {
    return (await this.page(orgId, opts)).events;
  }

  /** One organization's events with the cursor of the next page. */
  async page(orgId: string, opts: AuditListOptions = {}): Promise<AuditPage> {
    return this.read(this.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId), opts);
  }

  /** Installation-level events (no organization: bootstrap, personal tokens, passwords, signing keys), same order and paging. */
  async installationPage(opts: AuditListOptions = {}): Promise<AuditPage> {
    return this.read(this.db.selectFrom('audit_events').selectAll().where('org_id', 'is', null), opts);
  }

  private async read(query: AuditQuery, opts: AuditListOptions): Promise<AuditPage> {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 500));
    let q = query;
    if (opts.before) q = q.where('created_at', '<', opts.before);
    const after = opts.after;
    if (after) {
      q = q.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
    }
    // One row more than asked tells whether a next page exists.
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const events = rows.slice(0, limit).map((r) => ({
      id: r.id,
      orgId: r.org_id,
      actor: r.actor,
      actorId: r.actor_id,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
      createdAt: r.created_at,
    }));
    const last = events[events.length - 1];
    return rows.length > limit && last ? { events, next: { createdAt: last.createdAt, id: last.id } } : { events };
  }
}
