import { Navigate } from 'react-router';
import { QueryState } from '../ui/page-state';
import { useOrgs } from './orgs';

/** `/console/` and `/portal/`: the first organization, or creating one when there is none. */
export function OrgIndex({ area }: { area: 'console' | 'portal' }) {
  const orgs = useOrgs();
  return (
    <QueryState query={orgs} label="organizations">
      {(list) => <Navigate to={list.length ? `/${area}/o/${list[0].handle}/` : `/${area}/new-org`} replace />}
    </QueryState>
  );
}
