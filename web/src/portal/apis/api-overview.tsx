import { Badge, Group, Stack, Table, Text, Title } from '@mantine/core';
import { CopyText } from '../../ui/copy-value';
import { EmptyState } from '../../ui/page-state';
import type { PortalApi } from '../queries';
import { MethodBadge } from './method-badge';

/** Where the API is served (per environment) and its resources with the scopes each needs. */
export function ApiOverview({ api }: { api: PortalApi }) {
  return (
    <Stack gap="xl">
      <section aria-label="Endpoints">
        <Title order={3} mb="sm">
          Endpoints
        </Title>
        {api.endpoints.length === 0 ? (
          <EmptyState title="Not deployed yet">
            <Text size="sm">This API has no deployment yet; its URLs appear here once it is deployed.</Text>
          </EmptyState>
        ) : (
          <Table aria-label="Endpoints" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Environment</Table.Th>
                <Table.Th>URL</Table.Th>
                <Table.Th>Revision</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {api.endpoints.map((e) => (
                <Table.Tr key={e.environment}>
                  <Table.Td>{e.displayName}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Text ff="monospace" size="sm">
                        {e.url}
                      </Text>
                      <CopyText label={`${e.displayName} URL`} value={e.url} />
                    </Group>
                  </Table.Td>
                  <Table.Td>{e.revision}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
      <section aria-label="Resources">
        <Title order={3} mb="sm">
          Resources
        </Title>
        <Table aria-label="Resources" verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Method</Table.Th>
              <Table.Th>Path</Table.Th>
              <Table.Th>Summary</Table.Th>
              <Table.Th>Security</Table.Th>
              <Table.Th>Scopes</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {api.resources.map((r) => (
              <Table.Tr key={`${r.method} ${r.path}`}>
                <Table.Td>
                  <MethodBadge method={r.method} />
                </Table.Td>
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {r.path}
                  </Text>
                </Table.Td>
                <Table.Td>{r.summary}</Table.Td>
                <Table.Td>
                  {r.oauth2 ? (
                    <Badge variant="light">OAuth2</Badge>
                  ) : (
                    <Badge variant="light" color="gray">
                      none
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  {r.scopes.length ? (
                    <Group gap={4}>
                      {r.scopes.map((s) => (
                        <Badge key={s} variant="outline" tt="none">
                          {s}
                        </Badge>
                      ))}
                    </Group>
                  ) : (
                    <Text size="sm" c="dimmed">
                      none
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </section>
    </Stack>
  );
}
