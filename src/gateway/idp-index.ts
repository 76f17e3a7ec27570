import { hash } from 'node:crypto';
import { matchIssuerTemplate } from '../shared/idp-keys/verify.js';
import type { SnapshotIdentityProvider } from './snapshot.js';

/**
 * Finds the identity provider of an API's organization that a token's
 * (unverified) `iss` names: exact issuers first, then `{tenantid}` issuer
 * templates. Only the organization's own IdPs are ever candidates.
 *
 * Keyed `<orgId>\n<issuer>`. Several IdPs of one organization may share an
 * issuer (the control plane allows it for distinct audiences): `get` then
 * picks by the token's (unverified) audiences, as token exchange does. The
 * verifier still checks the issuer, `tid` and audience itself; this only
 * picks which IdP to verify with.
 */
export class IdpIssuerIndex {
  private readonly exact = new Map<string, SnapshotIdentityProvider[]>();
  private readonly templates = new Map<string, SnapshotIdentityProvider[]>();
  private readonly all: SnapshotIdentityProvider[] = [];

  add(idp: SnapshotIdentityProvider): void {
    this.all.push(idp);
    const map = idp.issuerTemplate !== undefined ? this.templates : this.exact;
    const key = idp.issuerTemplate !== undefined ? idp.orgId : `${idp.orgId}\n${idp.issuer}`;
    const list = map.get(key);
    if (list) list.push(idp);
    else map.set(key, [idp]);
  }

  /**
   * The IdP to verify a token of this issuer with. Among several, the first
   * whose audiences contain one of `audiences` (the token's `aud`, unverified);
   * else the first, so its verification names the refused audience.
   */
  get(orgIssuer: string, audiences: readonly string[] = []): SnapshotIdentityProvider | undefined {
    const exact = this.exact.get(orgIssuer);
    if (exact) return exact.length === 1 ? exact[0] : (exact.find((idp) => acceptsAudience(idp, audiences)) ?? exact[0]);
    const nl = orgIssuer.indexOf('\n');
    if (nl < 0) return undefined;
    const templates = this.templates.get(orgIssuer.slice(0, nl));
    if (!templates) return undefined;
    return this.find(templates, orgIssuer.slice(nl + 1), audiences);
  }

  /** Whether IdP `idpId` is one the organization trusts for this issuer (the one a verified token named). */
  has(orgIssuer: string, idpId: string): boolean {
    const exact = this.exact.get(orgIssuer);
    if (exact) {
      for (let i = 0; i < exact.length; i++) if (exact[i]!.id === idpId) return true;
      return false;
    }
    const nl = orgIssuer.indexOf('\n');
    if (nl < 0) return false;
    const idp = this.templates.get(orgIssuer.slice(0, nl))?.find((t) => t.id === idpId);
    return idp !== undefined && matchIssuerTemplate(idp.issuerTemplate!, orgIssuer.slice(nl + 1)) !== undefined;
  }

  /**
   * Identifies what verification depends on (every IdP's settings and key
   * material, not when its keys were fetched): verified tokens stay cached
   * across snapshots while it is unchanged.
   */
  fingerprint(): string {
    return hash('sha256', JSON.stringify(this.all.map(({ jwks, ...settings }) => [settings, jwks?.keys ?? null])), 'base64url');
  }

  /**
   * Among IdPs sharing a template, the one allowing the issuer's tenant and
   * one of the audiences, then one allowing the tenant; else the first
   * matching one, so its verification names the refused tenant.
   */
  private find(templates: readonly SnapshotIdentityProvider[], issuer: string, audiences: readonly string[]): SnapshotIdentityProvider | undefined {
    let first: SnapshotIdentityProvider | undefined;
    let allowed: SnapshotIdentityProvider | undefined;
    for (const idp of templates) {
      const tenant = matchIssuerTemplate(idp.issuerTemplate!, issuer);
      if (tenant === undefined) continue;
      first ??= idp;
      const lower = tenant.toLowerCase();
      if (!idp.allowedTenantIds?.some((t) => t.toLowerCase() === lower)) continue;
      if (acceptsAudience(idp, audiences)) return idp;
      allowed ??= idp;
    }
    return allowed ?? first;
  }
}

const acceptsAudience = (idp: SnapshotIdentityProvider, audiences: readonly string[]): boolean => idp.audiences.some((a) => audiences.includes(a));
