import type { ReactNode } from 'react';
import { Alert } from '@mantine/core';
import { useOrgHandle, useOrgs, type Organization } from '../../orgs/orgs';
import { QueryState } from '../../ui/page-state';

/** What a developer sees where only admins may look or act: a plain statement, not an error. */
export function AdminsOnly({ title = 'Admins only', children }: { title?: string; children: string }) {
  return (
    <Alert color="gray" title={title} role="note">
      {children}
    </Alert>
  );
}

/** Renders `children` with the current organization and the caller's role once known; loading, failure and "not a member" otherwise. */
export function WithOrg({ children }: { children: (org: Organization & { isAdmin: boolean }) => ReactNode }) {
  const handle = useOrgHandle();
  const orgs = useOrgs();
  return (
    <QueryState query={orgs} label="your organizations">
      {(list) => {
        const org = list.find((o) => o.handle === handle);
        if (!org) {
          return (
            <Alert color="red" title="No such organization" role="alert">
              You are not a member of an organization with the handle "{handle}".
            </Alert>
          );
        }
        return children({ ...org, isAdmin: org.role === 'admin' });
      }}
    </QueryState>
  );
}
