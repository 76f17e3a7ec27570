import { useState } from 'react';
import { Badge, Button, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { Notice } from '../../ui/notice';
import { CopyValue } from '../../ui/copy-value';
import { EmptyState, QueryState } from '../../ui/page-state';
import { apiPagePath, useApiPage } from './api-context';
import { ConfigureDeployModal } from './configure-deploy-modal';
import { apiPath, useApiMutation } from './mutations';
import { PromoteModal } from './promote-modal';
import { useEnvironments, type Environment } from '../projects/queries';
import { useDeployments, useRevisions, type ApiDefinition, type ApiRef, type Deployment } from './queries';

const when = (iso: string) => new Date(iso).toLocaleString();

/** Deploy: per environment its endpoint, what runs there, Configure & Deploy, Promote, Roll back and the history; then the revisions. */
export function DeployPage() {
  const { ref, definition } = useApiPage();
  const environments = useEnvironments(ref.org);
  const deployments = useDeployments(ref);
  const revisions = useRevisions(ref);
  if (!definition) {
    return (
      <EmptyState title="No API defined yet">
        <Text size="sm">
          Define the API on its <Link to={`/console/o/${ref.org}/${apiPagePath(ref)}`}>Overview</Link> first; then deploy it here.
        </Text>
      </EmptyState>
    );
  }
  return (
    <Stack gap="lg">
      <Notice title="Calling the deployed API">
        <Text size="sm">
          Clients call the endpoint URL below with a token. To give a consumer its ServiceURL, TokenURL and keys, publish the API and connect the consumer to it on the project's{' '}
          <Link to={`/console/o/${ref.org}/projects/${ref.project}/connections`}>Connections</Link> page.
        </Text>
      </Notice>
      <QueryState query={environments} label="environments">
        {(envs) => (
          <QueryState query={deployments} label="deployments">
            {(history) => (
              <Stack gap="md">
                {envs.map((env, i) => (
                  <EnvironmentCard key={env.name} apiRef={ref} definition={definition} environment={env} next={envs[i + 1]} history={history.filter((d) => d.environment === env.name)} />
                ))}
              </Stack>
            )}
          </QueryState>
        )}
      </QueryState>
      <Stack gap="xs">
        <Title order={3}>Revisions</Title>
        <Text size="sm" c="dimmed">
          Each deploy of a changed definition freezes it as a new, immutable revision; promotion and rollback run existing ones.
        </Text>
        <QueryState query={revisions} label="revisions">
          {(list) =>
            list.length === 0 ? (
              <EmptyState title="No revisions yet">The first deploy makes revision 1.</EmptyState>
            ) : (
              <Table aria-label="Revisions">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Revision</Table.Th>
                    <Table.Th>Created by</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Parameters</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((r) => (
                    <Table.Tr key={r.number}>
                      <Table.Td>{r.number}</Table.Td>
                      <Table.Td>{r.createdBy}</Table.Td>
                      <Table.Td>{when(r.createdAt)}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {r.parameters.map((p) => (
                            <Code key={p}>{p}</Code>
                          ))}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )
          }
        </QueryState>
      </Stack>
    </Stack>
  );
}

function EnvironmentCard({
  apiRef,
  definition,
  environment,
  next,
  history,
}: {
  apiRef: ApiRef;
  definition: ApiDefinition;
  environment: Environment;
  next: Environment | undefined;
  history: Deployment[];
}) {
  const [configuring, configure] = useDisclosure();
  const [promoting, promote] = useDisclosure();
  const [rollingBack, rollback] = useDisclosure();
  const active = history.find((d) => d.status === 'active');
  const endpoint = definition.endpoints.find((e) => e.environment === environment.name)?.url ?? '';
  return (
    <Card withBorder component="section" aria-label={environment.displayName}>
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start">
          <div>
            <Group gap="xs">
              <Title order={4}>{environment.displayName}</Title>
              {active ? (
                <Badge color="green" variant="light">{`Active: revision ${active.revision}`}</Badge>
              ) : (
                <Badge color="gray" variant="light">
                  Not deployed
                </Badge>
              )}
            </Group>
            {active && (
              <Text size="xs" c="dimmed" mt={4}>
                Deployed by {active.deployedBy}, {when(active.createdAt)}; backend <Code>{active.backendUrl}</Code>
              </Text>
            )}
          </div>
          <Group gap="xs">
            <Button onClick={configure.open}>Configure & Deploy</Button>
            {next && (
              <Button variant="default" onClick={promote.open} disabled={!active} title={active ? undefined : `Deploy to ${environment.displayName} first`}>
                Promote
              </Button>
            )}
            {history.length > 1 && (
              <Button variant="default" onClick={rollback.open}>
                Roll back
              </Button>
            )}
          </Group>
        </Group>
        <CopyValue label={`Endpoint URL (${environment.displayName})`} value={endpoint} />
        {history.length > 0 && <History apiRef={apiRef} environment={environment} history={history} />}
      </Stack>
      <ConfigureDeployModal apiRef={apiRef} definition={definition} environment={environment} opened={configuring} onClose={configure.close} />
      {next && <PromoteModal apiRef={apiRef} definition={definition} from={environment} to={next} opened={promoting} onClose={promote.close} />}
      <RollbackModal apiRef={apiRef} environment={environment} opened={rollingBack} onClose={rollback.close} />
    </Card>
  );
}

function History({ apiRef, environment, history }: { apiRef: ApiRef; environment: Environment; history: Deployment[] }) {
  const active = history.find((d) => d.status === 'active');
  const back = useRollback(apiRef);
  const [target, setTarget] = useState<Deployment>();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        Deployment history
      </Text>
      <Table aria-label={`Deployment history (${environment.displayName})`} fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Revision</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Parameters</Table.Th>
            <Table.Th>Deployed by</Table.Th>
            <Table.Th>When</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {history.map((d) => (
            <Table.Tr key={d.id}>
              <Table.Td>{d.revision}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={d.status === 'active' ? 'green' : 'gray'}>
                  {d.status}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {Object.entries(d.params).map(([name, p]) => (
                    <Code key={name}>{p.secret ? `${name}=••••` : `${name}=${p.value ?? ''}`}</Code>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>{d.deployedBy}</Table.Td>
              <Table.Td>{when(d.createdAt)}</Table.Td>
              <Table.Td>
                {d.status !== 'active' && d.revision !== active?.revision && <Button size="compact-xs" variant="subtle" onClick={() => setTarget(d)}>{`Roll back to revision ${d.revision}`}</Button>}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <ConfirmDialog
        opened={!!target}
        onClose={() => setTarget(undefined)}
        title={`Roll back ${environment.displayName} to revision ${target?.revision}?`}
        confirmLabel={`Roll back to revision ${target?.revision}`}
        color="orange"
        mutation={back}
        errorTitle="The rollback failed"
        onConfirm={() => target && back.mutate({ environment: environment.name, revision: target.revision }, { onSuccess: () => setTarget(undefined) })}
      >
        <Text size="sm">
          Redeploys revision {target?.revision} to {environment.displayName} with the backend URL and values it had then
          {target?.backendUrl ? (
            <>
              {' '}
              (<Code>{target.backendUrl}</Code>)
            </>
          ) : null}
          . Calls go to it at once.
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}

function useRollback(apiRef: ApiRef) {
  return useApiMutation(apiRef, (body: { environment: string; revision?: number }) =>
    unwrap(api.POST('/api/v1/orgs/{org}/projects/{project}/components/{component}/api/rollback', { params: apiPath(apiRef), body })),
  );
}

function RollbackModal({ apiRef, environment, opened, onClose }: { apiRef: ApiRef; environment: Environment; opened: boolean; onClose: () => void }) {
  const back = useRollback(apiRef);
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={`Roll back ${environment.displayName}?`}
      confirmLabel={`Roll back ${environment.displayName}`}
      color="orange"
      mutation={back}
      errorTitle="The rollback failed"
      onConfirm={() => back.mutate({ environment: environment.name }, { onSuccess: onClose })}
    >
      <Text size="sm">Redeploys the deployment that was active before the current one, with the backend URL and values it had. Rolling back again goes one step further back.</Text>
    </ConfirmDialog>
  );
}
