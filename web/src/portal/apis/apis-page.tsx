import { useDeferredValue, useState } from 'react';
import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { Link } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { portalPath, usePortalApis, type PortalApi } from '../queries';

/** The catalogue: published APIs this member may see, searchable. */
export function ApisPage() {
  const org = useOrgHandle();
  const [search, setSearch] = useState('');
  const q = useDeferredValue(search.trim());
  const apis = usePortalApis(org, q);
  return (
    <Page title="APIs" description="Published APIs you can subscribe your applications to.">
      <TextInput label="Search APIs" placeholder="Name, project/component or context path" value={search} onChange={(e) => setSearch(e.currentTarget.value)} maw={480} type="search" />
      <QueryState query={apis} label="APIs">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title={q ? `No API matches "${q}"` : 'No APIs yet'}>
              <Text size="sm">{q ? 'Try another name.' : 'APIs appear here once they are published to the portal.'}</Text>
            </EmptyState>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} role="list" aria-label="APIs">
              {list.map((a) => (
                <ApiCard key={a.id} org={org} api={a} />
              ))}
            </SimpleGrid>
          )
        }
      </QueryState>
    </Page>
  );
}

export function LifecycleBadge({ lifecycle }: { lifecycle: string }) {
  return (
    <Badge variant="light" color={lifecycle === 'published' ? 'green' : 'orange'}>
      {lifecycle}
    </Badge>
  );
}

function ApiCard({ org, api }: { org: string; api: PortalApi }) {
  return (
    <Card withBorder radius="md" padding="md" role="listitem">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Anchor component={Link} to={portalPath(org, `apis/${api.id}`)} fw={700} size="lg">
            {api.name || api.ref}
          </Anchor>
          <Badge variant="outline" tt="none">
            {api.version}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed" ff="monospace">
          {api.ref} · {api.contextPath}
        </Text>
        {api.description && (
          <Text size="sm" lineClamp={3}>
            {api.description}
          </Text>
        )}
        <Group gap={6}>
          <LifecycleBadge lifecycle={api.lifecycle} />
          {api.visibility === 'private' && (
            <Badge variant="light" color="grape">
              private
            </Badge>
          )}
          <Badge variant="light" color="gray">
            {api.resources.length === 1 ? '1 resource' : `${api.resources.length} resources`}
          </Badge>
          {api.endpoints.map((e) => (
            <Badge key={e.environment} variant="dot" color="indigo" tt="none">
              {e.displayName}
            </Badge>
          ))}
        </Group>
      </Stack>
    </Card>
  );
}
