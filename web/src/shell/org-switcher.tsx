import { Select } from '@mantine/core';
import { useNavigate, useParams } from 'react-router';
import { useOrgs } from '../orgs/orgs';

const CREATE = '__create__';

/** Switches the organization of the current area; the last entry creates a new one. */
export function OrgSwitcher({ area }: { area: 'console' | 'portal' }) {
  const { org } = useParams();
  const orgs = useOrgs();
  const navigate = useNavigate();
  const data = (orgs.data ?? []).map((o) => ({ value: o.handle, label: o.name }));
  return (
    <Select
      aria-label="Organization"
      placeholder="Organization"
      w={220}
      data={area === 'console' ? [...data, { value: CREATE, label: '+ Create organization' }] : data}
      value={org ?? null}
      allowDeselect={false}
      onChange={(value) => {
        if (value === CREATE) navigate(`/${area}/new-org`);
        else if (value) navigate(`/${area}/o/${value}/`);
      }}
    />
  );
}
