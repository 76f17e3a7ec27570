import { useState } from 'react';
import { Button, Group, Modal, Stack, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert, fieldError } from '../../ui/api-error';
import { keys } from '../query-keys';
import type { ComponentOverview } from './queries';

/** Edit: a component's display name and description (its name and kind are fixed). */
export function EditComponentModal({ project, component, opened, onClose }: { project: string; component: ComponentOverview; opened: boolean; onClose: () => void }) {
  const org = useOrgHandle();
  const queryClient = useQueryClient();
  const [displayName, setDisplayName] = useState(component.displayName);
  const [description, setDescription] = useState(component.description);
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/orgs/{org}/projects/{project}/components/{component}', {
          params: { path: { org, project, component: component.name } },
          body: { displayName: displayName.trim(), description: description.trim() },
        }),
      ),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: keys.component(org, project, component.name) }),
        queryClient.invalidateQueries({ queryKey: keys.components(org, project), exact: true }),
      ]);
      close();
    },
  });
  function close() {
    save.reset();
    onClose();
  }
  return (
    <Modal opened={opened} onClose={close} title={`Edit ${component.displayName}`} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput
            label="Display name"
            required
            maxLength={200}
            value={displayName}
            onChange={(e) => setDisplayName(e.currentTarget.value)}
            error={fieldError(save.error, 'displayName')}
            data-autofocus
          />
          <Textarea
            label="Description"
            autosize
            minRows={2}
            maxLength={2000}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            error={fieldError(save.error, 'description')}
          />
          <ApiErrorAlert error={save.error} title="The changes were not saved" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!displayName.trim()}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
