import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { keys } from '../query-keys';

export type Component = ResponseOf<'/api/v1/orgs/{org}/projects/{project}/components', 'get'>[number];
export type ComponentOverview = ResponseOf<'/api/v1/orgs/{org}/projects/{project}/components/{component}', 'get'>;
export type ConsumerApplication = ResponseOf<'/api/v1/orgs/{org}/projects/{project}/components/{component}/application', 'get'>;
export type Authentication = ConsumerApplication['authentication'][number];
export type IdentityProvider = ResponseOf<'/api/v1/orgs/{org}/identity-providers', 'get'>[number];
export type Environment = ResponseOf<'/api/v1/orgs/{org}/environments', 'get'>[number];
export type ComponentType = 'external-consumer' | 'api-proxy';

export function useProjects(org: string) {
  return useQuery({ queryKey: keys.projects(org), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects', { params: { path: { org } } })) });
}

export function useProject(org: string, project: string) {
  return useQuery({ queryKey: keys.project(org, project), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}', { params: { path: { org, project } } })) });
}

export function useComponents(org: string, project: string) {
  return useQuery({
    queryKey: keys.components(org, project),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components', { params: { path: { org, project } } })),
  });
}

export function useComponentOverview(org: string, project: string, component: string) {
  return useQuery({
    queryKey: keys.component(org, project, component),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}', { params: { path: { org, project, component } } })),
  });
}

/** The application of an external consumer, with its credentials per environment (never a secret). */
export function useConsumerApplication(org: string, project: string, component: string) {
  return useQuery({
    queryKey: keys.application(org, project, component),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/application', { params: { path: { org, project, component } } })),
  });
}

export function useEnvironments(org: string) {
  return useQuery({ queryKey: keys.environments(org), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/environments', { params: { path: { org } } })) });
}

/** The organization's identity providers (Settings → API Management lists them; consumers pick one per environment). */
export function useIdentityProviders(org: string) {
  return useQuery({
    queryKey: keys.identityProviders(org),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/identity-providers', { params: { path: { org } } })),
  });
}

export const COMPONENT_TYPES: Record<ComponentType, { label: string; description: string; color: string }> = {
  'external-consumer': { label: 'External Consumer', description: 'A client that lives outside: a mobile or web app, a bot, a server. It gets keys to call your APIs.', color: 'teal' },
  'api-proxy': { label: 'API Proxy', description: 'An API in front of a backend, exposed through the gateway.', color: 'indigo' },
};

export const componentTypeLabel = (type: string) => COMPONENT_TYPES[type as ComponentType]?.label ?? type;

/** Where a component's page is, relative to the organization. */
export function componentPath(project: string, component: { type: string; name: string }): string {
  return component.type === 'api-proxy' ? `projects/${project}/apis/${component.name}` : `projects/${project}/consumers/${component.name}`;
}

export const IDP_KIND_LABELS: Record<string, string> = {
  okta: 'Okta',
  microsoft: 'Microsoft Entra ID',
  auth0: 'Auth0',
  keycloak: 'Keycloak',
  'generic-oidc': 'OpenID Connect',
};

export const GRANT_TYPES = [
  { value: 'client_credentials', label: 'Client Credentials' },
  { value: 'urn:ietf:params:oauth:grant-type:token-exchange', label: 'Token Exchange' },
] as const;

/** Token lifetime bounds of the token service (seconds). */
export const TOKEN_LIFETIME = { min: 60, max: 86_400, default: 3600 };
