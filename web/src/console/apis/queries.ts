import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap, type ResponseOf } from '../../api/client';
import { keys, type ApiRef } from '../query-keys';

type ApiPath = '/api/v1/orgs/{org}/projects/{project}/components/{component}/api';
export type ApiDefinition = ResponseOf<ApiPath, 'get'>;
export type ApiResource = ApiDefinition['resources'][number];
export type PolicyAttachment = ApiDefinition['policies'][number];
export type PolicySchema = ResponseOf<'/api/v1/policies', 'get'>[number];
export type Deployment = ResponseOf<'/api/v1/orgs/{org}/projects/{project}/components/{component}/api/deployments', 'get'>[number];
export type Connection = ResponseOf<'/api/v1/orgs/{org}/projects/{project}/connections', 'get'>[number];

export type { ApiRef };

const path = (r: ApiRef) => ({ params: { path: { org: r.org, project: r.project, component: r.component } } });

/** The API of an api-proxy component; a 404 means "not defined yet". */
export function useApiDefinition(r: ApiRef) {
  return useQuery({ queryKey: keys.api(r), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/api', path(r))) });
}

/** The policy catalogue (the same for every organization). */
export function usePolicyCatalogue() {
  return useQuery({ queryKey: keys.policies(), queryFn: () => unwrap(api.GET('/api/v1/policies')), staleTime: 5 * 60_000 });
}

export function useDeployments(r: ApiRef) {
  return useQuery({ queryKey: keys.deployments(r), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/deployments', path(r))) });
}

export function useRevisions(r: ApiRef) {
  return useQuery({ queryKey: keys.revisions(r), queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/revisions', path(r))) });
}

/** What deploying to `environment` needs (parameters and whether the environment holds them). */
export function useDeploymentPlan(r: ApiRef, environment: string, options: { revision?: number; backendUrl?: string; enabled?: boolean } = {}) {
  return useQuery({
    queryKey: keys.plan(r, environment, options.revision, options.backendUrl),
    enabled: options.enabled ?? true,
    staleTime: 0,
    // A new backend URL keeps the parameter inputs on screen while its plan loads.
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/deployments/plan', {
          params: {
            path: { org: r.org, project: r.project, component: r.component },
            query: { environment, ...(options.revision !== undefined && { revision: String(options.revision) }), ...(options.backendUrl && { backendUrl: options.backendUrl }) },
          },
        }),
      ),
  });
}

export function usePromotion(r: ApiRef, from: string, enabled = true) {
  return useQuery({
    queryKey: keys.promotion(r, from),
    enabled,
    staleTime: 0,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/promotion', {
          params: { path: { org: r.org, project: r.project, component: r.component }, query: { from } },
        }),
      ),
  });
}

export function usePublishedApis(org: string) {
  return useQuery({
    queryKey: keys.apis(org, 'published'),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/apis', { params: { path: { org }, query: { lifecycle: 'published' } } })),
  });
}

export function useConnections(org: string, project: string) {
  return useQuery({
    queryKey: keys.connections(org, project),
    queryFn: () => unwrap(api.GET('/api/v1/orgs/{org}/projects/{project}/connections', { params: { path: { org, project } } })),
  });
}

/** "Outbound OAuth2 (client credentials) (1.0.1)": how the console names a policy version. */
export const policyLabel = (p: Pick<PolicySchema, 'displayName' | 'version'>) => `${p.displayName} (${p.version})`;

/** `name@version` → the catalogue entry (undefined when the gateway no longer has it). */
export const findPolicy = (catalogue: PolicySchema[] | undefined, ref: string) => catalogue?.find((p) => p.ref === ref);

/** `GET /items/{id}`: how an attachment names a resource. */
export const resourceKey = (r: Pick<ApiResource, 'method' | 'path'>) => `${r.method} ${r.path}`;
