import { Anchor, Breadcrumbs, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';

/** Where the page is: links to the pages above it (paths relative to the organization), then the page itself. */
export function Crumbs({ trail, current }: { trail: { label: string; to: string }[]; current: string }) {
  const org = useOrgHandle();
  return (
    <nav aria-label="Breadcrumb">
      <Breadcrumbs>
        {trail.map((c) => (
          <Anchor key={c.to} component={Link} to={`/console/o/${org}/${c.to}`} size="sm">
            {c.label}
          </Anchor>
        ))}
        <Text size="sm" c="dimmed" aria-current="page">
          {current}
        </Text>
      </Breadcrumbs>
    </nav>
  );
}
