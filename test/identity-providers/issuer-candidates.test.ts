import { describe, expect, it } from 'vitest';
import { acceptsIssuer, issuerCandidates } from '../../src/shared/idp-keys/verify.js';

/** The issuer filter token exchange uses to find the IdPs a subject token may come from. */
describe('issuerCandidates', () => {
  const exact = { name: 'okta', issuer: 'https://acme.okta.com/oauth2/default', issuerTemplate: null, allowedTenantIds: [] };
  const template = { name: 'entra', issuer: null, issuerTemplate: 'https://login.microsoftonline.com/{tenantid}/v2.0', allowedTenantIds: ['t1'] };
  const idps = [exact, template];

  it('keeps the IdPs with this exact issuer, or a template it matches (tenant checked later)', () => {
    expect(issuerCandidates(idps, 'https://acme.okta.com/oauth2/default').map((i) => i.name)).toEqual(['okta']);
    expect(issuerCandidates(idps, 'https://login.microsoftonline.com/t1/v2.0').map((i) => i.name)).toEqual(['entra']);
    // A tenant not allowed is still a candidate, so the verifier can name the refused tenant; acceptsIssuer is the strict check.
    expect(issuerCandidates(idps, 'https://login.microsoftonline.com/t2/v2.0').map((i) => i.name)).toEqual(['entra']);
    expect(acceptsIssuer(template, 'https://login.microsoftonline.com/t2/v2.0')).toBe(false);
  });

  it('drops everything else', () => {
    expect(issuerCandidates(idps, 'https://acme.okta.com/oauth2/other')).toEqual([]);
    expect(issuerCandidates(idps, 'https://login.microsoftonline.com/t1/v2.0/extra')).toEqual([]);
    expect(issuerCandidates([], 'https://acme.okta.com/oauth2/default')).toEqual([]);
  });
});
