import { Badge, Button, Code, Group, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Navigate, useParams } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Notice } from '../../ui/notice';
import { ApiErrorAlert } from '../../ui/api-error';
import { Page } from '../../ui/page';
import { PageLoader, QueryState } from '../../ui/page-state';
import { AuthenticationTable } from './authentication-table';
import { Crumbs } from './crumbs';
import { DeleteComponentModal } from './delete-component-modal';
import { EditComponentModal } from './edit-component-modal';
import { useCanChangeKeys } from './use-can-change-keys';
import { componentPath, useComponentOverview, useConsumerApplication, useIdentityProviders, useProject } from './queries';

/** An external consumer's overview: what it is, and its Authentication Configurations per environment. */
export function ConsumerPage() {
  const org = useOrgHandle();
  const { project = '', component = '' } = useParams();
  const projectQuery = useProject(org, project);
  const overview = useComponentOverview(org, project, component);
  const application = useConsumerApplication(org, project, component);
  const providers = useIdentityProviders(org);
  const canChange = useCanChangeKeys(application.data);
  const [editing, edit] = useDisclosure();
  const [deleting, del] = useDisclosure();
  const trail = [
    { label: 'Projects', to: 'projects' },
    { label: projectQuery.data?.displayName ?? project, to: `projects/${project}` },
  ];
  if (overview.isPending) return <PageLoader label="external consumer" />;
  if (overview.isError)
    return (
      <Stack>
        <Crumbs trail={trail} current={component} />
        <ApiErrorAlert error={overview.error} title="Could not load: external consumer" />
      </Stack>
    );
  const c = overview.data;
  // An API proxy has its own page.
  if (c.type !== 'external-consumer') return <Navigate to={`/console/o/${org}/${componentPath(project, c)}`} replace />;
  return (
    <Stack gap="md">
      <Crumbs trail={trail} current={c.displayName} />
      <Page
        title={c.displayName}
        documentTitle={[c.displayName, projectQuery.data?.displayName ?? project]}
        description={c.description || undefined}
        actions={
          // Mirrors the API: only an admin or the consumer's owner may edit or delete it (deleting revokes its keys).
          canChange && (
            <>
              <Button variant="default" onClick={edit.open} aria-label={`Edit ${c.name}`}>
                Edit
              </Button>
              <Button variant="light" color="red" onClick={del.open} aria-label={`Delete ${c.name}`}>
                Delete
              </Button>
            </>
          )
        }
      >
        <Group gap="xs">
          <Badge variant="light" color="teal">
            External Consumer
          </Badge>
          <Text size="sm" c="dimmed">
            Name <Code>{c.name}</Code>
          </Text>
        </Group>
        <Stack gap="xs">
          <Title order={3}>Authentication Configurations</Title>
          <Text size="sm" c="dimmed">
            How this consumer authenticates in each environment: keys from the built-in token service, or the client ID of the app registered at one of the organization's identity providers.
          </Text>
          {canChange === false && (
            <Notice color="gray">You can see this consumer and its configurations; only organization admins and the member who created it can edit or delete it or change its keys.</Notice>
          )}
          {providers.isError && <ApiErrorAlert error={providers.error} title="Could not load: identity providers" />}
          <QueryState query={application} label="authentication configurations">
            {(app) => <AuthenticationTable project={project} overview={c} application={app} providers={providers.data} />}
          </QueryState>
        </Stack>
      </Page>
      {canChange && editing && <EditComponentModal project={project} component={c} opened onClose={edit.close} />}
      {canChange && <DeleteComponentModal project={project} component={c} opened={deleting} onClose={del.close} />}
    </Stack>
  );
}
