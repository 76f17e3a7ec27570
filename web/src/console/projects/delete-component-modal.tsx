import { Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useOrgHandle } from '../../orgs/orgs';
import { ConfirmDialog } from '../../ui/confirm-dialog';
import { keys } from '../query-keys';
import type { ComponentOverview } from './queries';

/** Delete a component after a confirmation; its keys go with it. */
export function DeleteComponentModal({ project, component, opened, onClose }: { project: string; component: ComponentOverview; opened: boolean; onClose: () => void }) {
  const org = useOrgHandle();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/orgs/{org}/projects/{project}/components/{component}', { params: { path: { org, project, component: component.name } } })),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: keys.component(org, project, component.name) });
      // The project's lists (components, connections) and the organization's APIs may have shown it.
      await Promise.all([queryClient.invalidateQueries({ queryKey: keys.project(org, project) }), queryClient.invalidateQueries({ queryKey: keys.apis(org) })]);
      navigate(`/console/o/${org}/projects/${project}`);
    },
  });
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={`Delete ${component.displayName}?`}
      confirmLabel={`Delete ${component.name}`}
      onConfirm={() => remove.mutate()}
      mutation={remove}
      errorTitle="The component was not deleted"
    >
      <Text>
        The component <strong>{component.name}</strong> and everything it holds go for good
        {component.type === 'external-consumer' ? ': its keys in every environment stop working at once.' : '.'}
      </Text>
    </ConfirmDialog>
  );
}
