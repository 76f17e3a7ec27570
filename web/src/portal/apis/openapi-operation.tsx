import { Accordion, Badge, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { MethodBadge } from './method-badge';
import type { JsonObject, Operation } from './openapi-model';
import { SchemaView, TypeName } from './openapi-schema';

function Content({ doc, content }: { doc: JsonObject; content: Operation['responses'][number]['content'] }) {
  return (
    <Stack gap="xs">
      {content.map((c) => (
        <Stack key={c.mediaType} gap={4}>
          <Code>{c.mediaType}</Code>
          {c.schema !== undefined && <SchemaView doc={doc} schema={c.schema} />}
          {c.example !== undefined && <Code block>{JSON.stringify(c.example, null, 2)}</Code>}
        </Stack>
      ))}
    </Stack>
  );
}

/** One operation: its header in the accordion, and parameters, body, responses and security when opened. */
export function OperationItem({ doc, op }: { doc: JsonObject; op: Operation }) {
  return (
    <Accordion.Item value={op.id}>
      <Accordion.Control aria-label={`${op.method} ${op.path}`}>
        <Group gap="sm" wrap="nowrap">
          <MethodBadge method={op.method} />
          <Text ff="monospace" size="sm" fw={600} td={op.deprecated ? 'line-through' : undefined}>
            {op.path}
          </Text>
          {op.summary && (
            <Text size="sm" c="dimmed" truncate>
              {op.summary}
            </Text>
          )}
        </Group>
      </Accordion.Control>
      <Accordion.Panel>
        <Stack gap="md">
          {op.deprecated && <Badge color="gray">deprecated</Badge>}
          {op.description && (
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {op.description}
            </Text>
          )}
          {op.operationId && (
            <Text size="xs" c="dimmed">
              Operation ID <Code>{op.operationId}</Code>
            </Text>
          )}
          {op.security && (
            <Text size="sm">
              {op.security.length === 0 || op.security.some((alt) => alt.length === 0)
                ? 'No token needed.'
                : `Needs a token${op.security.flatMap((alt) => alt.flatMap((s) => s.scopes)).length ? ` with the scopes ${[...new Set(op.security.flatMap((alt) => alt.flatMap((s) => s.scopes)))].join(', ')}` : ''}.`}
            </Text>
          )}
          {op.parameters.length > 0 && (
            <section aria-label={`Parameters of ${op.method} ${op.path}`}>
              <Title order={5} mb={4}>
                Parameters
              </Title>
              <Table fz="sm" verticalSpacing={4} aria-label="Parameters">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>In</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Description</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {op.parameters.map((p) => (
                    <Table.Tr key={`${p.in}:${p.name}`}>
                      <Table.Td>
                        <Group gap={4}>
                          <Code>{p.name}</Code>
                          {p.required && (
                            <Badge size="xs" color="red" variant="light">
                              required
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>{p.in}</Table.Td>
                      <Table.Td>
                        <TypeName doc={doc} schema={p.schema} />
                      </Table.Td>
                      <Table.Td>{p.description}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </section>
          )}
          {op.requestBody && (
            <section aria-label={`Request body of ${op.method} ${op.path}`}>
              <Title order={5} mb={4}>
                Request body{op.requestBody.required ? ' (required)' : ''}
              </Title>
              {op.requestBody.description && (
                <Text size="sm" mb={4}>
                  {op.requestBody.description}
                </Text>
              )}
              <Content doc={doc} content={op.requestBody.content} />
            </section>
          )}
          {op.responses.length > 0 && (
            <section aria-label={`Responses of ${op.method} ${op.path}`}>
              <Title order={5} mb={4}>
                Responses
              </Title>
              <Stack gap="sm">
                {op.responses.map((r) => (
                  <Group key={r.status} align="flex-start" wrap="nowrap" gap="sm">
                    <Badge variant="outline" color={r.status.startsWith('2') ? 'green' : r.status.startsWith('4') || r.status.startsWith('5') ? 'red' : 'gray'} w={64}>
                      {r.status}
                    </Badge>
                    <Stack gap={4} style={{ flex: 1 }}>
                      {r.description && <Text size="sm">{r.description}</Text>}
                      <Content doc={doc} content={r.content} />
                    </Stack>
                  </Group>
                ))}
              </Stack>
            </section>
          )}
        </Stack>
      </Accordion.Panel>
    </Accordion.Item>
  );
}
