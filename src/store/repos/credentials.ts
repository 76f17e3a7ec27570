import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import type { Database } from '../schema.js';
import { toApplication, type Application } from './applications.js';
import { toEnvironment, type Environment, type Organization } from './organizations.js';
import type { RecordChange } from '../index.js';

export type CredentialKind = 'builtin' | 'external';

/** One application's authentication configuration in one environment. Secret hashes are never part of it. */
export interface Credential {
  id: string;
  orgId: string;
  applicationId: string;
  environmentId: string;
  kind: CredentialKind;
  /** Built-in: the client ID at the token service. */
  clientId: string | null;
  /** Built-in: `grant_type` values the client may use. */
  grantTypes: string[];
  /** Built-in: scopes the client may be granted. */
  scopes: string[];
  /** Built-in: access-token lifetime in seconds. */
  tokenLifetime: number;
  /** When a regenerated secret's predecessor stops working (null: no predecessor). */
  previousSecretExpiresAt: string | null;
  /** External: the identity provider and the client ID registered there. */
  idpId: string | null;
  externalClientId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What client authentication compares against. Only the token service reads this. */
export interface CredentialSecrets {
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: string | null;
}

export interface ClientRecord {
  credential: Credential;
  secrets: CredentialSecrets;
  application: Application;
  environment: Environment;
  org: Organization;
}

type Row = Database['credentials'];

const toCredential = (r: Row): Credential => ({
  id: r.id,
  orgId: r.org_id,
  applicationId: r.application_id,
  environmentId: r.environment_id,
  kind: r.kind as CredentialKind,
  clientId: r.client_id,
  grantTypes: JSON.parse(r.grant_types) as string[],
  scopes: JSON.parse(r.scopes) as string[],
  tokenLifetime: Number(r.token_lifetime),
  previousSecretExpiresAt: r.previous_secret_expires_at,
  idpId: r.idp_id,
  externalClientId: r.external_client_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Credentials per (application, environment). Every query but the client-ID lookup is scoped by organization. */
export class CredentialRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async createBuiltin(input: {
    orgId: string;
    applicationId: string;
    environmentId: string;
    clientId: string;
    secretHash: string;
    grantTypes: string[];
    scopes?: string[];
    tokenLifetime: number;
  }): Promise<Credential> {
    const now = isoNow(this.clock);
    const row: Row = {
      id: newId(),
      org_id: input.orgId,
      application_id: input.applicationId,
      environment_id: input.environmentId,
      kind: 'builtin',
      client_id: input.clientId,
      secret_hash: input.secretHash,
      previous_secret_hash: null,
      previous_secret_expires_at: null,
      grant_types: JSON.stringify(input.grantTypes),
      scopes: JSON.stringify(input.scopes ?? []),
      token_lifetime: input.tokenLifetime,
      idp_id: null,
      external_client_id: null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('credentials').values(row).execute();
    await this.changed({ kind: 'credentials' });
    return toCredential(row);
  }

  /** External credentials: tokens come from `idpId`, whose client-ID claim equals `externalClientId`. */
  async createExternal(input: { orgId: string; applicationId: string; environmentId: string; idpId: string; externalClientId: string }): Promise<Credential> {
    const now = isoNow(this.clock);
    const row: Row = {
      id: newId(),
      org_id: input.orgId,
      application_id: input.applicationId,
      environment_id: input.environmentId,
      kind: 'external',
      client_id: null,
      secret_hash: null,
      previous_secret_hash: null,
      previous_secret_expires_at: null,
      grant_types: '[]',
      scopes: '[]',
      token_lifetime: 3600,
      idp_id: input.idpId,
      external_client_id: input.externalClientId,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('credentials').values(row).execute();
    await this.changed({ kind: 'credentials' });
    return toCredential(row);
  }

  async forApplication(orgId: string, applicationId: string): Promise<Credential[]> {
    const rows = await this.db.selectFrom('credentials').selectAll().where('org_id', '=', orgId).where('application_id', '=', applicationId).execute();
    return rows.map(toCredential);
  }

  async forEnvironment(orgId: string, applicationId: string, environmentId: string): Promise<Credential | undefined> {
    const r = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('application_id', '=', applicationId)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return r && toCredential(r);
  }

  /** Every credential of an organization in one environment (the gateway's client-ID map). */
  async forOrgEnvironment(orgId: string, environmentId: string): Promise<Credential[]> {
    const rows = await this.db.selectFrom('credentials').selectAll().where('org_id', '=', orgId).where('environment_id', '=', environmentId).execute();
    return rows.map(toCredential);
  }

  /** External credentials linked to an IdP client ID. */
  async byExternalClientId(orgId: string, idpId: string, externalClientId: string): Promise<Credential[]> {
    const rows = await this.db.selectFrom('credentials').selectAll().where('org_id', '=', orgId).where('idp_id', '=', idpId).where('external_client_id', '=', externalClientId).execute();
    return rows.map(toCredential);
  }

  /** How many external credentials of `orgId` use this identity provider (an IdP in use is not deleted). */
  async countForIdp(orgId: string, idpId: string): Promise<number> {
    const r = await this.db
      .selectFrom('credentials')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('org_id', '=', orgId)
      .where('idp_id', '=', idpId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Replaces the secret; `previous` keeps the old hash working until its expiry (a grace period). */
  async replaceSecret(orgId: string, id: string, secretHash: string, previous: { hash: string; expiresAt: string } | null): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({
        secret_hash: secretHash,
        previous_secret_hash: previous?.hash ?? null,
        previous_secret_expires_at: previous?.expiresAt ?? null,
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('kind', '=', 'builtin')
      .execute();
    await this.changed({ kind: 'credentials' });
  }

  /** The current secret hash, to carry it over as the previous one on regeneration. */
  async secretHash(orgId: string, id: string): Promise<string | null> {
    const r = await this.db.selectFrom('credentials').select('secret_hash').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r?.secret_hash ?? null;
  }

  async updateSettings(orgId: string, id: string, patch: { grantTypes?: string[]; scopes?: string[]; tokenLifetime?: number }): Promise<void> {
    await this.db
      .updateTable('credentials')
      .set({
        ...(patch.grantTypes !== undefined && { grant_types: JSON.stringify(patch.grantTypes) }),
        ...(patch.scopes !== undefined && { scopes: JSON.stringify(patch.scopes) }),
        ...(patch.tokenLifetime !== undefined && { token_lifetime: patch.tokenLifetime }),
        updated_at: isoNow(this.clock),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
    await this.changed({ kind: 'credentials' });
  }

  async delete(orgId: string, id: string): Promise<void> {
    await this.db.deleteFrom('credentials').where('org_id', '=', orgId).where('id', '=', id).execute();
    await this.changed({ kind: 'credentials' });
  }

  /**
   * Everything client authentication needs, in one query: the built-in
   * credential with this client ID, its secret hashes, application,
   * environment and organization.
   */
  async forClientAuth(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.db
      .selectFrom('credentials as c')
      .innerJoin('applications as a', 'a.id', 'c.application_id')
      .innerJoin('environments as e', 'e.id', 'c.environment_id')
      .innerJoin('organizations as o', 'o.id', 'c.org_id')
      .selectAll('c')
      .select([
        'a.id as a_id',
        'a.org_id as a_org_id',
        'a.component_id as a_component_id',
        'a.name as a_name',
        'a.description as a_description',
        'a.owner_user_id as a_owner_user_id',
        'a.created_at as a_created_at',
        'a.updated_at as a_updated_at',
        'e.id as e_id',
        'e.org_id as e_org_id',
        'e.name as e_name',
        'e.display_name as e_display_name',
        'e.position as e_position',
        'e.gateway_url as e_gateway_url',
        'e.created_at as e_created_at',
        'o.id as o_id',
        'o.name as o_name',
        'o.handle as o_handle',
        'o.created_at as o_created_at',
      ])
      .where('c.client_id', '=', clientId)
      .where('c.kind', '=', 'builtin')
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      credential: toCredential(r),
      secrets: { secretHash: r.secret_hash, previousSecretHash: r.previous_secret_hash, previousSecretExpiresAt: r.previous_secret_expires_at },
      application: toApplication({
        id: r.a_id,
        org_id: r.a_org_id,
        component_id: r.a_component_id,
        name: r.a_name,
        description: r.a_description,
        owner_user_id: r.a_owner_user_id,
        created_at: r.a_created_at,
        updated_at: r.a_updated_at,
      }),
      environment: toEnvironment({
        id: r.e_id,
        org_id: r.e_org_id,
        name: r.e_name,
        display_name: r.e_display_name,
        position: Number(r.e_position),
        gateway_url: r.e_gateway_url,
        created_at: r.e_created_at,
      }),
      org: { id: r.o_id, name: r.o_name, handle: r.o_handle, createdAt: r.o_created_at },
    };
  }
}
