import { lazy, Suspense } from 'react';
import { Anchor, Badge, Breadcrumbs, Group, Tabs, Text } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { PageLoader, QueryState } from '../../ui/page-state';
import { portalPath, usePortalApi } from '../queries';
import { ApiOverview } from './api-overview';
import { LifecycleBadge } from './apis-page';
import { TryItPanel } from './try-it-panel';

// The documentation renderer loads only when its tab is opened.
const ApiDocumentation = lazy(async () => ({ default: (await import('./api-documentation')).ApiDocumentation }));

const TABS = ['overview', 'documentation', 'try-it'] as const;

/** One API: overview (endpoints, resources and scopes), its documentation, and Try it. */
export function ApiPage() {
  const org = useOrgHandle();
  const { api: id = '' } = useParams();
  const query = usePortalApi(org, id);
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((t) => t === params.get('tab')) ?? 'overview';
  return (
    <QueryState query={query} label="API">
      {(api) => (
        <Page title={api.name || api.ref} description={api.description || undefined}>
          <Breadcrumbs>
            <Anchor component={Link} to={portalPath(org, 'apis')}>
              APIs
            </Anchor>
            <Text>{api.name || api.ref}</Text>
          </Breadcrumbs>
          <Group gap="xs">
            <Text ff="monospace" size="sm">
              {api.ref} · {api.contextPath} · {api.version}
            </Text>
            <LifecycleBadge lifecycle={api.lifecycle} />
            {api.visibility === 'private' && (
              <Badge variant="light" color="grape">
                private
              </Badge>
            )}
          </Group>
          <Tabs value={tab} onChange={(t) => setParams(t && t !== 'overview' ? { tab: t } : {}, { replace: true })} keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="overview">Overview</Tabs.Tab>
              <Tabs.Tab value="documentation">Documentation</Tabs.Tab>
              <Tabs.Tab value="try-it">Try it</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="overview" pt="md">
              <ApiOverview api={api} />
            </Tabs.Panel>
            <Tabs.Panel value="documentation" pt="md">
              <Suspense fallback={<PageLoader label="Loading the documentation" />}>
                <ApiDocumentation org={org} api={api} />
              </Suspense>
            </Tabs.Panel>
            <Tabs.Panel value="try-it" pt="md">
              <TryItPanel org={org} api={api} />
            </Tabs.Panel>
          </Tabs>
        </Page>
      )}
    </QueryState>
  );
}
