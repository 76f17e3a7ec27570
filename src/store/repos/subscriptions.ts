import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

export interface Subscription {
  id: string;
  orgId: string;
  applicationId: string;
  /** The API's id (its api-proxy component id). */
  apiId: string;
  createdBy: string;
  createdAt: string;
}

export interface SubscriptionTables {
  subscriptions: { id: string; org_id: string; application_id: string; api_id: string; created_by: string; created_at: string };
}

const toSubscription = (r: Database['subscriptions']): Subscription => ({
  id: r.id,
  orgId: r.org_id,
  applicationId: r.application_id,
  apiId: r.api_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Application ↔ API subscriptions. Every query is scoped by organization, except the snapshot's. */
export class SubscriptionRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async create(input: { orgId: string; applicationId: string; apiId: string; createdBy: string }): Promise<Subscription> {
    const row: Database['subscriptions'] = {
      id: newId(),
      org_id: input.orgId,
      application_id: input.applicationId,
      api_id: input.apiId,
      created_by: input.createdBy,
      created_at: isoNow(this.clock),
    };
    await this.db.insertInto('subscriptions').values(row).execute();
    await this.changed({ kind: 'subscriptions' });
    return toSubscription(row);
  }

  async byId(orgId: string, id: string): Promise<Subscription | undefined> {
    const r = await this.db.selectFrom('subscriptions').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toSubscription(r);
  }

  async find(orgId: string, applicationId: string, apiId: string): Promise<Subscription | undefined> {
    const r = await this.db.selectFrom('subscriptions').selectAll().where('org_id', '=', orgId).where('application_id', '=', applicationId).where('api_id', '=', apiId).executeTakeFirst();
    return r && toSubscription(r);
  }

  async list(orgId: string, filter: { applicationId?: string; apiId?: string } = {}): Promise<Subscription[]> {
    let q = this.db.selectFrom('subscriptions').selectAll().where('org_id', '=', orgId);
    if (filter.applicationId) q = q.where('application_id', '=', filter.applicationId);
    if (filter.apiId) q = q.where('api_id', '=', filter.apiId);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toSubscription);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('subscriptions').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    const deleted = Number(r.numDeletedRows) > 0;
    if (deleted) await this.changed({ kind: 'subscriptions' });
    return deleted;
  }

  /** Removes every subscription of an application (when the application is deleted). */
  async deleteForApplication(orgId: string, applicationId: string): Promise<number> {
    const r = await this.db.deleteFrom('subscriptions').where('org_id', '=', orgId).where('application_id', '=', applicationId).executeTakeFirst();
    if (Number(r.numDeletedRows) > 0) await this.changed({ kind: 'subscriptions' });
    return Number(r.numDeletedRows);
  }

  /** Every subscription of every organization (for the runtime snapshot). */
  async all(): Promise<Subscription[]> {
    return (await this.db.selectFrom('subscriptions').selectAll().orderBy('org_id').orderBy('application_id').orderBy('api_id').execute()).map(toSubscription);
  }
}
