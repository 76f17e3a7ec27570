import { Button, SegmentedControl, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { EmptyState, PageLoader, QueryState } from '../../ui/page-state';
import { ApiErrorAlert } from '../../ui/api-error';
import { ComponentCard } from './component-card';
import { CreateComponentDrawer } from './create-component-drawer';
import { Crumbs } from './crumbs';
import { useComponents, useProject, type ComponentType } from './queries';

type Filter = 'all' | ComponentType;

/** A project's home: its components as cards, + Create, and the Connections tab. */
export function ProjectHomePage() {
  const org = useOrgHandle();
  const { project: name = '' } = useParams();
  const navigate = useNavigate();
  const project = useProject(org, name);
  const components = useComponents(org, name);
  const [creating, { open, close }] = useDisclosure();
  const [filter, setFilter] = useState<Filter>('all');
  if (project.isPending) return <PageLoader label="project" />;
  if (project.isError)
    return (
      <Stack>
        <Crumbs trail={[{ label: 'Projects', to: 'projects' }]} current={name} />
        <ApiErrorAlert error={project.error} title="Could not load: project" />
      </Stack>
    );
  const p = project.data;
  return (
    <Stack gap="md">
      <Crumbs trail={[{ label: 'Projects', to: 'projects' }]} current={p.displayName} />
      <Page title={p.displayName} description={p.description || undefined} actions={<Button onClick={open}>+ Create</Button>}>
        <Tabs value="components" activateTabWithKeyboard={false} onChange={(tab) => tab === 'connections' && navigate(`/console/o/${org}/projects/${name}/connections`)}>
          <Tabs.List>
            <Tabs.Tab value="components">Components</Tabs.Tab>
            <Tabs.Tab value="connections">Connections</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="components" pt="md">
            <QueryState query={components} label="components">
              {(list) =>
                list.length === 0 ? (
                  <EmptyState title="No components yet">
                    <Text size="sm">Use + Create to add an API Proxy (an API in front of a backend) or an External Consumer (a client that calls your APIs).</Text>
                    <Button variant="light" onClick={open}>
                      Create a component
                    </Button>
                  </EmptyState>
                ) : (
                  <Stack>
                    <SegmentedControl
                      aria-label="Show components"
                      w="fit-content"
                      value={filter}
                      onChange={(v) => setFilter(v as Filter)}
                      data={[
                        { value: 'all', label: `All (${list.length})` },
                        { value: 'api-proxy', label: 'API Proxies' },
                        { value: 'external-consumer', label: 'External Consumers' },
                      ]}
                    />
                    {list.some((c) => filter === 'all' || c.type === filter) ? (
                      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Components">
                        {list
                          .filter((c) => filter === 'all' || c.type === filter)
                          .map((c) => (
                            <ComponentCard key={c.id} project={name} component={c} />
                          ))}
                      </SimpleGrid>
                    ) : (
                      <EmptyState title={filter === 'api-proxy' ? 'No API proxies in this project' : 'No external consumers in this project'} />
                    )}
                  </Stack>
                )
              }
            </QueryState>
          </Tabs.Panel>
        </Tabs>
      </Page>
      <CreateComponentDrawer project={name} opened={creating} onClose={close} />
    </Stack>
  );
}
