import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';
import type { RevisionDefinition } from './apis.js';

export type DeploymentStatus = 'active' | 'superseded';

/** A parameter as stored: plain, or sealed with the master key (secret). */
export type StoredParam = { value: string } | { sealed: string };

export interface Deployment {
  id: string;
  orgId: string;
  apiId: string;
  environmentId: string;
  environment: string;
  revisionId: string;
  revisionNumber: number;
  /** Backend URL for this environment as given; may hold `${param}`. */
  backendUrl: string;
  params: Record<string, StoredParam>;
  status: DeploymentStatus;
  deployedBy: string;
  createdAt: string;
}

/** An active deployment with everything the snapshot compiler needs, across organizations. */
export interface ActiveDeployment extends Deployment {
  orgHandle: string;
  componentName: string;
  gatewayUrl: string;
  definition: RevisionDefinition;
  /** When the API was first deployed to this environment (any deployment since, rollbacks included, keeps it). */
  firstDeployedAt: string;
}

export interface DeploymentTables {
  deployments: {
    id: string;
    org_id: string;
    api_id: string;
    environment_id: string;
    environment: string;
    revision_id: string;
    revision_number: number;
    backend_url: string;
    params: string;
    status: string;
    deployed_by: string;
    created_at: string;
    /** Order of deployments of one API in one environment (timestamps can tie). */
    sequence: number;
  };
}

const toDeployment = (r: Database['deployments']): Deployment => ({
  id: r.id,
  orgId: r.org_id,
  apiId: r.api_id,
  environmentId: r.environment_id,
  environment: r.environment,
  revisionId: r.revision_id,
  revisionNumber: Number(r.revision_number),
  backendUrl: r.backend_url,
  params: JSON.parse(r.params) as Record<string, StoredParam>,
  status: r.status as DeploymentStatus,
  deployedBy: r.deployed_by,
  createdAt: r.created_at,
});

export type DeploymentInput = Omit<Deployment, 'id' | 'status' | 'createdAt'>;

/** Deployments per (API, environment): at most one active, the rest history. */
export class DeploymentRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  /** Makes `input` the active deployment of its API in its environment; the previous one becomes history. Call inside a transaction. */
  async activate(input: DeploymentInput): Promise<Deployment> {
    const last = await this.db
      .selectFrom('deployments')
      .select((eb) => eb.fn.max('sequence').as('n'))
      .where('api_id', '=', input.apiId)
      .where('environment_id', '=', input.environmentId)
      .executeTakeFirst();
    await this.db
      .updateTable('deployments')
      .set({ status: 'superseded' })
      .where('org_id', '=', input.orgId)
      .where('api_id', '=', input.apiId)
      .where('environment_id', '=', input.environmentId)
      .where('status', '=', 'active')
      .execute();
    const row: Database['deployments'] = {
      id: newId(),
      org_id: input.orgId,
      api_id: input.apiId,
      environment_id: input.environmentId,
      environment: input.environment,
      revision_id: input.revisionId,
      revision_number: input.revisionNumber,
      backend_url: input.backendUrl,
      params: JSON.stringify(input.params),
      status: 'active',
      deployed_by: input.deployedBy,
      created_at: isoNow(this.clock),
      sequence: Number(last?.n ?? 0) + 1,
    };
    await this.db.insertInto('deployments').values(row).execute();
    await this.changed({ kind: 'api', orgId: input.orgId, apiId: input.apiId });
    return toDeployment(row);
  }

  async active(orgId: string, apiId: string, environmentId: string): Promise<Deployment | undefined> {
    const r = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('api_id', '=', apiId)
      .where('environment_id', '=', environmentId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return r && toDeployment(r);
  }

  /** Active deployments of one API in every environment. */
  async activeForApi(orgId: string, apiId: string): Promise<Deployment[]> {
    return (await this.db.selectFrom('deployments').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId).where('status', '=', 'active').execute()).map(toDeployment);
  }

  /** History, newest first; one environment or all. */
  async history(orgId: string, apiId: string, environmentId?: string): Promise<Deployment[]> {
    let q = this.db.selectFrom('deployments').selectAll().where('org_id', '=', orgId).where('api_id', '=', apiId);
    if (environmentId) q = q.where('environment_id', '=', environmentId);
    return (await q.orderBy('created_at', 'desc').orderBy('sequence', 'desc').execute()).map(toDeployment);
  }

  async byId(orgId: string, id: string): Promise<Deployment | undefined> {
    const r = await this.db.selectFrom('deployments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toDeployment(r);
  }

  /**
   * Every active deployment in environments named `environment`, in every organization (for the runtime snapshot), with when its API was first deployed there.
   * `only`: just those of these APIs or organizations (what a change touched).
   */
  async activeInEnvironment(environment: string, only?: { apiIds: readonly string[]; orgIds: readonly string[] }): Promise<ActiveDeployment[]> {
    let query = this.db
      .selectFrom('deployments')
      .innerJoin('api_revisions', 'api_revisions.id', 'deployments.revision_id')
      .innerJoin('organizations', 'organizations.id', 'deployments.org_id')
      .innerJoin('components', 'components.id', 'deployments.api_id')
      .innerJoin('environments', 'environments.id', 'deployments.environment_id')
      .selectAll('deployments')
      .select(['api_revisions.definition', 'organizations.handle as org_handle', 'components.name as component_name', 'environments.gateway_url'])
      .select((eb) =>
        eb
          .selectFrom('deployments as first')
          .select((f) => f.fn.min('first.created_at').as('at'))
          .whereRef('first.api_id', '=', 'deployments.api_id')
          .whereRef('first.environment_id', '=', 'deployments.environment_id')
          .as('first_deployed_at'),
      )
      .where('deployments.environment', '=', environment)
      .where('deployments.status', '=', 'active');
    if (only) {
      if (only.apiIds.length === 0 && only.orgIds.length === 0) return [];
      query = query.where((eb) =>
        eb.or([...(only.apiIds.length > 0 ? [eb('deployments.api_id', 'in', only.apiIds)] : []), ...(only.orgIds.length > 0 ? [eb('deployments.org_id', 'in', only.orgIds)] : [])]),
      );
    }
    const rows = await query.orderBy('deployments.org_id').orderBy('deployments.api_id').execute();
    return rows.map((r) => ({
      ...toDeployment(r),
      orgHandle: r.org_handle,
      componentName: r.component_name,
      gatewayUrl: r.gateway_url,
      definition: JSON.parse(r.definition) as RevisionDefinition,
      firstDeployedAt: String(r.first_deployed_at ?? r.created_at),
    }));
  }
}
