import { useQuery } from '@tanstack/react-query';
import { IDP_KINDS, IDP_PRESETS, type IdpKind } from '../../../../src/shared/idp-keys/presets';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { keys } from '../query-keys';

/** An identity provider as the API shows it. */
export type IdentityProvider = ResponseOf<'/api/v1/orgs/{org}/identity-providers/{idp}', 'get'>;
export type Discovery = ResponseOf<'/api/v1/orgs/{org}/identity-providers/discover', 'post'>;
export type TestResult = ResponseOf<'/api/v1/orgs/{org}/identity-providers/{idp}/test', 'post'>;
export type Explanation = ResponseOf<'/api/v1/orgs/{org}/identity-providers/{idp}/explain', 'post'>;
export type { IdpKind };

/**
 * The supported kinds, in the order the server lists them. The table is the
 * server's own (src/shared/idp-keys/presets.ts, pure), so labels and defaults
 * cannot drift from what the API applies.
 */
export const KINDS = IDP_KINDS.map((kind) => ({ kind, ...IDP_PRESETS[kind] }));

export const kindLabel = (kind: string): string => IDP_PRESETS[kind as IdpKind]?.label ?? kind;

/** Where each kind's discovery document usually lives (a placeholder, never sent). */
export const WELL_KNOWN_EXAMPLES: Record<IdpKind, string> = {
  okta: 'https://your-org.okta.com/oauth2/default/.well-known/openid-configuration',
  microsoft: 'https://login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration',
  auth0: 'https://your-tenant.auth0.com/.well-known/openid-configuration',
  keycloak: 'https://keycloak.example.com/realms/<realm>/.well-known/openid-configuration',
  'generic-oidc': 'https://idp.example.com/.well-known/openid-configuration',
};

export function useIdp(org: string, idp: string) {
  return useQuery({
    queryKey: keys.identityProvider(org, idp),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/identity-providers/{idp}', { params: { path: { org, idp } } })),
  });
}

/** The distinct, trimmed, non-empty entries of a list input. */
export const splitList = (value: string[]): string[] => [...new Set(value.map((v) => v.trim()).filter(Boolean))];

/** A URL field's value for the API: omitted when empty. */
export const optional = (value: string): string | undefined => value.trim() || undefined;
