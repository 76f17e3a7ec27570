import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

/** Row types of migrations 0005-connections and 0006-connection-ownership. */
export interface ConnectionTables {
  portal_api_access: { org_id: string; api_id: string; user_id: string; created_by: string; created_at: string };
  connections: {
    id: string;
    org_id: string;
    project_id: string;
    component_id: string | null;
    application_id: string;
    api_id: string;
    name: string;
    description: string;
    created_by: string;
    created_at: string;
    /** 0/1: the connection created its subscription (0006). */
    created_subscription: number;
  };
  /** The shared application of a project's project-level connections (0006). */
  project_applications: { project_id: string; org_id: string; application_id: string; created_at: string };
}

/** A consumer's connection to an API. The consumer is a component, or (componentId null) the whole project. */
export interface Connection {
  id: string;
  orgId: string;
  projectId: string;
  componentId: string | null;
  /** The application that is subscribed to the API on the connection's behalf. */
  applicationId: string;
  apiId: string;
  name: string;
  description: string;
  /**
   * Whether the subscription belongs to the connections: made by this
   * connection (or handed on to it by the one that made it). Only then does
   * deleting the last connection remove the subscription.
   */
  createdSubscription: boolean;
  createdBy: string;
  createdAt: string;
}

const toConnection = (r: Database['connections']): Connection => ({
  id: r.id,
  orgId: r.org_id,
  projectId: r.project_id,
  componentId: r.component_id,
  applicationId: r.application_id,
  apiId: r.api_id,
  name: r.name,
  description: r.description,
  createdSubscription: Number(r.created_subscription) === 1,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Connections. Every query is scoped by organization. */
export class ConnectionRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: Omit<Connection, 'id' | 'createdAt'>): Promise<Connection> {
    const row: Database['connections'] = {
      id: newId(),
      org_id: input.orgId,
      project_id: input.projectId,
      component_id: input.componentId,
      application_id: input.applicationId,
      api_id: input.apiId,
      name: input.name,
      description: input.description,
      created_subscription: input.createdSubscription ? 1 : 0,
      created_by: input.createdBy,
      created_at: isoNow(this.clock),
    };
    await this.db.insertInto('connections').values(row).execute();
    return toConnection(row);
  }

  async byName(orgId: string, projectId: string, name: string): Promise<Connection | undefined> {
    const r = await this.db.selectFrom('connections').selectAll().where('org_id', '=', orgId).where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return r && toConnection(r);
  }

  /** Connections of a project; with `componentId`, only that component's (null: only project-level ones). */
  async list(orgId: string, projectId: string, filter: { componentId?: string | null } = {}): Promise<Connection[]> {
    let q = this.db.selectFrom('connections').selectAll().where('org_id', '=', orgId).where('project_id', '=', projectId);
    if (filter.componentId === null) q = q.where('component_id', 'is', null);
    else if (filter.componentId !== undefined) q = q.where('component_id', '=', filter.componentId);
    return (await q.orderBy('name').execute()).map(toConnection);
  }

  /** Connections that rely on the subscription of `applicationId` to `apiId`. */
  async forSubscription(orgId: string, applicationId: string, apiId: string): Promise<Connection[]> {
    const rows = await this.db.selectFrom('connections').selectAll().where('org_id', '=', orgId).where('application_id', '=', applicationId).where('api_id', '=', apiId).orderBy('name').execute();
    return rows.map(toConnection);
  }

  /** Hands the ownership of the subscription on to another connection (when the one that made it is deleted). */
  async takeOverSubscription(orgId: string, id: string): Promise<void> {
    await this.db.updateTable('connections').set({ created_subscription: 1 }).where('org_id', '=', orgId).where('id', '=', id).execute();
  }

  /**
   * The shared application of a project's project-level connections. Kept
   * apart from the connections, so it outlives the last of them; gone when
   * the project or the application is deleted.
   */
  async projectApplicationId(orgId: string, projectId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('project_applications').select('application_id').where('org_id', '=', orgId).where('project_id', '=', projectId).executeTakeFirst();
    return r?.application_id;
  }

  /** Records the project's shared application (a unique violation when the project has one already). */
  async setProjectApplication(orgId: string, projectId: string, applicationId: string): Promise<void> {
    await this.db
      .insertInto('project_applications')
      .values({ project_id: projectId, org_id: orgId, application_id: applicationId, created_at: isoNow(this.clock) })
      .execute();
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('connections').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

/**
 * Who may see a private API in the developer portal besides the
 * organization's admins: an allow-list of users per API.
 */
export class PortalAccessRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async allow(input: { orgId: string; apiId: string; userId: string; createdBy: string }): Promise<boolean> {
    if (await this.isAllowed(input.orgId, input.apiId, input.userId)) return false;
    await this.db
      .insertInto('portal_api_access')
      .values({
        org_id: input.orgId,
        api_id: input.apiId,
        user_id: input.userId,
        created_by: input.createdBy,
        created_at: isoNow(this.clock),
      })
      .execute();
    return true;
  }

  async revoke(orgId: string, apiId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('portal_api_access').where('org_id', '=', orgId).where('api_id', '=', apiId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async isAllowed(orgId: string, apiId: string, userId: string): Promise<boolean> {
    return !!(await this.db.selectFrom('portal_api_access').select('user_id').where('org_id', '=', orgId).where('api_id', '=', apiId).where('user_id', '=', userId).executeTakeFirst());
  }

  /** IDs of the private APIs `userId` is allowed to see. */
  async apisFor(orgId: string, userId: string): Promise<Set<string>> {
    const rows = await this.db.selectFrom('portal_api_access').select('api_id').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    return new Set(rows.map((r) => r.api_id));
  }

  /** The allow-list of one API, with each user's email. */
  async list(orgId: string, apiId: string): Promise<{ userId: string; email: string; createdBy: string; createdAt: string }[]> {
    const rows = await this.db
      .selectFrom('portal_api_access as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.user_id', 'u.email', 'p.created_by', 'p.created_at'])
      .where('p.org_id', '=', orgId)
      .where('p.api_id', '=', apiId)
      .orderBy('u.email')
      .execute();
    return rows.map((r) => ({ userId: r.user_id, email: r.email, createdBy: r.created_by, createdAt: r.created_at }));
  }
}
