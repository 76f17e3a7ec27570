/** Where one API's data lives: `/orgs/{org}/projects/{project}/components/{component}/api…`. */
export interface ApiRef {
  org: string;
  project: string;
  component: string;
}

/**
 * Every query key of the console, in one place. All of an organization's keys
 * start with ['orgs', org], and each key extends the key of what contains it
 * (project → components → component → application / api), so invalidating a
 * key refreshes everything under it.
 */
export const keys = {
  orgs: ['orgs'] as const,
  org: (org: string) => ['orgs', org] as const,
  projects: (org: string) => ['orgs', org, 'projects'] as const,
  project: (org: string, project: string) => ['orgs', org, 'projects', project] as const,
  components: (org: string, project: string) => ['orgs', org, 'projects', project, 'components'] as const,
  component: (org: string, project: string, component: string) => ['orgs', org, 'projects', project, 'components', component] as const,
  application: (org: string, project: string, component: string) => [...keys.component(org, project, component), 'application'] as const,
  connections: (org: string, project: string) => ['orgs', org, 'projects', project, 'connections'] as const,
  api: (r: ApiRef) => [...keys.component(r.org, r.project, r.component), 'api'] as const,
  deployments: (r: ApiRef) => [...keys.api(r), 'deployments'] as const,
  revisions: (r: ApiRef) => [...keys.api(r), 'revisions'] as const,
  plan: (r: ApiRef, environment: string, revision?: number, backendUrl?: string) => [...keys.deployments(r), 'plan', environment, revision ?? null, backendUrl ?? null] as const,
  promotion: (r: ApiRef, from: string) => [...keys.deployments(r), 'promotion', from] as const,
  /** The organization's API lists (all lifecycles). */
  apis: (org: string, lifecycle?: string) => (lifecycle ? (['orgs', org, 'apis', lifecycle] as const) : (['orgs', org, 'apis'] as const)),
  environments: (org: string) => ['orgs', org, 'environments'] as const,
  identityProviders: (org: string) => ['orgs', org, 'identity-providers'] as const,
  identityProvider: (org: string, name: string) => ['orgs', org, 'identity-providers', name] as const,
  members: (org: string) => ['orgs', org, 'members'] as const,
  audit: (org: string) => ['orgs', org, 'audit'] as const,
  /** The policy catalogue (the same for every organization). */
  policies: () => ['policies'] as const,
};
