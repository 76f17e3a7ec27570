import { Button, Code, Table, Text, VisuallyHidden } from '@mantine/core';
import { useNavigate } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { AuthStatus, clientIdOf, providerName } from './auth-status';
import type { ComponentOverview, ConsumerApplication, IdentityProvider } from './queries';

/** Authentication Configurations: one row per environment, in promotion order, each with Configure. */
export function AuthenticationTable({
  project,
  overview,
  application,
  providers,
}: {
  project: string;
  overview: ComponentOverview;
  application: ConsumerApplication;
  providers: IdentityProvider[] | undefined;
}) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" aria-label="Authentication Configurations">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Environment</Table.Th>
            <Table.Th scope="col">Identity Provider</Table.Th>
            <Table.Th scope="col">Client ID</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {overview.environments.map((env) => {
            const auth = application.authentication.find((a) => a.environment === env.name);
            const clientId = clientIdOf(auth);
            return (
              <Table.Tr key={env.name}>
                <Table.Th scope="row" fw={500}>
                  {env.displayName}
                </Table.Th>
                <Table.Td>{providerName(auth, providers)}</Table.Td>
                <Table.Td>
                  {clientId ? (
                    <Code>{clientId}</Code>
                  ) : (
                    <Text c="dimmed" size="sm">
                      None
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <AuthStatus auth={auth} />
                </Table.Td>
                <Table.Td ta="right">
                  <Button size="xs" variant="light" onClick={() => navigate(`/console/o/${org}/projects/${project}/consumers/${overview.name}/authentication/${env.name}`)}>
                    Configure
                  </Button>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
