import { Anchor, Badge, Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { Crumbs } from '../projects/crumbs';
import { ConnectionEnv } from './connection-env';
import { CreateConnectionModal } from './create-connection-modal';
import { keys } from '../query-keys';
import { useProject } from '../projects/queries';
import { useConnections, type Connection } from './queries';

/** A project's connections: consumer → published API, with the parameters per environment as environment variables. */
export function ConnectionsPage() {
  const org = useOrgHandle();
  const { project = '' } = useParams();
  const projectQuery = useProject(org, project);
  const connections = useConnections(org, project);
  const [creating, create] = useDisclosure();
  const trail = [
    { label: 'Projects', to: 'projects' },
    { label: projectQuery.data?.displayName ?? project, to: `projects/${project}` },
  ];
  return (
    <Stack gap="md">
      <Crumbs trail={trail} current="Connections" />
      <Page
        title="Connections"
        documentTitle={['Connections', projectQuery.data?.displayName ?? project]}
        description="Connect a consumer of this project to a published API; its code reads the connection parameters as environment variables."
        actions={<Button onClick={create.open}>Create Connection</Button>}
      >
        <QueryState query={connections} label="connections">
          {(list) =>
            list.length === 0 ? (
              <EmptyState title="No connections yet">
                <Text size="sm">Create a connection to subscribe a consumer to an API and get its ServiceURL, TokenURL and keys.</Text>
              </EmptyState>
            ) : (
              <Stack gap="md">
                {list.map((c) => (
                  <ConnectionCard key={c.id} org={org} project={project} connection={c} />
                ))}
              </Stack>
            )
          }
        </QueryState>
      </Page>
      <CreateConnectionModal org={org} project={project} opened={creating} onClose={create.close} />
    </Stack>
  );
}

function ConnectionCard({ org, project, connection }: { org: string; project: string; connection: Connection }) {
  const client = useQueryClient();
  const [deleting, del] = useDisclosure();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/projects/{project}/connections/{connection}', { params: { path: { org, project, connection: connection.name } } })),
    onSuccess: async () => {
      // The consumer's subscription (and so its application) may have gone with it.
      await client.invalidateQueries({ queryKey: keys.project(org, project) });
      del.close();
    },
  });
  const [apiProject, apiComponent] = connection.api.ref.split('/');
  return (
    <Card withBorder component="section" aria-label={connection.name}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={4}>{connection.name}</Title>
            {connection.description && (
              <Text size="sm" c="dimmed">
                {connection.description}
              </Text>
            )}
            <Group gap="xs" mt={4}>
              <Text size="sm">
                {connection.level === 'project' ? (
                  'The project'
                ) : (
                  <>
                    Consumer{' '}
                    <Anchor component={Link} to={`/console/o/${org}/projects/${project}/consumers/${connection.component}`}>
                      {connection.component}
                    </Anchor>
                  </>
                )}
                {' → '}
                {apiComponent ? (
                  <Anchor component={Link} to={`/console/o/${org}/projects/${apiProject}/apis/${apiComponent}`}>
                    {connection.api.name || connection.api.ref}
                  </Anchor>
                ) : (
                  connection.api.ref
                )}{' '}
                <Text span c="dimmed">
                  {connection.api.contextPath}/{connection.api.version}
                </Text>
              </Text>
              <Badge variant="light" color={connection.level === 'project' ? 'grape' : 'teal'}>
                {connection.level === 'project' ? 'Project level' : 'Component level'}
              </Badge>
            </Group>
          </div>
          <Button variant="default" color="red" size="xs" onClick={del.open} aria-label={`Delete connection ${connection.name}`}>
            Delete
          </Button>
        </Group>
        <ConnectionEnv connection={connection} />
      </Stack>
      <ConfirmDialog
        opened={deleting}
        onClose={del.close}
        title={`Delete connection ${connection.name}?`}
        confirmLabel={`Delete ${connection.name}`}
        onConfirm={() => remove.mutate()}
        mutation={remove}
        errorTitle="The connection was not deleted"
      >
        <Text size="sm">The consumer's subscription to the API goes too, if this connection made it and no other connection uses it. Its keys stay.</Text>
      </ConfirmDialog>
    </Card>
  );
}
