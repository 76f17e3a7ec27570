import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId } from '../../shared/crypto.js';
import { sharedConcreteIssuer, sharedIssuer } from '../../shared/idp-keys/verify.js';
import type { IdpKind, TokenTyping } from '../../shared/idp-keys/presets.js';
import type { IdpVerificationConfig, JsonWebKeySet, PersistedKeys } from '../../shared/idp-keys/types.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

export interface IdentityProviderTables {
  identity_providers: {
    id: string;
    org_id: string;
    name: string;
    description: string;
    kind: string;
    well_known_url: string | null;
    issuer: string | null;
    issuer_template: string | null;
    allowed_tenant_ids: string;
    token_endpoint: string | null;
    jwks_uri: string;
    audiences: string;
    client_id_claim: string;
    subject_claim: string;
    token_typing: string;
    clock_skew: number;
    max_token_age: number;
    created_at: string;
    updated_at: string;
  };
  idp_key_cache: { idp_id: string; jwks: string; fetched_at: string };
}

/** An organization's external identity provider. */
export interface IdentityProvider extends IdpVerificationConfig {
  kind: IdpKind;
  description: string;
  wellKnownUrl: string | null;
  tokenEndpoint: string | null;
  createdAt: string;
  updatedAt: string;
}

export type IdentityProviderInput = Omit<IdentityProvider, 'id' | 'createdAt' | 'updatedAt'>;
/** Everything but the organization and the (immutable) name. */
export type IdentityProviderPatch = Partial<Omit<IdentityProviderInput, 'orgId' | 'name'>>;

type Row = IdentityProviderTables['identity_providers'];

const toIdp = (r: Row): IdentityProvider => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  description: r.description,
  kind: r.kind as IdpKind,
  wellKnownUrl: r.well_known_url,
  issuer: r.issuer,
  issuerTemplate: r.issuer_template,
  allowedTenantIds: JSON.parse(r.allowed_tenant_ids) as string[],
  tokenEndpoint: r.token_endpoint,
  jwksUri: r.jwks_uri,
  audiences: JSON.parse(r.audiences) as string[],
  clientIdClaims: JSON.parse(r.client_id_claim) as string[],
  subjectClaim: r.subject_claim,
  tokenTyping: r.token_typing as TokenTyping,
  clockSkew: Number(r.clock_skew),
  maxTokenAge: Number(r.max_token_age),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function toColumns(p: IdentityProviderPatch): Partial<Row> {
  const c: Partial<Row> = {};
  if (p.description !== undefined) c.description = p.description;
  if (p.kind !== undefined) c.kind = p.kind;
  if (p.wellKnownUrl !== undefined) c.well_known_url = p.wellKnownUrl;
  if (p.issuer !== undefined) c.issuer = p.issuer;
  if (p.issuerTemplate !== undefined) c.issuer_template = p.issuerTemplate;
  if (p.allowedTenantIds !== undefined) c.allowed_tenant_ids = JSON.stringify(p.allowedTenantIds);
  if (p.tokenEndpoint !== undefined) c.token_endpoint = p.tokenEndpoint;
  if (p.jwksUri !== undefined) c.jwks_uri = p.jwksUri;
  if (p.audiences !== undefined) c.audiences = JSON.stringify(p.audiences);
  if (p.clientIdClaims !== undefined) c.client_id_claim = JSON.stringify(p.clientIdClaims);
  if (p.subjectClaim !== undefined) c.subject_claim = p.subjectClaim;
  if (p.tokenTyping !== undefined) c.token_typing = p.tokenTyping;
  if (p.clockSkew !== undefined) c.clock_skew = p.clockSkew;
  if (p.maxTokenAge !== undefined) c.max_token_age = p.maxTokenAge;
  return c;
}

/**
 * Identity providers, always scoped by organization: an issuer is looked up
 * within one organization, never across them.
 */
