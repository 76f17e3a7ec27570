import { Button, Group, Modal, Stack } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { NameFields, useNameFields } from './name-fields';
import { keys } from '../query-keys';

/** + Create project: display name, unique name (validated as you type) and description. */
export function CreateProjectModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const fields = useNameFields();
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/orgs/{org}/projects', {
          params: { path: { org } },
          body: { name: fields.name, displayName: fields.displayName.trim(), ...(fields.description.trim() && { description: fields.description.trim() }) },
        }),
      ),
    onSuccess: async (project) => {
      await queryClient.invalidateQueries({ queryKey: keys.projects(org) });
      close();
      navigate(`/console/o/${org}/projects/${project.name}`);
    },
  });
  function close() {
    fields.reset();
    create.reset();
    onClose();
  }
  return (
    <Modal opened={opened} onClose={close} title="Create a project" size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (fields.valid) create.mutate();
        }}
      >
        <Stack>
          <NameFields state={fields} error={create.error} nameDescription="Unique in the organization; it cannot be changed later" />
          <ApiErrorAlert error={create.error} title="The project was not created" />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!fields.valid}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
