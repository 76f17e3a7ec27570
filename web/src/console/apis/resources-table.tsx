import { Badge, Code, Group, Table, Text } from '@mantine/core';
import { EmptyState } from '../../ui/page-state';
import type { ApiResource } from './queries';

const METHOD_COLORS: Record<string, string> = { GET: 'blue', POST: 'green', PUT: 'orange', PATCH: 'yellow', DELETE: 'red', HEAD: 'gray', OPTIONS: 'gray' };

export function MethodBadge({ method }: { method: string }) {
  return (
    <Badge variant="light" color={METHOD_COLORS[method] ?? 'gray'} w={74}>
      {method}
    </Badge>
  );
}

/** An API's resources with their security: OAuth2 (with the scopes every token must have) or public. */
export function ResourcesTable({ resources }: { resources: ApiResource[] }) {
  if (resources.length === 0) return <EmptyState title="No resources yet">Import an OpenAPI document or edit the definition to add resources.</EmptyState>;
  return (
    <Table striped aria-label="Resources">
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
        {resources.map((r) => (
          <Table.Tr key={`${r.method} ${r.path}`}>
            <Table.Td>
              <MethodBadge method={r.method} />
            </Table.Td>
            <Table.Td>
              <Code>{r.path}</Code>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{r.summary ?? ''}</Text>
            </Table.Td>
            <Table.Td>
              {r.security.oauth2 ? (
                <Badge color="indigo" variant="outline">
                  OAuth2
                </Badge>
              ) : (
                <Badge color="gray" variant="outline">
                  Public
                </Badge>
              )}
            </Table.Td>
            <Table.Td>
              <Group gap={4}>
                {r.security.scopes.length ? (
                  r.security.scopes.map((s) => (
                    <Badge key={s} variant="dot" tt="none">
                      {s}
                    </Badge>
                  ))
                ) : (
                  <Text size="sm" c="dimmed">
                    {r.security.oauth2 ? 'none' : ''}
                  </Text>
                )}
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
