import { Anchor, Badge, Button, Group, Table, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { useCurrentOrg, useOrgHandle } from '../../orgs/orgs';
import { Page } from '../../ui/page';
import { EmptyState, QueryState } from '../../ui/page-state';
import { useIdentityProviders } from '../projects/queries';
import { kindLabel, type IdentityProvider } from './idp-queries';

/** Settings → API Management: the organization's identity providers. */
export function IdpListPage() {
  const org = useOrgHandle();
  const current = useCurrentOrg();
  const navigate = useNavigate();
  const idps = useIdentityProviders(org);
  const isAdmin = current?.isAdmin ?? false;
  const add = isAdmin && <Button onClick={() => navigate(`/console/o/${org}/settings/add-identity-provider`)}>+ Add Provider</Button>;
  return (
    <Page
      title="Identity providers"
      description="Your organization's own identity providers. Their tokens can be exchanged for platform tokens, or used directly by applications with external keys."
      actions={add}
    >
      {current && !isAdmin && (
        <Text c="dimmed" size="sm">
          Only admins can add or change identity providers; you can view them and explain tokens.
        </Text>
      )}
      <QueryState query={idps} label="identity providers">
        {(list) =>
          list.length === 0 ? (
            <EmptyState title="No identity providers yet">
              <Text size="sm">
                {isAdmin ? 'Use + Add Provider to connect Okta, Microsoft Entra ID, Auth0, Keycloak or any OpenID Connect provider.' : 'An admin of this organization can connect one.'}
              </Text>
            </EmptyState>
          ) : (
            <IdpTable org={org} idps={list} />
          )
        }
      </QueryState>
    </Page>
  );
}

function KeysBadge({ keys }: { keys: IdentityProvider['keys'] }) {
  if (keys.lastError)
    return (
      <Badge color="red" variant="light">
        Key error
      </Badge>
    );
  if (!keys.fetchedAt)
    return (
      <Badge color="gray" variant="light">
        Keys not fetched
      </Badge>
    );
  return (
    <Badge color="green" variant="light">
      {keys.keyIds.length === 1 ? '1 key' : `${keys.keyIds.length} keys`}
    </Badge>
  );
}

function IdpTable({ org, idps }: { org: string; idps: IdentityProvider[] }) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover aria-label="Identity providers">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Issuer</Table.Th>
            <Table.Th>Allowed token audiences</Table.Th>
            <Table.Th>Signing keys</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {idps.map((idp) => (
            <Table.Tr key={idp.id}>
              <Table.Td>
                <Anchor component={Link} to={`/console/o/${org}/settings/identity-providers/${idp.name}`} fw={600}>
                  {idp.name}
                </Anchor>
                {idp.description && (
                  <Text size="xs" c="dimmed">
                    {idp.description}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{kindLabel(idp.kind)}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {idp.issuer}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {idp.audiences.map((a) => (
                    <Badge key={a} variant="outline" tt="none">
                      {a}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>
                <KeysBadge keys={idp.keys} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
