import { useState } from 'react';
import { Button, Card, Drawer, Group, SimpleGrid, Stack, Text, UnstyledButton } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { NameFields, useNameFields } from './name-fields';
import { keys } from '../query-keys';
import { COMPONENT_TYPES, componentPath, type ComponentType } from './queries';

/**
 * + Create: first the kind of component (cards External Consumer and API Proxy),
 * then the Create pane (display name, unique name validated as you type, description).
 */
export function CreateComponentDrawer({ project, opened, onClose }: { project: string; opened: boolean; onClose: () => void }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [type, setType] = useState<ComponentType | null>(null);
  const fields = useNameFields();
  const create = useMutation({
    mutationFn: (t: ComponentType) =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/projects/{project}/components', {
          params: { path: { org, project } },
          body: { type: t, name: fields.name, displayName: fields.displayName.trim(), ...(fields.description.trim() && { description: fields.description.trim() }) },
        }),
      ),
    onSuccess: async (component) => {
      queryClient.setQueryData(keys.component(org, project, component.name), component);
      await queryClient.invalidateQueries({ queryKey: keys.components(org, project) });
      close();
      navigate(`/console/o/${org}/${componentPath(project, component)}`);
    },
  });
  function close() {
    setType(null);
    fields.reset();
    create.reset();
    onClose();
  }
  return (
    <Drawer opened={opened} onClose={close} position="right" size="lg" title={type ? `Create: ${COMPONENT_TYPES[type].label}` : 'Create'}>
      {type === null ? (
        <Stack>
          <Text c="dimmed">What do you want to create?</Text>
          <SimpleGrid cols={{ base: 1, xs: 2 }}>
            {(Object.keys(COMPONENT_TYPES) as ComponentType[]).map((t) => (
              <UnstyledButton key={t} onClick={() => setType(t)} aria-label={COMPONENT_TYPES[t].label} aria-describedby={`create-${t}-description`}>
                <Card withBorder padding="lg" h="100%" style={{ cursor: 'pointer' }}>
                  <Text fw={600}>{COMPONENT_TYPES[t].label}</Text>
                  <Text id={`create-${t}-description`} size="sm" c="dimmed" mt={4}>
                    {COMPONENT_TYPES[t].description}
                  </Text>
                </Card>
              </UnstyledButton>
            ))}
          </SimpleGrid>
        </Stack>
      ) : (
        <form
          aria-label="Create"
          onSubmit={(e) => {
            e.preventDefault();
            if (fields.valid) create.mutate(type);
          }}
        >
          <Stack>
            <Text size="sm" c="dimmed">
              {COMPONENT_TYPES[type].description}
            </Text>
            <NameFields state={fields} error={create.error} nameDescription="Unique in the project; used in URLs and the CLI, it cannot be changed later" />
            <ApiErrorAlert error={create.error} title="The component was not created" />
            <Group justify="space-between">
              <Button
                variant="default"
                onClick={() => {
                  setType(null);
                  create.reset();
                }}
              >
                Back
              </Button>
              <Button type="submit" loading={create.isPending} disabled={!fields.valid}>
                Create
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Drawer>
  );
}
