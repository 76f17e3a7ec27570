import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

/** The consumer side of OAuth: every external-consumer component has one; the portal may create more. */
export interface Application {
  id: string;
  orgId: string;
  componentId: string | null;
  name: string;
  description: string;
  ownerUserId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const toApplication = (r: Database['applications']): Application => ({
  id: r.id,
  orgId: r.org_id,
  componentId: r.component_id,
  name: r.name,
  description: r.description,
  ownerUserId: r.owner_user_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Applications. Every query is scoped by organization. */
export class ApplicationRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async create(input: { orgId: string; componentId?: string | null; name: string; description?: string; ownerUserId?: string | null }): Promise<Application> {
    const now = isoNow(this.clock);
    const row = {
      id: newId(),
      org_id: input.orgId,
      component_id: input.componentId ?? null,
      name: input.name,
      description: input.description ?? '',
      owner_user_id: input.ownerUserId ?? null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('applications').values(row).execute();
    return toApplication(row);
  }

  async byId(orgId: string, id: string): Promise<Application | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toApplication(r);
  }

  async byComponent(orgId: string, componentId: string): Promise<Application | undefined> {
    const r = await this.db.selectFrom('applications').selectAll().where('org_id', '=', orgId).where('component_id', '=', componentId).executeTakeFirst();
    return r && toApplication(r);
  }

  async list(orgId: string): Promise<Application[]> {
    return (await this.db.selectFrom('applications').selectAll().where('org_id', '=', orgId).orderBy('name').orderBy('id').execute()).map(toApplication);
  }

  async update(orgId: string, id: string, patch: { name?: string; description?: string; ownerUserId?: string | null }): Promise<void> {
    await this.db
      .updateTable('applications')
      .set({
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.ownerUserId !== undefined && { owner_user_id: patch.ownerUserId }),
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  /** Its credentials go with it (foreign-key cascade), so client caches are told after the commit. */
  async delete(orgId: string, id: string): Promise<void> {
    await this.db.deleteFrom('applications').where('org_id', '=', orgId).where('id', '=', id).execute();
    await this.changed({ kind: 'credentials' });
    await this.changed({ kind: 'subscriptions' });
  }
}
