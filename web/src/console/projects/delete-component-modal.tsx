import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ApiErrorAlert } from '../../ui/api-error';
import { keys } from '../query-keys';
import { type ComponentOverview } from './queries';

/** Delete a component after a confirmation; its keys go with it. */
export function DeleteComponentModal({ project, component, opened, onClose }: { project: string; component: ComponentOverview; opened: boolean; onClose: () => void }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/projects/{project}/components/{component}', { params: { path: { org, project, component: component.name } } })),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: keys.component(org, project, component.name) });
      await queryClient.invalidateQueries({ queryKey: keys.components(org, project), exact: true });
      navigate(`/console/o/${org}/projects/${project}`);
    },
  });
  const close = () => { remove.reset(); onClose(); };
  return (
    <Modal opened={opened} onClose={close} title={`Delete ${component.displayName}?`}>
      <Stack>
        <Text>
          The component <strong>{component.name}</strong> and everything it holds go for good
          {component.type === 'external-consumer' ? ': its keys in every environment stop working at once.' : '.'}
        </Text>
        <ApiErrorAlert error={remove.error} title="The component was not deleted" />
        <Group justify="flex-end">
          <Button variant="default" onClick={close} data-autofocus>Cancel</Button>
          <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>Delete</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
