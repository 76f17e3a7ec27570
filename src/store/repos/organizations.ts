import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

export type Role = 'admin' | 'developer';

export interface Organization {
  id: string;
  name: string;
  handle: string;
  createdAt: string;
}
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  since: string;
}
export interface Environment {
  id: string;
  orgId: string;
  name: string;
  displayName: string;
  position: number;
  gatewayUrl: string;
  createdAt: string;
}

const toOrg = (r: Database['organizations']): Organization => ({ id: r.id, name: r.name, handle: r.handle, createdAt: r.created_at });
export const toEnvironment = (r: Database['environments']): Environment => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  displayName: r.display_name,
  position: r.position,
  gatewayUrl: r.gateway_url,
  createdAt: r.created_at,
});

export class OrganizationRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async create(input: { name: string; handle: string }): Promise<Organization> {
    const row = { id: newId(), name: input.name, handle: input.handle, created_at: isoNow(this.clock) };
    await this.db.insertInto('organizations').values(row).execute();
    return toOrg(row);
  }

  async byHandle(handle: string): Promise<Organization | undefined> {
    const r = await this.db.selectFrom('organizations').selectAll().where('handle', '=', handle).executeTakeFirst();
    return r && toOrg(r);
  }

  async byId(id: string): Promise<Organization | undefined> {
    const r = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toOrg(r);
  }

  async handleTaken(handle: string): Promise<boolean> {
    return !!(await this.db.selectFrom('organizations').select('id').where('handle', '=', handle).executeTakeFirst());
  }

  async nameTaken(name: string): Promise<boolean> {
    return !!(await this.db.selectFrom('organizations').select('id').where('name', '=', name).executeTakeFirst());
  }

  async listForUser(userId: string): Promise<(Organization & { role: Role })[]> {
    const rows = await this.db
      .selectFrom('organizations')
      .innerJoin('memberships', 'memberships.org_id', 'organizations.id')
      .selectAll('organizations')
      .select('memberships.role')
      .where('memberships.user_id', '=', userId)
      .orderBy('organizations.name')
      .execute();
    return rows.map((r) => ({ ...toOrg(r), role: r.role as Role }));
  }

  async all(): Promise<Organization[]> {
    return (await this.db.selectFrom('organizations').selectAll().orderBy('name').execute()).map(toOrg);
  }

  async addMember(orgId: string, userId: string, role: Role): Promise<void> {
    await this.db
      .insertInto('memberships')
      .values({ org_id: orgId, user_id: userId, role, created_at: isoNow(this.clock) })
      .execute();
  }

  async membership(orgId: string, userId: string): Promise<Role | undefined> {
    const r = await this.db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return r?.role as Role | undefined;
  }

  async members(orgId: string): Promise<Member[]> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
      .where('memberships.org_id', '=', orgId)
      .orderBy('users.email')
      .execute();
    return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: r.role as Role, since: r.created_at }));
  }

  async setRole(orgId: string, userId: string, role: Role): Promise<boolean> {
    const r = await this.db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async removeMember(orgId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async member(orgId: string, userId: string): Promise<Member | undefined> {
    const r = await this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
      .where('memberships.org_id', '=', orgId)
      .where('memberships.user_id', '=', userId)
      .executeTakeFirst();
    return r && { userId: r.id, email: r.email, name: r.name, role: r.role as Role, since: r.created_at };
  }

  /**
   * Takes a write lock on the organization row until the transaction ends, so
   * concurrent membership changes of one organization run one after another
   * (PostgreSQL) and the last-admin check cannot be raced. Call inside a transaction.
   */
  async lock(orgId: string): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set((eb) => ({ handle: eb.ref('handle') }))
      .where('id', '=', orgId)
      .execute();
  }

  async adminCount(orgId: string): Promise<number> {
    const r = await this.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async addEnvironment(input: { orgId: string; name: string; displayName: string; gatewayUrl: string; position?: number }): Promise<Environment> {
    let position = input.position;
    if (position === undefined) {
      const r = await this.db
        .selectFrom('environments')
        .select((eb) => eb.fn.max('position').as('p'))
        .where('org_id', '=', input.orgId)
        .executeTakeFirst();
      position = r?.p === null || r?.p === undefined ? 0 : Number(r.p) + 1;
    }
    const row = { id: newId(), org_id: input.orgId, name: input.name, display_name: input.displayName, position, gateway_url: input.gatewayUrl, created_at: isoNow(this.clock) };
    await this.db.insertInto('environments').values(row).execute();
    await this.changed({ kind: 'organization', orgId: input.orgId });
    return toEnvironment(row);
  }

  /** Environments in promotion order. */
  async environments(orgId: string): Promise<Environment[]> {
    return (await this.db.selectFrom('environments').selectAll().where('org_id', '=', orgId).orderBy('position').execute()).map(toEnvironment);
  }

  async environment(orgId: string, name: string): Promise<Environment | undefined> {
    const r = await this.db.selectFrom('environments').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return r && toEnvironment(r);
  }

  async updateEnvironment(id: string, patch: { displayName?: string; gatewayUrl?: string }): Promise<void> {
    const set: Partial<Database['environments']> = {};
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.gatewayUrl !== undefined) set.gateway_url = patch.gatewayUrl;
    if (Object.keys(set).length === 0) return;
    const r = await this.db.updateTable('environments').set(set).where('id', '=', id).returning('org_id').executeTakeFirst();
    if (r) await this.changed({ kind: 'organization', orgId: r.org_id });
  }

  /** Moves every environment at `fromPosition` or later one step down the chain; call inside a transaction. */
  async shiftEnvironments(orgId: string, fromPosition: number): Promise<void> {
    await this.db
      .updateTable('environments')
      .set((eb) => ({ position: eb('position', '+', 1) }))
      .where('org_id', '=', orgId)
      .where('position', '>=', fromPosition)
      .execute();
    await this.changed({ kind: 'organization', orgId });
  }

  /** Rewrites positions to follow `orderedIds`; call inside a transaction. */
  async reorderEnvironments(orgId: string, orderedIds: string[]): Promise<void> {
    for (const [i, id] of orderedIds.entries()) {
      await this.db.updateTable('environments').set({ position: i }).where('org_id', '=', orgId).where('id', '=', id).execute();
    }
    await this.changed({ kind: 'organization', orgId });
  }
}
