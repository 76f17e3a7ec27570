import { Badge, Code, Group, Stack, Tabs, Text } from '@mantine/core';
import { Navigate, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { ApiRequestError } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { Page } from '../../ui/page';
import { PageLoader } from '../../ui/page-state';
import { Crumbs } from '../projects/crumbs';
import { apiPagePath, type ApiPageContext } from './api-context';
import { LifecycleBadge } from './lifecycle';
import { useComponentOverview, useProject } from '../projects/queries';
import { useApiDefinition, type ApiRef } from './queries';

const TABS = [
  { value: 'overview', label: 'Overview' },
  { value: 'develop/policies', label: 'Develop' },
  { value: 'deploy', label: 'Deploy' },
];

/** An API proxy's page: title, lifecycle and the Overview / Develop / Deploy tabs (each a sub-route). */
export function ApiLayout() {
  const org = useOrgHandle();
  const { project = '', component = '' } = useParams();
  const ref: ApiRef = { org, project, component };
  const location = useLocation();
  const navigate = useNavigate();
  const projectQuery = useProject(org, project);
  const componentQuery = useComponentOverview(ref.org, ref.project, ref.component);
  const definition = useApiDefinition(ref);
  const trail = [
    { label: 'Projects', to: 'projects' },
    { label: projectQuery.data?.displayName ?? project, to: `projects/${project}` },
  ];

  if (componentQuery.isPending) return <PageLoader label="API proxy" />;
  if (componentQuery.isError) {
    return (
      <Stack>
        <Crumbs trail={trail} current={component} />
        <ApiErrorAlert error={componentQuery.error} title="Could not load: API proxy" />
      </Stack>
    );
  }
  const c = componentQuery.data;
  if (c.type !== 'api-proxy') return <Navigate to={`/console/o/${org}/projects/${project}/consumers/${component}`} replace />;
  const notDefined = definition.error instanceof ApiRequestError && definition.error.status === 404;
  const base = `/console/o/${org}/${apiPagePath(ref)}`;
  const rest = location.pathname.startsWith(base) ? location.pathname.slice(base.length).replace(/^\/+|\/+$/g, '') : '';
  const tab = TABS.find((t) => t.value !== 'overview' && rest.startsWith(t.value.split('/')[0]!))?.value ?? 'overview';
  const context: ApiPageContext = { ref, displayName: c.displayName, definition: definition.data };

  return (
    <Stack gap="md">
      <Crumbs trail={trail} current={c.displayName} />
      <Page title={c.displayName} documentTitle={[TABS.find((t) => t.value === tab)?.label, c.displayName, projectQuery.data?.displayName ?? project]} description={c.description || undefined}>
        <Group gap="xs">
          <Badge variant="light" color="indigo">
            API Proxy
          </Badge>
          <Text size="sm" c="dimmed">
            Name <Code>{c.name}</Code>
          </Text>
          {definition.data && (
            <>
              <LifecycleBadge lifecycle={definition.data.lifecycle} />
              <Text size="sm" c="dimmed">
                Base path{' '}
                <Code>
                  {definition.data.contextPath}/{definition.data.version}
                </Code>
              </Text>
            </>
          )}
        </Group>
        <Tabs value={tab} onChange={(v) => navigate(v && v !== 'overview' ? `${base}/${v}` : base)} keepMounted={false}>
          <Tabs.List aria-label="API sections">
            {TABS.map((t) => (
              <Tabs.Tab key={t.value} value={t.value}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
        </Tabs>
        {definition.isPending ? (
          <PageLoader label="API definition" />
        ) : definition.isError && !notDefined ? (
          <ApiErrorAlert error={definition.error} title="Could not load: API definition" />
        ) : (
          <Outlet context={context} />
        )}
      </Page>
    </Stack>
  );
}
