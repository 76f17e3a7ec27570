import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

export type ComponentType = 'external-consumer' | 'api-proxy';

export interface Project {
  id: string;
  orgId: string;
  name: string;
  displayName: string;
  description: string;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface Component {
  id: string;
  orgId: string;
  projectId: string;
  type: ComponentType;
  name: string;
  displayName: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

const toProject = (r: Database['projects']): Project => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  displayName: r.display_name,
  description: r.description,
  isDefault: r.is_default === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const toComponent = (r: Database['components']): Component => ({
  id: r.id,
  orgId: r.org_id,
  projectId: r.project_id,
  type: r.type as ComponentType,
  name: r.name,
  displayName: r.display_name,
  description: r.description,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Projects and their components. Every query is scoped by organization. */
export class ProjectRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async create(input: { orgId: string; name: string; displayName: string; description?: string; isDefault?: boolean }): Promise<Project> {
    const now = isoNow(this.clock);
    const row = {
      id: newId(),
      org_id: input.orgId,
      name: input.name,
      display_name: input.displayName,
      description: input.description ?? '',
      is_default: input.isDefault ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('projects').values(row).execute();
    return toProject(row);
  }

  async list(orgId: string): Promise<Project[]> {
    return (await this.db.selectFrom('projects').selectAll().where('org_id', '=', orgId).orderBy('name').execute()).map(toProject);
  }

  async byName(orgId: string, name: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom('projects').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return r && toProject(r);
  }

  async update(orgId: string, id: string, patch: { displayName?: string; description?: string }): Promise<void> {
    await this.db
      .updateTable('projects')
      .set({
        ...(patch.displayName !== undefined && { display_name: patch.displayName }),
        ...(patch.description !== undefined && { description: patch.description }),
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  async delete(orgId: string, id: string): Promise<void> {
    await this.db.deleteFrom('projects').where('org_id', '=', orgId).where('id', '=', id).execute();
    await this.changed({ kind: 'organization', orgId });
    await this.changed({ kind: 'credentials' });
    await this.changed({ kind: 'subscriptions' });
  }

  /**
   * Deletes a non-default project only while it has no components, in one
   * statement, so a component created meanwhile is never cascaded away.
   * Returns whether a row was deleted.
   */
  async deleteIfEmpty(orgId: string, id: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('projects')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('is_default', '=', 0)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('components').select('components.id').whereRef('components.project_id', '=', 'projects.id'))))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async componentCount(orgId: string, projectId: string): Promise<number> {
    const r = await this.db
      .selectFrom('components')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async createComponent(input: { orgId: string; projectId: string; type: ComponentType; name: string; displayName: string; description?: string }): Promise<Component> {
    const now = isoNow(this.clock);
    const row = {
      id: newId(),
      org_id: input.orgId,
      project_id: input.projectId,
      type: input.type,
      name: input.name,
      display_name: input.displayName,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('components').values(row).execute();
    return toComponent(row);
  }

  async components(orgId: string, projectId: string, type?: ComponentType): Promise<Component[]> {
    let q = this.db.selectFrom('components').selectAll().where('org_id', '=', orgId).where('project_id', '=', projectId);
    if (type) q = q.where('type', '=', type);
    return (await q.orderBy('name').execute()).map(toComponent);
  }

  async component(orgId: string, projectId: string, name: string): Promise<Component | undefined> {
    const r = await this.db.selectFrom('components').selectAll().where('org_id', '=', orgId).where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return r && toComponent(r);
  }

  async componentById(orgId: string, id: string): Promise<Component | undefined> {
    const r = await this.db.selectFrom('components').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toComponent(r);
  }

  async updateComponent(orgId: string, id: string, patch: { displayName?: string; description?: string }): Promise<void> {
    await this.db
      .updateTable('components')
      .set({
        ...(patch.displayName !== undefined && { display_name: patch.displayName }),
        ...(patch.description !== undefined && { description: patch.description }),
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  /** An external consumer's application and its credentials go with it (cascade): client caches are told after the commit. */
  async deleteComponent(orgId: string, id: string): Promise<void> {
    await this.db.deleteFrom('components').where('org_id', '=', orgId).where('id', '=', id).execute();
    await this.changed({ kind: 'organization', orgId });
    await this.changed({ kind: 'credentials' });
    await this.changed({ kind: 'subscriptions' });
  }
}
