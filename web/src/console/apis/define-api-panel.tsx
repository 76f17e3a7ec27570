import { Card, Stack, Tabs, Text, Title } from '@mantine/core';
import { DefinitionForm } from './definition-form';
import { ImportForm } from './import-form';
import type { ApiRef } from './queries';

/** An API proxy without an API yet: define it from an OpenAPI file, from an OpenAPI URL, or by hand. */
export function DefineApiPanel({ apiRef }: { apiRef: ApiRef }) {
  const defaults = { contextPath: `/${apiRef.component}`, version: 'v1' };
  return (
    <Card withBorder padding="lg">
      <Stack gap="sm">
        <div>
          <Title order={3}>No API defined yet</Title>
          <Text c="dimmed" size="sm">
            Define what the gateway exposes for this API proxy: import an OpenAPI 3 document, or list its resources by hand.
          </Text>
        </div>
        <Tabs defaultValue="file">
          <Tabs.List aria-label="Ways to define the API">
            <Tabs.Tab value="file">Upload a file</Tabs.Tab>
            <Tabs.Tab value="url">From a URL</Tabs.Tab>
            <Tabs.Tab value="hand">By hand</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="file" pt="md">
            <ImportForm apiRef={apiRef} source="file" basePath={defaults} />
          </Tabs.Panel>
          <Tabs.Panel value="url" pt="md">
            <ImportForm apiRef={apiRef} source="url" basePath={defaults} />
          </Tabs.Panel>
          <Tabs.Panel value="hand" pt="md">
            <DefinitionForm apiRef={apiRef} defaults={defaults} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </Card>
  );
}
