import { Anchor, Badge, Button, Card, Code, Group, Modal, SimpleGrid, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useApiPage } from './api-context';
import { DefineApiPanel } from './define-api-panel';
import { DefinitionForm } from './definition-form';
import { ImportForm } from './import-form';
import { LifecycleActions } from './lifecycle-actions';
import { ResourcesTable } from './resources-table';
import type { ApiDefinition } from './queries';

/** The API's Overview: base path, endpoints, OpenAPI document, resources with their security; or the ways to define it. */
export function OverviewPage() {
  const { ref, definition } = useApiPage();
  const [editing, edit] = useDisclosure();
  const [importing, importer] = useDisclosure();
  if (!definition) return <DefineApiPanel apiRef={ref} />;
  const openapiUrl = `/api/v1/orgs/${ref.org}/projects/${ref.project}/components/${ref.component}/api/openapi`;
  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={3}>Overview</Title>
        <Group gap="xs">
          <Button variant="default" onClick={edit.open}>
            Edit definition
          </Button>
          <Button variant="default" onClick={importer.open}>
            Import OpenAPI
          </Button>
          <LifecycleActions apiRef={ref} definition={definition} />
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Stack gap={6}>
            <Text fw={600}>Definition</Text>
            <Text size="sm">
              Context path <Code>{definition.contextPath}</Code> · version <Code>{definition.version}</Code>
            </Text>
            <Group gap={6}>
              <Text size="sm">Visibility</Text>
              <Badge variant="light" color={definition.visibility === 'public' ? 'blue' : 'grape'}>
                {definition.visibility === 'public' ? 'Public' : 'Private'}
              </Badge>
            </Group>
            <DocumentLine definition={definition} href={openapiUrl} />
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap={6}>
            <Text fw={600}>Endpoints</Text>
            <Table.ScrollContainer minWidth={420}>
              <Table aria-label="Endpoints">
                <Table.Tbody>
                  {definition.endpoints.map((e) => (
                    <Table.Tr key={e.environment}>
                      <Table.Td>
                        <Text size="sm">{e.environment}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Code>{e.url}</Code>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c="dimmed">
                          {e.deployedRevision === null ? 'not deployed' : `revision ${e.deployedRevision}`}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        </Card>
      </SimpleGrid>
      <Stack gap="xs">
        <Title order={3}>Resources</Title>
        <ResourcesTable resources={definition.resources} />
      </Stack>
      <Modal opened={editing} onClose={edit.close} title="Edit definition" size="xl">
        {editing && <DefinitionForm apiRef={ref} current={definition} onDone={edit.close} onCancel={edit.close} />}
      </Modal>
      <Modal opened={importing} onClose={importer.close} title="Import OpenAPI" size="lg">
        <Tabs defaultValue="file">
          <Tabs.List aria-label="Where the document comes from">
            <Tabs.Tab value="file">Upload a file</Tabs.Tab>
            <Tabs.Tab value="url">From a URL</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="file" pt="md">
            {importing && <ImportForm apiRef={ref} source="file" onDone={importer.close} />}
          </Tabs.Panel>
          <Tabs.Panel value="url" pt="md">
            {importing && <ImportForm apiRef={ref} source="url" onDone={importer.close} />}
          </Tabs.Panel>
        </Tabs>
      </Modal>
    </Stack>
  );
}

function DocumentLine({ definition, href }: { definition: ApiDefinition; href: string }) {
  const d = definition.document;
  const what =
    d.source === 'imported'
      ? `Imported ${d.sourceUrl ? `from ${d.sourceUrl}` : 'from a file'}${d.importedAt ? ` on ${new Date(d.importedAt).toLocaleString()}` : ''}`
      : 'Generated from the definition';
  return (
    <Text size="sm">
      OpenAPI document: {what} ·{' '}
      <Anchor href={href} target="_blank" rel="noreferrer">
        View OpenAPI document
      </Anchor>
    </Text>
  );
}
