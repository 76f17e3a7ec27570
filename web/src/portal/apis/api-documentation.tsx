import { useMemo } from 'react';
import { Accordion, Alert, Anchor, Badge, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api as client, unwrap } from '../../api/client';
import { QueryState } from '../../ui/page-state';
import { apisKey, type PortalApi } from '../queries';
import { byTag, isObject, operations, securitySchemes, str, type JsonObject } from './openapi-model';
import { OperationItem } from './openapi-operation';
import { schemaAnchor, SchemaView } from './openapi-schema';

/** The API's documentation, rendered from its OpenAPI document (this module loads only when the tab is opened). */
export function ApiDocumentation({ org, api }: { org: string; api: PortalApi }) {
  const doc = useQuery({
    queryKey: [...apisKey(org), api.id, 'openapi'],
    queryFn: async () => {
      const body = await unwrap(client.GET('/api/v1/orgs/{org}/portal/apis/{api}/openapi', { params: { path: { org, api: api.id }, query: { format: 'json' } } }));
      if (!isObject(body)) throw new Error('The OpenAPI document is not a JSON object');
      return body as JsonObject;
    },
  });
  const href = `/api/v1/orgs/${encodeURIComponent(org)}/portal/apis/${encodeURIComponent(api.id)}/openapi`;
  return (
    <QueryState query={doc} label="OpenAPI document">
      {(d) => <Document doc={d} download={href} />}
    </QueryState>
  );
}

function Document({ doc, download }: { doc: JsonObject; download: string }) {
  const ops = useMemo(() => operations(doc), [doc]);
  const groups = useMemo(() => byTag(doc, ops), [doc, ops]);
  const schemes = useMemo(() => securitySchemes(doc), [doc]);
  const info = isObject(doc.info) ? doc.info : {};
  const servers = Array.isArray(doc.servers) ? doc.servers.filter(isObject) : [];
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? Object.entries(doc.components.schemas) : [];
  return (
    <Stack gap="xl" component="article" aria-label="API documentation">
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={3}>{str(info.title) ?? 'API'}</Title>
          <Group gap="xs" mt={4}>
            {str(info.version) && (
              <Badge variant="outline" tt="none">
                {str(info.version)}
              </Badge>
            )}
            {str(doc.openapi) && (
              <Badge variant="light" color="gray" tt="none">
                OpenAPI {str(doc.openapi)}
              </Badge>
            )}
          </Group>
        </div>
        <Anchor href={download} download>
          Download the OpenAPI document
        </Anchor>
      </Group>
      {str(info.description) && <Text style={{ whiteSpace: 'pre-wrap' }}>{str(info.description)}</Text>}
      {servers.length > 0 && (
        <section aria-label="Servers">
          <Title order={4} mb="xs">
            Servers
          </Title>
          <Table fz="sm" verticalSpacing={4}>
            <Table.Tbody>
              {servers.map((s, i) => (
                <Table.Tr key={i}>
                  <Table.Td>
                    <Code>{str(s.url)}</Code>
                  </Table.Td>
                  <Table.Td>{str(s.description)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </section>
      )}
      {schemes.length > 0 && (
        <section aria-label="Authentication">
          <Title order={4} mb="xs">
            Authentication
          </Title>
          <Stack gap="sm">
            {schemes.map((s) => (
              <Paper key={s.name} withBorder p="sm" radius="md">
                <Group gap="xs">
                  <Code>{s.name}</Code>
                  <Badge variant="light" tt="none">
                    {s.type}
                  </Badge>
                  {s.detail && <Text size="sm">{s.detail}</Text>}
                </Group>
                {s.description && (
                  <Text size="sm" mt={4}>
                    {s.description}
                  </Text>
                )}
                {s.flows.map((f) => (
                  <Stack key={f.flow} gap={2} mt="xs">
                    <Text size="sm">
                      Flow <Code>{f.flow}</Code>
                      {f.tokenUrl && (
                        <>
                          {' '}
                          · token URL <Code>{f.tokenUrl}</Code>
                        </>
                      )}
                      {f.authorizationUrl && (
                        <>
                          {' '}
                          · authorization URL <Code>{f.authorizationUrl}</Code>
                        </>
                      )}
                    </Text>
                    {Object.keys(f.scopes).length > 0 && (
                      <Group gap={4}>
                        {Object.entries(f.scopes).map(([scope, d]) => (
                          <Badge key={scope} variant="outline" tt="none" title={d}>
                            {scope}
                          </Badge>
                        ))}
                      </Group>
                    )}
                  </Stack>
                ))}
              </Paper>
            ))}
          </Stack>
        </section>
      )}
      <section aria-label="Operations">
        <Title order={4} mb="xs">
          Operations
        </Title>
        {ops.length === 0 ? (
          <Alert color="gray">The document describes no operations.</Alert>
        ) : (
          <Stack gap="lg">
            {groups.map((g) => (
              <Stack key={g.tag || '(untagged)'} gap="xs">
                {(groups.length > 1 || g.tag) && <Title order={5}>{g.tag || 'Other'}</Title>}
                {g.description && (
                  <Text size="sm" c="dimmed">
                    {g.description}
                  </Text>
                )}
                <Accordion variant="separated" multiple chevronPosition="right">
                  {g.operations.map((op) => (
                    <OperationItem key={op.id} doc={doc} op={op} />
                  ))}
                </Accordion>
              </Stack>
            ))}
          </Stack>
        )}
      </section>
      {schemas.length > 0 && (
        <section aria-label="Schemas">
          <Title order={4} mb="xs">
            Schemas
          </Title>
          <Stack gap="md">
            {schemas.map(([name, schema]) => (
              <Paper key={name} withBorder p="sm" radius="md" id={schemaAnchor(name)}>
                <Text fw={700} ff="monospace" mb={4}>
                  {name}
                </Text>
                <SchemaView doc={doc} schema={schema} />
              </Paper>
            ))}
          </Stack>
        </section>
      )}
    </Stack>
  );
}
