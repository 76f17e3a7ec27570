import { ConfigError } from '../shared/errors.js';
import { matchIssuerTemplate } from '../shared/idp-keys/verify.js';
import type { SnapshotIdentityProvider } from './snapshot.js';

/**
 * Finds the identity provider of an API's organization that a token's
 * (unverified) `iss` names: exact issuers first, then `{tenantid}` issuer
 * templates. Only the organization's own IdPs are ever candidates.
 *
 * Keyed `<orgId>\n<issuer>` like the Map it replaces, so request-path code
 * calls `get` unchanged. The verifier still checks the issuer (and `tid`)
 * itself; this only picks which IdP to verify with.
 */
export class IdpIssuerIndex {
  private readonly exact = new Map<string, SnapshotIdentityProvider>();
  private readonly templates = new Map<string, SnapshotIdentityProvider[]>();

  /**
   * Throws `ConfigError` at `at` when the organization already has an IdP with
   * the same exact issuer: the snapshot compiler then leaves this one out (and
   * logs it) and the first keeps the issuer; the rest of the snapshot loads.
   */
  add(idp: SnapshotIdentityProvider, at: string): void {
    if (idp.issuerTemplate !== undefined) {
      const list = this.templates.get(idp.orgId) ?? [];
      list.push(idp);
      this.templates.set(idp.orgId, list);
      return;
    }
    const key = `${idp.orgId}\n${idp.issuer}`;
    const holder = this.exact.get(key);
    if (holder) throw new ConfigError(`${at}.issuer`, `identity provider ${holder.name} (${holder.id}) of this organization already has this issuer; tokens of this issuer are verified with that one`);
    this.exact.set(key, idp);
  }

  get(orgIssuer: string): SnapshotIdentityProvider | undefined {
    const exact = this.exact.get(orgIssuer);
    if (exact) return exact;
    const nl = orgIssuer.indexOf('\n');
    if (nl < 0) return undefined;
    const templates = this.templates.get(orgIssuer.slice(0, nl));
    if (!templates) return undefined;
    return this.find(templates, orgIssuer.slice(nl + 1));
  }

  /**
   * Among IdPs sharing a template, the one allowing the issuer's tenant; else
   * the first matching one, so its verification names the refused tenant.
   */
  private find(templates: readonly SnapshotIdentityProvider[], issuer: string): SnapshotIdentityProvider | undefined {
    let first: SnapshotIdentityProvider | undefined;
    for (const idp of templates) {
      const tenant = matchIssuerTemplate(idp.issuerTemplate!, issuer);
      if (tenant === undefined) continue;
      first ??= idp;
      const lower = tenant.toLowerCase();
      if (idp.allowedTenantIds?.some((t) => t.toLowerCase() === lower)) return idp;
    }
    return first;
  }
}
