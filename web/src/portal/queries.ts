import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../api/client';

/** The portal's data: types from the API's OpenAPI document, query keys under ['orgs', org, 'portal', …]. */

export type PortalApi = ResponseOf<'/api/v1/orgs/{org}/portal/apis/{api}', 'get'>;
export type Application = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}', 'get'>;
export type Keys = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}', 'get'>;
export type KeysWithSecret = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}', 'post'>;
export type UserKeys = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}/keys/{env}/user-keys/{idp}', 'get'>;
export type Subscription = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}/subscriptions', 'get'>[number];
export type TryItResult = ResponseOf<'/api/v1/orgs/{org}/portal/applications/{app}/try-it', 'post'>;

/** What the token endpoint answers (Generate Test Token passes it on unchanged). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  issued_token_type?: string;
}

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CLIENT_CREDENTIALS = 'client_credentials';
export const GRANT_TYPES = [
  { value: CLIENT_CREDENTIALS, label: 'Client Credentials' },
  { value: TOKEN_EXCHANGE, label: 'Token Exchange' },
] as const;
/** The token service's bounds (src/token-service/credentials.ts MIN_TOKEN_LIFETIME, keys.ts MAX_TOKEN_LIFETIME). */
export const TOKEN_LIFETIME = { min: 60, max: 86_400, default: 3600 } as const;

const portalKey = (org: string) => ['orgs', org, 'portal'] as const;
export const apisKey = (org: string) => [...portalKey(org), 'apis'] as const;
export const applicationsKey = (org: string) => [...portalKey(org), 'applications'] as const;
export const applicationKey = (org: string, app: string) => [...applicationsKey(org), app] as const;
export const keysKey = (org: string, app: string) => [...applicationKey(org, app), 'keys'] as const;
export const subscriptionsKey = (org: string, app: string) => [...applicationKey(org, app), 'subscriptions'] as const;

export function usePortalApis(org: string, q = '') {
  return useQuery({
    queryKey: [...apisKey(org), 'list', q],
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/apis', { params: { path: { org }, query: q ? { q } : {} } })),
    placeholderData: (previous) => previous,
  });
}

export function usePortalApi(org: string, id: string) {
  return useQuery({ queryKey: [...apisKey(org), id], queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/apis/{api}', { params: { path: { org, api: id } } })) });
}

export function useApplications(org: string) {
  return useQuery({ queryKey: applicationsKey(org), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/applications', { params: { path: { org }, query: {} } })) });
}

export function useApplication(org: string, app: string) {
  return useQuery({ queryKey: applicationKey(org, app), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/applications/{app}', { params: { path: { org, app } } })) });
}

export function useKeys(org: string, app: string) {
  return useQuery({ enabled: app !== '', queryKey: keysKey(org, app), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/applications/{app}/keys', { params: { path: { org, app } } })) });
}

export function useSubscriptions(org: string, app: string) {
  return useQuery({
    enabled: app !== '',
    queryKey: subscriptionsKey(org, app),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/portal/applications/{app}/subscriptions', { params: { path: { org, app } } })),
  });
}

export function useIdentityProviders(org: string) {
  return useQuery({
    queryKey: ['orgs', org, 'identity-providers'],
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/identity-providers', { params: { path: { org } } })),
  });
}

/** The portal's address of a page in the current organization. */
export const portalPath = (org: string, path: string) => `/portal/o/${org}/${path}`;