export class IdentityProviderRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async create(input: IdentityProviderInput): Promise<IdentityProvider> {
    const now = isoNow(this.clock);
    const row = { id: newId(), org_id: input.orgId, name: input.name, created_at: now, updated_at: now, ...toColumns(input) } as Row;
    await this.db.insertInto('identity_providers').values(row).execute();
    await this.changed({ kind: 'identityProviders' });
    return toIdp(row);
  }

  async list(orgId: string): Promise<IdentityProvider[]> {
    return (await this.db.selectFrom('identity_providers').selectAll().where('org_id', '=', orgId).orderBy('name').execute()).map(toIdp);
  }

  /** Every IdP of every organization (to load the key cache at start). */
  async all(): Promise<IdentityProvider[]> {
    return (await this.db.selectFrom('identity_providers').selectAll().orderBy('org_id').orderBy('name').execute()).map(toIdp);
  }

  async byName(orgId: string, name: string): Promise<IdentityProvider | undefined> {
    const r = await this.db.selectFrom('identity_providers').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
    return r && toIdp(r);
  }

  async byId(orgId: string, id: string): Promise<IdentityProvider | undefined> {
    const r = await this.db.selectFrom('identity_providers').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toIdp(r);
  }

  /**
   * IdPs of `orgId` that would accept a token issuer this one accepts too, with
   * that issuer: the same exact issuer or template, an exact issuer matching
   * the other's `{tenantid}` template with one of its allowed tenants, or the
   * reverse (to refuse overlapping claims).
   */
  async sameIssuer(orgId: string, shape: Pick<IdentityProvider, 'issuer' | 'issuerTemplate' | 'allowedTenantIds'>): Promise<{ idp: IdentityProvider; issuer: string }[]> {
    const out: { idp: IdentityProvider; issuer: string }[] = [];
    for (const idp of await this.list(orgId)) {
      const issuer = sharedIssuer(shape, idp);
      if (issuer !== undefined) out.push({ idp, issuer });
    }
    return out;
  }

  /**
   * An (issuer, audience) pair this shape and these audiences would accept
   * that an IdP of ANOTHER organization accepts already, or undefined. The
   * issuer is the concrete one both accept (an exact issuer, or a template
   * filled with a shared tenant). Used to keep each pair to one organization
   * (`DRAWBRIDGE_IDP_SHARED_AUDIENCES` off); the other IdP is not returned.
   */
  async claimedElsewhere(
    orgId: string,
    shape: Pick<IdentityProvider, 'issuer' | 'issuerTemplate' | 'allowedTenantIds'>,
    audiences: readonly string[],
  ): Promise<{ issuer: string; audience: string } | undefined> {
    const rows = await this.db.selectFrom('identity_providers').selectAll().where('org_id', '!=', orgId).orderBy('created_at').orderBy('id').execute();
    for (const other of rows.map(toIdp)) {
      const audience = audiences.find((a) => other.audiences.includes(a));
      if (audience === undefined) continue;
      const issuer = sharedConcreteIssuer(shape, other);
      if (issuer !== undefined) return { issuer, audience };
    }
    return undefined;
  }

  async update(orgId: string, id: string, patch: IdentityProviderPatch): Promise<void> {
    await this.db
      .updateTable('identity_providers')
      .set({ ...toColumns(patch), updated_at: isoNow(this.clock) })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
    await this.changed({ kind: 'identityProviders' });
  }

  async delete(orgId: string, id: string): Promise<void> {
    await this.db.deleteFrom('identity_providers').where('org_id', '=', orgId).where('id', '=', id).execute();
    await this.changed({ kind: 'identityProviders' });
  }

  /**
   * Saves the last good public keys of an IdP (replacing earlier ones): the key cache does
   * so when the key set changed (or hourly), which is when snapshots' copies must follow.
   */
  async saveKeys(idpId: string, keys: PersistedKeys): Promise<void> {
    const values = { jwks: JSON.stringify(keys.jwks), fetched_at: new Date(keys.fetchedAt).toISOString() };
    await this.db
      .insertInto('idp_key_cache')
      .values({ idp_id: idpId, ...values })
      .onConflict((oc) => oc.column('idp_id').doUpdateSet(values))
      .execute();
    await this.changed({ kind: 'identityProviders' });
  }

  /** Last good keys of every IdP that has some. */
  async allKeys(): Promise<Map<string, PersistedKeys>> {
    const rows = await this.db.selectFrom('idp_key_cache').selectAll().execute();
    return new Map(rows.map((r) => [r.idp_id, { jwks: JSON.parse(r.jwks) as JsonWebKeySet, fetchedAt: Date.parse(r.fetched_at) }]));
  }
}
