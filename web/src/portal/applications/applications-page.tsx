import { Anchor, Badge, Button, Group, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useNavigate } from 'react-router';
import { useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { portalPath, useApplications } from '../queries';
import { ApplicationFormModal } from './application-form-modal';

/** The organization's applications; the caller's own can be changed. */
export function ApplicationsPage() {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const apps = useApplications(org);
  const [opened, { open, close }] = useDisclosure();
  return (
    <Page
      title="Applications"
      description="An application holds the keys your client uses in each environment and its subscriptions to APIs."
      actions={<Button onClick={open}>Create Application</Button>}
    >
      <QueryState query={apps} label="applications">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No applications yet">
              <Text size="sm">Create one to get keys and subscribe to APIs.</Text>
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={720}>
              <Table striped highlightOnHover aria-label="Applications">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Owner</Table.Th>
                    <Table.Th>Keys</Table.Th>
                    <Table.Th>Subscriptions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>
                        <Anchor component={Link} to={portalPath(org, `applications/${a.id}`)} fw={600}>
                          {a.name}
                        </Anchor>
                        {a.description && (
                          <Text size="xs" c="dimmed" lineClamp={1}>
                            {a.description}
                          </Text>
                        )}
                        {a.component && (
                          <Text size="xs" c="dimmed">
                            External consumer {a.component}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          <Text size="sm">{a.owner ?? '—'}</Text>
                          {!a.canManage && (
                            <Badge size="xs" variant="light" color="gray">
                              read only
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        {a.environmentsWithKeys.length ? (
                          <Group gap={4}>
                            {a.environmentsWithKeys.map((e) => (
                              <Badge key={e} variant="light" tt="none">
                                {e}
                              </Badge>
                            ))}
                          </Group>
                        ) : (
                          <Text size="sm" c="dimmed">
                            none
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{a.subscriptions}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      <ApplicationFormModal org={org} opened={opened} onClose={close} onSaved={(a) => navigate(portalPath(org, `applications/${a.id}`))} />
    </Page>
  );
}
