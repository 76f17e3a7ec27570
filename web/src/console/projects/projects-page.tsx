import { Anchor, Badge, Button, Card, Group, SimpleGrid, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { CreateProjectModal } from './create-project-modal';
import { useProjects } from './queries';

/** The organization's projects as cards; + Create project. */
export function ProjectsPage() {
  const org = useOrgHandle();
  const projects = useProjects(org);
  const [creating, { open, close }] = useDisclosure();
  return (
    <Page title="Projects" description="A project groups the components of one product: its APIs and the consumers that call them." actions={<Button onClick={open}>+ Create project</Button>}>
      <QueryState query={projects} label="projects">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No projects yet">
              <Text size="sm">Create one with + Create project.</Text>
            </EmptyState>
          ) : (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }} aria-label="Projects">
              {list.map((p) => (
                <Card key={p.id} withBorder padding="lg" component="li">
                  <Group justify="space-between" wrap="nowrap">
                    <Anchor component={Link} to={`/console/o/${org}/projects/${p.name}`} fw={600} size="lg">
                      {p.displayName}
                    </Anchor>
                    {p.isDefault && <Badge variant="light">Default</Badge>}
                  </Group>
                  <Text size="sm" c="dimmed" ff="monospace">
                    {p.name}
                  </Text>
                  {p.description && (
                    <Text size="sm" mt="xs" lineClamp={3}>
                      {p.description}
                    </Text>
                  )}
                </Card>
              ))}
            </SimpleGrid>
          )
        }
      </QueryState>
      <CreateProjectModal opened={creating} onClose={close} />
    </Page>
  );
}
