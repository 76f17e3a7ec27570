import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, unwrap, type ResponseOf } from '../api/client';

export type Organization = ResponseOf<'/api/v1/orgs', 'get'>[number];

export const orgsKey = ['orgs'] as const;

export function useOrgs() {
  return useQuery({ queryKey: orgsKey, queryFn: () => unwrap(api.GET('/api/v1/orgs')) });
}

/** The organization handle of the current page (`/console/o/:org/...`, `/portal/o/:org/...`). */
export function useOrgHandle(): string {
  const { org } = useParams();
  if (!org) throw new Error('useOrgHandle outside an organization route');
  return org;
}

/** The current organization with the caller's role; undefined while loading. */
export function useCurrentOrg(): (Organization & { isAdmin: boolean }) | undefined {
  const handle = useOrgHandle();
  const orgs = useOrgs();
  const org = orgs.data?.find((o) => o.handle === handle);
  return org && { ...org, isAdmin: org.role === 'admin' };
}
